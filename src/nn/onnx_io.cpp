#include "nn/onnx_io.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/memory.hpp"

namespace nnmip::nn {
namespace {

using Shape = std::vector<int64_t>;

// Elements a tensor or value may have: more cannot come from a protobuf (2 GiB) anyway, and the
// network's sizes are ints.
constexpr int64_t kMaxElements = int64_t{1} << 31;
// Inputs of a network (the VNN-LIB parser's limit on X_i indices too).
constexpr int64_t kMaxInputs = int64_t{1} << 26;

// Elements of a shape, or -1 when a dimension is negative or the product exceeds kMaxElements
// (checked before each multiplication, so dimensions whose product passes 2^64 cannot wrap).
int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0 || (d != 0 && n > kMaxElements / d)) return -1;
    n *= d;
  }
  return n;
}

std::string shapeStr(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ",")); }

// A constant tensor converted to doubles (row-major).
struct Const {
  Shape dims;
  std::vector<double> values;
  std::vector<int64_t> ints;  // for INT64 tensors (Reshape shapes)
  bool is_int = false;
};

template <typename T>
T readLittleEndian(const char* p) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  U u = 0;
  for (size_t k = 0; k < sizeof(T); ++k) {
    u |= static_cast<U>(static_cast<unsigned char>(p[k])) << (8 * k);
  }
  return std::bit_cast<T>(u);
}

template <typename T>
void appendLittleEndian(std::string& out, T value) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const U u = std::bit_cast<U>(value);
  for (size_t k = 0; k < sizeof(T); ++k) out.push_back(static_cast<char>((u >> (8 * k)) & 0xff));
}

class Reader {
 public:
  Reader(std::string path, const onnx::GraphProto& graph) : path_(std::move(path)), g_(graph) {}

  Network read();

 private:
  // ---- error helpers ------------------------------------------------------------------------
  std::string label(int i) const {
    const auto& n = g_.node(i);
    return n.name().empty() ? fmt::format("#{}", i) : n.name();
  }
  template <typename... Args>
  [[noreturn]] void nodeFail(ErrorKind kind, int i, fmt::format_string<Args...> f,
                             Args&&... args) const {
    const auto& n = g_.node(i);
    fail(kind, "{}: node '{}' ({}): {}", path_, label(i), n.op_type(),
         fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  [[noreturn]] void graphFail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) const {
    fail(kind, "{}: graph: {}", path_, fmt::format(f, std::forward<Args>(args)...));
  }

  // ---- constants ----------------------------------------------------------------------------
  Const convert(const onnx::TensorProto& t, int node, bool require_finite) const;
  bool isConst(const std::string& name) const {
    return initializers_.count(name) > 0 || constant_nodes_.count(name) > 0;
  }
  Const getConst(int node, const std::string& name, bool require_finite = true) const;
  // Constant broadcast (numpy rules) to `shape`; the result must not grow beyond `shape`.
  std::vector<double> broadcastTo(int node, const Const& c, const Shape& shape) const;

  // ---- attributes ---------------------------------------------------------------------------
  const onnx::AttributeProto* attr(int node, const std::string& name) const {
    for (const auto& a : g_.node(node).attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  int64_t intAttr(int node, const std::string& name, int64_t dflt) const {
    const auto* a = attr(node, name);
    if (a == nullptr) return dflt;
    if (a->type() != onnx::AttributeProto::INT) {
      nodeFail(ErrorKind::kInvalidInput, node, "attribute '{}' is not an INT", name);
    }
    return a->i();
  }
  double floatAttr(int node, const std::string& name, double dflt) const {
    const auto* a = attr(node, name);
    if (a == nullptr) return dflt;
    if (a->type() != onnx::AttributeProto::FLOAT) {
      nodeFail(ErrorKind::kInvalidInput, node, "attribute '{}' is not a FLOAT", name);
    }
    return a->f();
  }

  // ---- the running affine map ---------------------------------------------------------------
  // Value = L(h) + shift where h is the output of the last closed layer (or the network input)
  // and L is diag(scale) when `full` is empty, else the matrix `full` (rows = value size).
  struct Pending {
    std::optional<Mat> full;
    Vec scale;
    Vec shift;
    bool isIdentity() const {
      return !full && (scale.array() == 1.0).all() && (shift.array() == 0.0).all();
    }
  };
  void resetPending(int64_t n) {
    pending_.full.reset();
    pending_.scale = Vec::Ones(n);
    pending_.shift = Vec::Zero(n);
  }
  // Applies value' = s .* value + t.
  void applyElementwise(const Vec& s, const Vec& t);
  // Applies value' = W value + b.
  void applyAffine(const Mat& W, const Vec& b);
  void closeLayer(Activation act, const StepParams* step = nullptr);

  // ---- op handlers --------------------------------------------------------------------------
  void opElementwise(int i, const std::string& op);
  void opGemm(int i);
  void opMatMul(int i);
  void opFlatten(int i);
  void opReshape(int i);
  void opRelu(int i);
  void opSoftmax(int i);
  void opStep(int less, bool is_less);

  // The single consumer of `name` that is not yet visited, or -1; fails when there are several.
  int soleConsumer(const std::string& name) const;
  // Index of node input equal to the current value; checks the others are constants or empty.
  int valueInput(int i) const;

  std::string path_;
  const onnx::GraphProto& g_;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string, int> constant_nodes_;  // output name -> Constant node index
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::vector<bool> visited_;

  std::string cur_;  // name of the running value
  Shape shape_;      // its shape, batch dimension included (as 1)
  Pending pending_;
  std::vector<DenseLayer> layers_;
  bool softmax_done_ = false;
};

Const Reader::convert(const onnx::TensorProto& t, int node, bool require_finite) const {
  auto bad = [&](ErrorKind kind, const std::string& msg) -> void {
    if (node >= 0) nodeFail(kind, node, "tensor '{}': {}", t.name(), msg);
    graphFail(kind, "tensor '{}': {}", t.name(), msg);
  };
  Const c;
  for (int64_t d : t.dims()) {
    if (d < 0) bad(ErrorKind::kInvalidInput, fmt::format("negative dimension {}", d));
    c.dims.push_back(d);
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    bad(ErrorKind::kUnsupported, "external data is not supported");
  }
  const int64_t n = numel(c.dims);
  if (n < 0) {
    bad(ErrorKind::kInvalidInput,
        fmt::format("shape {} has more than {} elements", shapeStr(c.dims), kMaxElements));
  }
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  auto check_count = [&](int64_t got) {
    if (got != n) {
      bad(ErrorKind::kInvalidInput,
          fmt::format("holds {} values but its shape {} needs {}", got, shapeStr(c.dims), n));
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (has_raw) {
        if (raw.size() % 4 != 0) bad(ErrorKind::kInvalidInput, "raw_data size not a multiple of 4");
        check_count(static_cast<int64_t>(raw.size() / 4));
        c.values.reserve(static_cast<size_t>(n));
        for (size_t k = 0; k < raw.size(); k += 4) {
          c.values.push_back(readLittleEndian<float>(raw.data() + k));
        }
      } else {
        check_count(t.float_data_size());
        c.values.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (has_raw) {
        if (raw.size() % 8 != 0) bad(ErrorKind::kInvalidInput, "raw_data size not a multiple of 8");
        check_count(static_cast<int64_t>(raw.size() / 8));
        c.values.reserve(static_cast<size_t>(n));
        for (size_t k = 0; k < raw.size(); k += 8) {
          c.values.push_back(readLittleEndian<double>(raw.data() + k));
        }
      } else {
        check_count(t.double_data_size());
        c.values.assign(t.double_data().begin(), t.double_data().end());
      }
      break;
    case onnx::TensorProto::INT64:
      c.is_int = true;
      if (has_raw) {
        if (raw.size() % 8 != 0) bad(ErrorKind::kInvalidInput, "raw_data size not a multiple of 8");
        check_count(static_cast<int64_t>(raw.size() / 8));
        for (size_t k = 0; k < raw.size(); k += 8) {
          c.ints.push_back(readLittleEndian<int64_t>(raw.data() + k));
        }
      } else {
        check_count(t.int64_data_size());
        c.ints.assign(t.int64_data().begin(), t.int64_data().end());
      }
      c.values.assign(c.ints.begin(), c.ints.end());
      break;
    default:
      bad(ErrorKind::kUnsupported,
          fmt::format("data type {} is not supported (FLOAT, DOUBLE or INT64 only)",
                      t.data_type()));
  }
  if (require_finite) {
    for (double v : c.values) {
      if (!std::isfinite(v)) bad(ErrorKind::kInvalidInput, "contains NaN or infinite values");
    }
  }
  return c;
}

Const Reader::getConst(int node, const std::string& name, bool require_finite) const {
  if (auto it = initializers_.find(name); it != initializers_.end()) {
    return convert(*it->second, node, require_finite);
  }
  if (auto it = constant_nodes_.find(name); it != constant_nodes_.end()) {
    const int ci = it->second;
    const auto& cn = g_.node(ci);
    for (const auto& a : cn.attribute()) {
      if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) {
        return convert(a.t(), ci, require_finite);
      }
      if (a.name() == "value_float" && a.type() == onnx::AttributeProto::FLOAT) {
        Const c;
        c.values = {a.f()};
        if (require_finite && !std::isfinite(a.f())) {
          nodeFail(ErrorKind::kInvalidInput, ci, "value is NaN or infinite");
        }
        return c;
      }
      if (a.name() == "value_floats" && a.type() == onnx::AttributeProto::FLOATS) {
        Const c;
        c.dims = {a.floats_size()};
        c.values.assign(a.floats().begin(), a.floats().end());
        for (double v : c.values) {
          if (require_finite && !std::isfinite(v)) {
            nodeFail(ErrorKind::kInvalidInput, ci, "value is NaN or infinite");
          }
        }
        return c;
      }
      if (a.name() == "value_ints" && a.type() == onnx::AttributeProto::INTS) {
        Const c;
        c.is_int = true;
        c.dims = {a.ints_size()};
        c.ints.assign(a.ints().begin(), a.ints().end());
        c.values.assign(c.ints.begin(), c.ints.end());
        return c;
      }
    }
    nodeFail(ErrorKind::kUnsupported, ci, "Constant without a supported value attribute");
  }
  nodeFail(ErrorKind::kUnsupported, node,
           "input '{}' is not a constant (initializer or Constant node); only constant weights "
           "are supported",
           name);
}

std::vector<double> Reader::broadcastTo(int node, const Const& c, const Shape& shape) const {
  const size_t r = std::max(shape.size(), c.dims.size());
  Shape a(r, 1), b(r, 1);
  std::copy(shape.begin(), shape.end(), a.begin() + static_cast<long>(r - shape.size()));
  std::copy(c.dims.begin(), c.dims.end(), b.begin() + static_cast<long>(r - c.dims.size()));
  for (size_t k = 0; k < r; ++k) {
    if (b[k] != a[k] && b[k] != 1) {
      nodeFail(ErrorKind::kInvalidInput, node, "constant of shape {} does not broadcast to {}",
               shapeStr(c.dims), shapeStr(shape));
    }
  }
  const int64_t n = numel(a);
  std::vector<double> out(static_cast<size_t>(n));
  Shape idx(r, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t src = 0;
    for (size_t k = 0; k < r; ++k) src = src * b[k] + (b[k] == 1 ? 0 : idx[k]);
    out[static_cast<size_t>(flat)] = c.values[static_cast<size_t>(src)];
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < a[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

void Reader::applyElementwise(const Vec& s, const Vec& t) {
  if (pending_.full) {
    *pending_.full = s.asDiagonal() * *pending_.full;
  } else {
    pending_.scale = pending_.scale.cwiseProduct(s);
  }
  pending_.shift = pending_.shift.cwiseProduct(s) + t;
}

void Reader::applyAffine(const Mat& W, const Vec& b) {
  // Composing W with the pending map gives a dense W.rows() x inputs matrix: check its size
  // before Eigen allocates it (two small factors can make a huge product).
  const double cols =
      static_cast<double>(pending_.full ? pending_.full->cols() : pending_.scale.size());
  checkMemoryEstimate(8.0 * static_cast<double>(W.rows()) * cols, ErrorKind::kInvalidInput,
                      fmt::format("{}: a {} x {} affine layer", path_, W.rows(), cols));
  Mat L;
  if (pending_.full) {
    L = W * *pending_.full;
  } else {
    L = W * pending_.scale.asDiagonal();
  }
  Vec t = W * pending_.shift + b;
  pending_.full = std::move(L);
  pending_.shift = std::move(t);
  pending_.scale.resize(0);
}

void Reader::closeLayer(Activation act, const StepParams* step) {
  DenseLayer layer;
  if (pending_.full) {
    layer.weight = std::move(*pending_.full);
  } else {
    const double n = static_cast<double>(pending_.scale.size());
    checkMemoryEstimate(8.0 * n * n, ErrorKind::kInvalidInput,
                        fmt::format("{}: a diagonal layer of {} values stored densely", path_, n));
    layer.weight = pending_.scale.asDiagonal();
  }
  layer.bias = pending_.shift;
  layer.activation = act;
  if (step != nullptr) layer.step = *step;
  layers_.push_back(std::move(layer));
  resetPending(numel(shape_));
}

int Reader::soleConsumer(const std::string& name) const {
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return -1;
  std::vector<int> open;
  for (int c : it->second) {
    if (!visited_[static_cast<size_t>(c)]) open.push_back(c);
  }
  if (open.empty()) return -1;
  if (open.size() > 1) {
    std::vector<std::string> names;
    for (int c : open) names.push_back(fmt::format("'{}' ({})", label(c), g_.node(c).op_type()));
    nodeFail(ErrorKind::kUnsupported, open[1],
             "value '{}' feeds {} nodes ({}); only chain graphs are supported", name, open.size(),
             fmt::join(names, ", "));
  }
  return open.front();
}

int Reader::valueInput(int i) const {
  const auto& n = g_.node(i);
  int pos = -1;
  for (int k = 0; k < n.input_size(); ++k) {
    const std::string& in = n.input(k);
    if (in == cur_) {
      if (pos >= 0) nodeFail(ErrorKind::kUnsupported, i, "uses the running value twice");
      pos = k;
    } else if (!in.empty() && !isConst(in)) {
      nodeFail(ErrorKind::kUnsupported, i,
               "input '{}' is not a constant (initializer or Constant node); only constant "
               "weights are supported",
               in);
    }
  }
  NNMIP_CHECK(pos >= 0, "node does not consume the running value");
  return pos;
}

void Reader::opElementwise(int i, const std::string& op) {
  const auto& n = g_.node(i);
  if (n.input_size() != 2) nodeFail(ErrorKind::kInvalidInput, i, "expects 2 inputs");
  const int pos = valueInput(i);
  const Const c = getConst(i, n.input(1 - pos));
  if (c.is_int) nodeFail(ErrorKind::kUnsupported, i, "integer constant");
  const std::vector<double> cv = broadcastTo(i, c, shape_);
  const Eigen::Index m = static_cast<Eigen::Index>(cv.size());
  const Vec k = Eigen::Map<const Vec>(cv.data(), m);
  const Vec ones = Vec::Ones(m);
  const Vec zeros = Vec::Zero(m);
  if (op == "Add") {
    applyElementwise(ones, k);
  } else if (op == "Sub") {
    if (pos == 0) {
      applyElementwise(ones, -k);  // v - c
    } else {
      applyElementwise(-ones, k);  // c - v
    }
  } else if (op == "Mul") {
    applyElementwise(k, zeros);
  } else {  // Div
    if (pos == 1) nodeFail(ErrorKind::kUnsupported, i, "division by the running value");
    if ((k.array() == 0.0).any()) nodeFail(ErrorKind::kInvalidInput, i, "division by zero");
    // v / c: divide (not multiply by 1/c) so that c = 1 or powers of two stay exact.
    if (pending_.full) {
      for (Eigen::Index r = 0; r < m; ++r) pending_.full->row(r) = pending_.full->row(r) / k(r);
    } else {
      pending_.scale = pending_.scale.cwiseQuotient(k);
    }
    pending_.shift = pending_.shift.cwiseQuotient(k);
  }
}

void Reader::opGemm(int i) {
  const auto& n = g_.node(i);
  if (n.input_size() < 2 || n.input_size() > 3) {
    nodeFail(ErrorKind::kInvalidInput, i, "expects 2 or 3 inputs, has {}", n.input_size());
  }
  const int pos = valueInput(i);
  if (pos == 2) nodeFail(ErrorKind::kUnsupported, i, "running value used as the bias C");
  const bool trans_a = intAttr(i, "transA", 0) != 0;
  const bool trans_b = intAttr(i, "transB", 0) != 0;
  const double alpha = floatAttr(i, "alpha", 1.0);
  const double beta = floatAttr(i, "beta", 1.0);
  if (shape_.size() != 2) {
    nodeFail(ErrorKind::kInvalidInput, i, "input of shape {} is not 2-D", shapeStr(shape_));
  }
  const Const w = getConst(i, n.input(1 - pos));
  if (w.dims.size() != 2) {
    nodeFail(ErrorKind::kInvalidInput, i, "weight '{}' of shape {} is not 2-D", n.input(1 - pos),
             shapeStr(w.dims));
  }
  const Eigen::Index r = w.dims[0], c = w.dims[1];
  Mat stored(r, c);
  for (Eigen::Index a = 0; a < r; ++a) {
    for (Eigen::Index b = 0; b < c; ++b) stored(a, b) = w.values[static_cast<size_t>(a * c + b)];
  }
  Mat W;  // out x in
  Shape out_shape;
  if (pos == 0) {
    // Y[1,N] = alpha * A'[1,K] B'[K,N] + beta C;  A' = value as a row.
    if (trans_a ? shape_[1] != 1 : shape_[0] != 1) {
      nodeFail(ErrorKind::kUnsupported, i, "input of shape {} is not a single row vector{}",
               shapeStr(shape_), trans_a ? " (transA)" : "");
    }
    const int64_t k_in = trans_a ? shape_[0] : shape_[1];
    const Mat Bp = trans_b ? Mat(stored.transpose()) : stored;  // K x N
    if (Bp.rows() != k_in) {
      nodeFail(ErrorKind::kInvalidInput, i, "input has {} columns but weight {} needs {}", k_in,
               shapeStr(w.dims), Bp.rows());
    }
    W = alpha * Bp.transpose();
    out_shape = {1, Bp.cols()};
  } else {
    // Y[M,1] = alpha * A'[M,K] B'[K,1] + beta C;  B' = value as a column.
    const bool col = trans_b ? (shape_[0] == 1) : (shape_[1] == 1);
    if (!col) {
      nodeFail(ErrorKind::kUnsupported, i, "input B of shape {} is not a single column vector",
               shapeStr(shape_));
    }
    const int64_t k_in = trans_b ? shape_[1] : shape_[0];
    const Mat Ap = trans_a ? Mat(stored.transpose()) : stored;  // M x K
    if (Ap.cols() != k_in) {
      nodeFail(ErrorKind::kInvalidInput, i, "input has {} rows but weight {} needs {}", k_in,
               shapeStr(w.dims), Ap.cols());
    }
    W = alpha * Ap;
    out_shape = {Ap.rows(), 1};
  }
  Vec bias = Vec::Zero(W.rows());
  if (n.input_size() == 3 && !n.input(2).empty()) {
    const Const cb = getConst(i, n.input(2));
    const std::vector<double> bv = broadcastTo(i, cb, out_shape);
    bias = beta * Eigen::Map<const Vec>(bv.data(), static_cast<Eigen::Index>(bv.size()));
  }
  applyAffine(W, bias);
  shape_ = out_shape;
}

void Reader::opMatMul(int i) {
  const auto& n = g_.node(i);
  if (n.input_size() != 2) nodeFail(ErrorKind::kInvalidInput, i, "expects 2 inputs");
  const int pos = valueInput(i);
  const Const w = getConst(i, n.input(1 - pos));
  if (w.dims.size() != 2) {
    nodeFail(ErrorKind::kUnsupported, i, "weight '{}' of shape {} is not 2-D", n.input(1 - pos),
             shapeStr(w.dims));
  }
  const Eigen::Index r = w.dims[0], c = w.dims[1];
  Mat stored(r, c);
  for (Eigen::Index a = 0; a < r; ++a) {
    for (Eigen::Index b = 0; b < c; ++b) stored(a, b) = w.values[static_cast<size_t>(a * c + b)];
  }
  if (shape_.empty()) nodeFail(ErrorKind::kUnsupported, i, "scalar input");
  if (pos == 0) {
    // value[..., K] @ W[K, N]: all leading dimensions must be 1.
    const int64_t k_in = shape_.back();
    if (numel(shape_) != k_in) {
      nodeFail(ErrorKind::kUnsupported, i, "input of shape {} is not a single row vector",
               shapeStr(shape_));
    }
    if (r != k_in) {
      nodeFail(ErrorKind::kInvalidInput, i, "input has {} columns but weight {} needs {}", k_in,
               shapeStr(w.dims), r);
    }
    applyAffine(stored.transpose(), Vec::Zero(c));
    shape_.back() = c;
  } else {
    // W[M, K] @ value[K, 1] (or value[K]).
    const bool vec1 = shape_.size() == 1;
    const int64_t k_in = vec1 ? shape_[0] : shape_[shape_.size() - 2];
    if (numel(shape_) != k_in) {
      nodeFail(ErrorKind::kUnsupported, i, "input of shape {} is not a single column vector",
               shapeStr(shape_));
    }
    if (c != k_in) {
      nodeFail(ErrorKind::kInvalidInput, i, "input has {} rows but weight {} needs {}", k_in,
               shapeStr(w.dims), c);
    }
    applyAffine(stored, Vec::Zero(r));
    if (vec1) {
      shape_[0] = r;
    } else {
      shape_[shape_.size() - 2] = r;
    }
  }
}

void Reader::opFlatten(int i) {
  valueInput(i);
  const int64_t rank = static_cast<int64_t>(shape_.size());
  int64_t axis = intAttr(i, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) nodeFail(ErrorKind::kInvalidInput, i, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < rank; ++k) (k < axis ? outer : inner) *= shape_[static_cast<size_t>(k)];
  shape_ = {outer, inner};
}

void Reader::opReshape(int i) {
  const auto& n = g_.node(i);
  if (n.input_size() != 2) nodeFail(ErrorKind::kInvalidInput, i, "expects 2 inputs");
  const int pos = valueInput(i);
  if (pos != 0) nodeFail(ErrorKind::kUnsupported, i, "running value used as the shape");
  const Const s = getConst(i, n.input(1));
  if (!s.is_int) nodeFail(ErrorKind::kInvalidInput, i, "shape is not an INT64 tensor");
  Shape out;
  int infer = -1;
  for (size_t k = 0; k < s.ints.size(); ++k) {
    int64_t d = s.ints[k];
    if (d == 0) {
      if (k >= shape_.size()) nodeFail(ErrorKind::kInvalidInput, i, "0 in shape out of range");
      d = shape_[k];
    } else if (d == -1) {
      if (infer >= 0) nodeFail(ErrorKind::kInvalidInput, i, "more than one -1 in shape");
      infer = static_cast<int>(k);
      d = 1;
    } else if (d < 0) {
      nodeFail(ErrorKind::kInvalidInput, i, "negative dimension {} in shape", d);
    }
    out.push_back(d);
  }
  const int64_t total = numel(shape_);
  if (infer >= 0) {
    const int64_t rest = numel(out);
    if (rest <= 0 || total < 0 || total % rest != 0) {
      nodeFail(ErrorKind::kInvalidInput, i, "cannot reshape {} to {}", shapeStr(shape_),
               fmt::join(s.ints, ","));
    }
    out[static_cast<size_t>(infer)] = total / rest;
  }
  if (numel(out) != total) {
    nodeFail(ErrorKind::kInvalidInput, i, "cannot reshape {} to {}", shapeStr(shape_),
             shapeStr(out));
  }
  shape_ = out;
}

void Reader::opRelu(int i) {
  valueInput(i);
  // Relu(Relu(x)) = Relu(x): nothing to add when no affine map separates them.
  if (pending_.isIdentity() && !layers_.empty() && layers_.back().activation == Activation::kRelu) {
    return;
  }
  closeLayer(Activation::kRelu);
}

void Reader::opSoftmax(int i) {
  valueInput(i);
  const int64_t rank = static_cast<int64_t>(shape_.size());
  int64_t axis = intAttr(i, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) nodeFail(ErrorKind::kInvalidInput, i, "axis out of range");
  if (numel(shape_) != shape_[static_cast<size_t>(axis)]) {
    nodeFail(ErrorKind::kUnsupported, i,
             "softmax over axis {} of shape {} is not over the whole "
             "output vector",
             axis, shapeStr(shape_));
  }
  closeLayer(Activation::kSoftmax);
  softmax_done_ = true;
}

void Reader::opStep(int cmp, bool is_less) {
  const auto& n = g_.node(cmp);
  if (n.input_size() != 2) nodeFail(ErrorKind::kInvalidInput, cmp, "expects 2 inputs");
  if (valueInput(cmp) != 0) {
    nodeFail(ErrorKind::kUnsupported, cmp, "threshold must be the second input");
  }
  const Const lam = getConst(cmp, n.input(1));
  const std::vector<double> lv = broadcastTo(cmp, lam, shape_);
  const std::string cond = n.output(0);
  cur_ = cond;
  const int w = soleConsumer(cond);
  if (w < 0 || g_.node(w).op_type() != "Where") {
    nodeFail(ErrorKind::kUnsupported, cmp,
             "a comparison must feed a Where node (the step-activation encoding)");
  }
  visited_[static_cast<size_t>(w)] = true;
  const auto& wn = g_.node(w);
  if (wn.input_size() != 3 || wn.input(0) != cond) {
    nodeFail(ErrorKind::kUnsupported, w, "expects the comparison result as its condition");
  }
  valueInput(w);
  auto scalar = [&](const std::string& name) {
    const Const c = getConst(w, name);
    if (c.values.empty()) nodeFail(ErrorKind::kInvalidInput, w, "empty constant '{}'", name);
    for (double v : c.values) {
      if (v != c.values.front()) {
        nodeFail(ErrorKind::kUnsupported, w, "'{}' must be one value for the whole layer", name);
      }
    }
    (void)broadcastTo(w, c, shape_);
    return c.values.front();
  };
  const double on_true = scalar(wn.input(1));
  const double on_false = scalar(wn.input(2));
  StepParams step;
  step.lambda = Eigen::Map<const Vec>(lv.data(), static_cast<Eigen::Index>(lv.size()));
  step.beta = is_less ? on_true : on_false;
  step.gamma = is_less ? on_false : on_true;
  closeLayer(Activation::kStep, &step);
  cur_ = wn.output(0);
}

Network Reader::read() {
  // Constants and consumers.
  for (const auto& t : g_.initializer()) initializers_[t.name()] = &t;
  visited_.assign(static_cast<size_t>(g_.node_size()), false);
  for (int i = 0; i < g_.node_size(); ++i) {
    const auto& n = g_.node(i);
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      nodeFail(ErrorKind::kUnsupported, i, "operator domain '{}' is not supported", n.domain());
    }
    if (n.op_type() == "Constant") {
      if (n.output_size() != 1) nodeFail(ErrorKind::kInvalidInput, i, "expects 1 output");
      constant_nodes_[n.output(0)] = i;
      visited_[static_cast<size_t>(i)] = true;
      continue;
    }
    for (const auto& in : n.input()) {
      if (!in.empty()) consumers_[in].push_back(i);
    }
  }

  // The single real input (graph inputs that are not initializers).
  const onnx::ValueInfoProto* input = nullptr;
  for (const auto& vi : g_.input()) {
    if (initializers_.count(vi.name()) > 0) continue;
    if (input != nullptr) {
      graphFail(ErrorKind::kUnsupported, "more than one input ('{}', '{}')", input->name(),
                vi.name());
    }
    input = &vi;
  }
  if (input == nullptr)
    graphFail(ErrorKind::kInvalidInput, "no input (empty or not an ONNX model?)");
  if (g_.output_size() != 1) {
    graphFail(ErrorKind::kUnsupported, "expected exactly one output, found {}", g_.output_size());
  }
  if (!input->type().has_tensor_type() || !input->type().tensor_type().has_shape()) {
    graphFail(ErrorKind::kUnsupported, "input '{}' has no tensor shape", input->name());
  }
  const auto& dims = input->type().tensor_type().shape().dim();
  for (int k = 0; k < dims.size(); ++k) {
    if (dims[k].has_dim_value()) {
      if (dims[k].dim_value() <= 0) {
        graphFail(ErrorKind::kInvalidInput, "input '{}' has dimension {}", input->name(),
                  dims[k].dim_value());
      }
      shape_.push_back(dims[k].dim_value());
    } else if (k == 0 && dims.size() >= 2) {
      shape_.push_back(1);  // symbolic batch dimension
    } else {
      graphFail(ErrorKind::kUnsupported, "input '{}' has a symbolic dimension {}", input->name(),
                k);
    }
  }
  if (shape_.empty()) graphFail(ErrorKind::kUnsupported, "scalar input '{}'", input->name());
  const int64_t n_in = numel(shape_);
  if (n_in < 0 || n_in > kMaxInputs) {
    graphFail(ErrorKind::kInvalidInput, "input '{}' of shape {} has more than {} values",
              input->name(), shapeStr(shape_), kMaxInputs);
  }
  checkMemoryEstimate(24.0 * static_cast<double>(n_in), ErrorKind::kInvalidInput,
                      fmt::format("{}: an input of {} values", path_, n_in));
  resetPending(n_in);

  // Walk the chain.
  cur_ = input->name();
  for (;;) {
    const int i = soleConsumer(cur_);
    if (i < 0) break;
    visited_[static_cast<size_t>(i)] = true;
    const auto& n = g_.node(i);
    const std::string& op = n.op_type();
    if (softmax_done_) nodeFail(ErrorKind::kUnsupported, i, "Softmax must be the last op");
    if (n.output_size() < 1) nodeFail(ErrorKind::kInvalidInput, i, "has no output");
    for (int k = 1; k < n.output_size(); ++k) {
      if (!n.output(k).empty() && consumers_.count(n.output(k)) > 0) {
        nodeFail(ErrorKind::kUnsupported, i, "secondary output '{}' is used", n.output(k));
      }
    }
    if (op == "Gemm") {
      opGemm(i);
    } else if (op == "MatMul") {
      opMatMul(i);
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      opElementwise(i, op);
    } else if (op == "Relu") {
      opRelu(i);
    } else if (op == "Softmax") {
      opSoftmax(i);
    } else if (op == "Flatten") {
      opFlatten(i);
    } else if (op == "Reshape") {
      opReshape(i);
    } else if (op == "Identity" || op == "Dropout") {
      valueInput(i);
    } else if (op == "Less" || op == "GreaterOrEqual") {
      opStep(i, op == "Less");
      continue;  // opStep moved cur_ past the Where node
    } else {
      nodeFail(ErrorKind::kUnsupported, i, "unsupported operator");
    }
    cur_ = n.output(0);
  }

  if (cur_ != g_.output(0).name()) {
    graphFail(ErrorKind::kUnsupported,
              "the chain from input '{}' ends at '{}', not at the graph "
              "output '{}'",
              input->name(), cur_, g_.output(0).name());
  }
  for (int i = 0; i < g_.node_size(); ++i) {
    if (!visited_[static_cast<size_t>(i)]) {
      nodeFail(ErrorKind::kUnsupported, i,
               "not on the input-output chain (only chain graphs "
               "are supported)");
    }
  }
  if (!pending_.isIdentity() || layers_.empty()) closeLayer(Activation::kIdentity);
  Network net;
  for (auto& l : layers_) {
    try {
      net.addLayer(std::move(l));
    } catch (const Error& e) {
      graphFail(ErrorKind::kInvalidInput, "{}", e.what());
    }
  }
  net.validate(path_);
  return net;
}

// ---- writer ---------------------------------------------------------------------------------

void setTensor(onnx::TensorProto* t, const std::string& name, const Shape& dims,
               const std::vector<double>& values, OnnxPrecision precision) {
  t->set_name(name);
  for (int64_t d : dims) t->add_dims(d);
  std::string raw;
  if (precision == OnnxPrecision::kFloat) {
    t->set_data_type(onnx::TensorProto::FLOAT);
    raw.reserve(values.size() * 4);
    for (double v : values) appendLittleEndian<float>(raw, static_cast<float>(v));
  } else {
    t->set_data_type(onnx::TensorProto::DOUBLE);
    raw.reserve(values.size() * 8);
    for (double v : values) appendLittleEndian<double>(raw, v);
  }
  t->set_raw_data(std::move(raw));
}

void setValueInfo(onnx::ValueInfoProto* vi, const std::string& name, int64_t size,
                  OnnxPrecision precision) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(precision == OnnxPrecision::kFloat ? onnx::TensorProto::FLOAT
                                                       : onnx::TensorProto::DOUBLE);
  auto* shape = tt->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  shape->add_dim()->set_dim_value(size);
}

onnx::NodeProto* addNode(onnx::GraphProto* g, const std::string& op, const std::string& name,
                         std::initializer_list<std::string> inputs, const std::string& output) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  return n;
}

Network parseOnnxChecked(std::string_view bytes, const std::string& path) {
  if (bytes.empty()) fail(ErrorKind::kInvalidInput, "{}: empty file, not an ONNX model", path);
  onnx::ModelProto model;
  if (bytes.size() > kMaxOnnxBytes ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    fail(ErrorKind::kInvalidInput, "{}: not a valid ONNX protobuf (truncated or corrupt file)",
         path);
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    fail(ErrorKind::kInvalidInput, "{}: ONNX model has no graph nodes (truncated or corrupt?)",
         path);
  }
  Reader reader(path, model.graph());
  Network net = reader.read();
  net.name = std::filesystem::path(path).stem().string();
  return net;
}

}  // namespace

Network readOnnx(const std::string& path) {
  const std::string bytes = readInputFile(path, kMaxOnnxBytes);
  Network net = parseOnnx(bytes, path);
  net.name = std::filesystem::path(path).stem().string();
  return net;
}

Network parseOnnx(std::string_view bytes, const std::string& path) {
  try {
    return parseOnnxChecked(bytes, path);
  } catch (const std::bad_alloc&) {
    // A size the checks above missed: still the file's fault, and said in one line.
    fail(ErrorKind::kInvalidInput, "{}: the network is too large to load (out of memory)", path);
  } catch (const std::length_error&) {
    fail(ErrorKind::kInvalidInput, "{}: the network is too large to load (length error)", path);
  }
}

void writeOnnx(const Network& net, const std::string& path, OnnxPrecision precision) {
  net.validate(path);
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("nnmip");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* g = model.mutable_graph();
  g->set_name("nnmip");
  setValueInfo(g->add_input(), "input", net.inputSize(), precision);
  setValueInfo(g->add_output(), "output", net.outputSize(), precision);

  std::string h = "input";
  const int L = net.numLayers();
  for (int l = 0; l < L; ++l) {
    const DenseLayer& layer = net.layer(l);
    const bool last = l + 1 == L;
    auto out_name = [&](const std::string& stem) {
      return last ? std::string("output") : fmt::format("{}{}", stem, l);
    };
    const std::string W = fmt::format("W{}", l), b = fmt::format("b{}", l);
    std::vector<double> wv(static_cast<size_t>(layer.weight.size()));
    for (Eigen::Index r = 0; r < layer.weight.rows(); ++r) {
      for (Eigen::Index c = 0; c < layer.weight.cols(); ++c) {
        wv[static_cast<size_t>(r * layer.weight.cols() + c)] = layer.weight(r, c);
      }
    }
    setTensor(g->add_initializer(), W, {layer.weight.rows(), layer.weight.cols()}, wv, precision);
    setTensor(g->add_initializer(), b, {layer.bias.size()},
              std::vector<double>(layer.bias.data(), layer.bias.data() + layer.bias.size()),
              precision);
    const std::string a =
        layer.activation == Activation::kIdentity ? out_name("a") : fmt::format("a{}", l);
    auto* gemm = addNode(g, "Gemm", fmt::format("gemm{}", l), {h, W, b}, a);
    auto* tb = gemm->add_attribute();
    tb->set_name("transB");
    tb->set_type(onnx::AttributeProto::INT);
    tb->set_i(1);
    switch (layer.activation) {
      case Activation::kIdentity: h = a; break;
      case Activation::kRelu:
        h = out_name("h");
        addNode(g, "Relu", fmt::format("relu{}", l), {a}, h);
        break;
      case Activation::kSoftmax: {
        h = out_name("h");
        auto* sm = addNode(g, "Softmax", fmt::format("softmax{}", l), {a}, h);
        auto* ax = sm->add_attribute();
        ax->set_name("axis");
        ax->set_type(onnx::AttributeProto::INT);
        ax->set_i(-1);
        break;
      }
      case Activation::kStep: {
        const std::string lam = fmt::format("lambda{}", l), be = fmt::format("beta{}", l),
                          ga = fmt::format("gamma{}", l), c = fmt::format("c{}", l);
        const Vec& lv = layer.step.lambda;
        setTensor(g->add_initializer(), lam, {lv.size()},
                  std::vector<double>(lv.data(), lv.data() + lv.size()), precision);
        setTensor(g->add_initializer(), be, {1}, {layer.step.beta}, precision);
        setTensor(g->add_initializer(), ga, {1}, {layer.step.gamma}, precision);
        addNode(g, "Less", fmt::format("step_less{}", l), {a, lam}, c);
        h = out_name("h");
        addNode(g, "Where", fmt::format("step_where{}", l), {c, be, ga}, h);
        break;
      }
    }
  }

  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    if (!model.SerializeToCodedStream(&cos)) fail(ErrorKind::kIo, "{}: cannot serialise", path);
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      fail(ErrorKind::kIo, "{}: write failed", tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ec2;
    std::filesystem::remove(tmp, ec2);
    fail(ErrorKind::kIo, "{}: cannot rename {} into place: {}", path, tmp, ec.message());
  }
}

}  // namespace nnmip::nn
