// ONNX import/export: the VNN-COMP networks, hand-built graphs, round trips and bad input.
#include "nn/onnx_io.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/forward.hpp"
#include "onnx_test_builder.hpp"
#include "support/paths.hpp"

namespace nnmip::nn {
namespace {

namespace fs = std::filesystem;
using support::sharedPath;
using testing::GraphBuilder;
using testing::makeDoubleTensor;
using testing::makeFloatTensor;
using testing::makeInt64Tensor;

// A scratch folder per test process, removed at the end of each test.
class TempDir {
 public:
  TempDir() {
    // Parameterised test names contain '/': flatten them so one folder is made and removed.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = fs::temp_directory_path() / fmt::format("nnmip_onnx_test_{}_{}", ::getpid(), name);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Expects readOnnx(path) to throw an Error of `kind` whose one-line message names the file and
// contains every string in `parts`.
void expectReadError(const std::string& path, ErrorKind kind,
                     std::initializer_list<std::string> parts) {
  try {
    readOnnx(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), kind) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << p << " in: " << msg;
  }
}

// ---------------------------------------------------------------------------------------------
// The shared VNN-COMP networks.

TEST(OnnxRead, MnistFcNetworks) {
  NNMIP_SKIP_WITHOUT_DATA();
  for (int depth : {2, 4, 6}) {
    const Network net =
        readOnnx(sharedPath(fmt::format("vnncomp/mnist_fc/onnx/mnist-net_256x{}.onnx", depth)));
    ASSERT_EQ(net.numLayers(), depth + 1);
    EXPECT_EQ(net.inputSize(), 784);
    EXPECT_EQ(net.outputSize(), 10);
    for (int l = 0; l < depth; ++l) {
      EXPECT_EQ(net.layer(l).outputSize(), 256);
      EXPECT_EQ(net.layer(l).activation, Activation::kRelu);
    }
    EXPECT_EQ(net.layers().back().activation, Activation::kIdentity);
    EXPECT_EQ(net.name, fmt::format("mnist-net_256x{}", depth));
  }
  const Network dev = readOnnx(sharedPath("mnistfc_vnncomp2021_dev/onnx/mnist-net_256x2.onnx"));
  EXPECT_EQ(dev.sizes(), (std::vector<int>{784, 256, 256, 10}));
}

TEST(OnnxRead, EranKeepsFinalRelu) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Network net =
      readOnnx(sharedPath("vnncomp/eran_mnist_relu_9_200/nets/mnist_relu_9_200.onnx"));
  EXPECT_EQ(net.sizes(), (std::vector<int>{784, 200, 200, 200, 200, 200, 200, 200, 200, 10}));
  for (const auto& l : net.layers()) EXPECT_EQ(l.activation, Activation::kRelu);
}

TEST(OnnxRead, AllAcasXuNetworks) {
  NNMIP_SKIP_WITHOUT_DATA();
  int count = 0;
  for (int a = 1; a <= 5; ++a) {
    for (int b = 1; b <= 9; ++b) {
      const Network net = readOnnx(
          sharedPath(fmt::format("vnncomp/acasxu/onnx/ACASXU_run2a_{}_{}_batch_2000.onnx", a, b)));
      EXPECT_EQ(net.sizes(), (std::vector<int>{5, 50, 50, 50, 50, 50, 50, 5}));
      for (int l = 0; l < 6; ++l) EXPECT_EQ(net.layer(l).activation, Activation::kRelu);
      EXPECT_EQ(net.layer(6).activation, Activation::kIdentity);
      ++count;
    }
  }
  EXPECT_EQ(count, 45);
}

// Evaluates the ACAS Xu graph directly from its raw initializers (Sub, then x @ W + B with Relu
// on the six hidden layers) and compares with the folded network.
TEST(OnnxRead, AcasXuFoldedEqualsRawGraph) {
  NNMIP_SKIP_WITHOUT_DATA();
  const std::string path = sharedPath("vnncomp/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx");
  onnx::ModelProto model;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(model.ParseFromIstream(&in));
  }
  std::map<std::string, std::vector<float>> init;
  for (const auto& t : model.graph().initializer()) {
    std::vector<float> v(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), v.size() * 4);
    init[t.name()] = v;
  }
  ASSERT_EQ(init.size(), 15u);  // AvgImg + 7 x (W, B)
  const Network net = readOnnx(path);
  Rng rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> x(5);
    for (auto& v : x) v = rng.uniform(-0.5, 0.5);
    // Raw graph.
    std::vector<double> h(5);
    for (int i = 0; i < 5; ++i)
      h[static_cast<size_t>(i)] =
          x[static_cast<size_t>(i)] - init["input_AvgImg"][static_cast<size_t>(i)];
    for (int l = 1; l <= 7; ++l) {
      const std::string stem = l == 7 ? "linear_7" : fmt::format("Operation_{}", l);
      const auto& W = init[stem + "_MatMul_W"];  // [in, out]
      const auto& B = init[stem + "_Add_B"];
      const size_t in = h.size(), out = B.size();
      ASSERT_EQ(W.size(), in * out);
      std::vector<double> next(out);
      for (size_t j = 0; j < out; ++j) {
        double s = 0.0;
        for (size_t i = 0; i < in; ++i) s += h[i] * static_cast<double>(W[i * out + j]);
        s += B[j];
        next[j] = l == 7 ? s : std::max(s, 0.0);
      }
      h = next;
    }
    const Vec y = forward(net, Eigen::Map<const Vec>(x.data(), 5));
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(y(j), h[static_cast<size_t>(j)], 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-built graphs.

// input [1,1,1,2] -> Sub [1,-1] -> Div 2 -> Mul 4 -> Add 0.5 -> Flatten -> MatMul W -> Add b
// (constant first) -> Relu -> Gemm(transB=0, alpha 2, beta 3)
//   x' = ((x - m) / 2) * 4 + 0.5 = 2x - 2m + 0.5;  with m = (1, -1):  x' = (2x0 - 1.5, 2x1 + 2.5)
//   W = [[1, 2], [3, -1]] ([in, out], so a_j = sum_i x'_i W_ij), b = (1, -2)
//   x = (1, 1): x' = (0.5, 4.5); a = (0.5 + 13.5 + 1, 1 - 4.5 - 2) = (15, -5.5); relu -> (15, 0)
//   Gemm B = [[1], [1]] ([K=2, N=1]), C = 1: y = 2 * (15 + 0) + 3 = 33
TEST(OnnxRead, FoldsNormalisationIntoFirstLayer) {
  TempDir dir;
  GraphBuilder g("x", {1, 1, 1, 2}, "y");
  g.addInitializer(makeFloatTensor("mean", {1, 1, 1, 2}, {1.0f, -1.0f}, /*raw=*/true));
  g.addConstant("two", makeDoubleTensor("two", {}, {2.0}));
  g.addInitializer(makeFloatTensor("four", {1}, {4.0f}));
  g.addInitializer(makeFloatTensor("half", {}, {0.5f}));
  g.addInitializer(makeFloatTensor("W", {2, 2}, {1, 2, 3, -1}));
  g.addConstant("b", makeFloatTensor("b", {2}, {1, -2}));
  g.addInitializer(makeFloatTensor("B2", {2, 1}, {1, 1}, true));
  g.addInitializer(makeFloatTensor("C2", {1}, {1}));
  g.addNode("Sub", "sub", {"x", "mean"}, "s");
  g.addNode("Div", "div", {"s", "two"}, "d");
  g.addNode("Mul", "mul", {"four", "d"}, "m");
  g.addNode("Add", "add", {"m", "half"}, "n");
  g.addNode("Flatten", "flat", {"n"}, "f");
  g.addNode("MatMul", "mm", {"f", "W"}, "mmo");
  g.addNode("Add", "bias", {"b", "mmo"}, "a");
  g.addNode("Relu", "relu", {"a"}, "r");
  auto* gemm = g.addNode("Gemm", "gemm", {"r", "B2", "C2"}, "y");
  GraphBuilder::setFloat(gemm, "alpha", 2.0f);
  GraphBuilder::setFloat(gemm, "beta", 3.0f);
  const std::string path = dir.file("norm.onnx");
  g.save(path);

  const Network net = readOnnx(path);
  ASSERT_EQ(net.sizes(), (std::vector<int>{2, 2, 1}));
  // Folded first layer: W^T diag(2) and b + W^T (-2m + 0.5) = (1,-2) + (1*(-1.5) + 3*2.5, 2*(-1.5)
  // - 2.5)
  Mat w0(2, 2);
  w0 << 2, 6, 4, -2;
  EXPECT_EQ(net.layer(0).weight, w0);
  EXPECT_EQ(net.layer(0).bias, Vec((Vec(2) << 7.0, -7.5).finished()));
  EXPECT_EQ(net.layer(0).activation, Activation::kRelu);
  EXPECT_EQ(net.layer(1).weight, Mat::Constant(1, 2, 2.0));
  EXPECT_EQ(net.layer(1).bias(0), 3.0);
  EXPECT_EQ(forward(net, Vec::Ones(2))(0), 33.0);
}

// Gemm with the running value as B: y = A x (A [2,3] stored transposed, transA=1), Reshape to
// [1,2] (-1 inferred), then Softmax.
TEST(OnnxRead, GemmValueAsBThenReshapeSoftmax) {
  TempDir dir;
  GraphBuilder g("x", {3, 1}, "p");
  g.addInitializer(makeFloatTensor("At", {3, 2}, {1, 0, 0, 1, 1, 1}));  // A = [[1,0,1],[0,1,1]]
  g.addInitializer(makeInt64Tensor("shape", {2}, {1, -1}));
  auto* n = g.addNode("Gemm", "", {"At", "x"}, "z");
  GraphBuilder::setInt(n, "transA", 1);
  g.addNode("Reshape", "", {"z", "shape"}, "zr");
  auto* sm = g.addNode("Softmax", "", {"zr"}, "p");
  GraphBuilder::setInt(sm, "axis", 1);
  const std::string path = dir.file("gemm_b.onnx");
  g.save(path);
  const Network net = readOnnx(path);
  ASSERT_EQ(net.sizes(), (std::vector<int>{3, 2}));
  Mat a(2, 3);
  a << 1, 0, 1, 0, 1, 1;
  EXPECT_EQ(net.layer(0).weight, a);
  EXPECT_EQ(net.layer(0).activation, Activation::kSoftmax);
}

// The alternative step encoding: GreaterOrEqual(a, lambda) -> Where(c, gamma, beta), DOUBLE
// tensors given as double_data.
//   a = W x with W = [[1, -1]] ; lambda = 0.5 ; gamma = 2, beta = -3
TEST(OnnxRead, StepFromGreaterOrEqualWhere) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  g.addInitializer(makeDoubleTensor("W", {1, 2}, {1, -1}));
  g.addInitializer(makeDoubleTensor("lam", {1}, {0.5}));
  g.addInitializer(makeDoubleTensor("gam", {}, {2}));
  g.addInitializer(makeDoubleTensor("bet", {1}, {-3}));
  auto* n = g.addNode("Gemm", "g", {"x", "W"}, "a");
  GraphBuilder::setInt(n, "transB", 1);
  g.addNode("GreaterOrEqual", "ge", {"a", "lam"}, "c");
  g.addNode("Where", "w", {"c", "gam", "bet"}, "y");
  g.save(dir.file("ge.onnx"));
  const Network net = readOnnx(dir.file("ge.onnx"));
  ASSERT_EQ(net.numLayers(), 1);
  EXPECT_EQ(net.layer(0).activation, Activation::kStep);
  EXPECT_EQ(net.layer(0).step.lambda, Vec::Constant(1, 0.5));
  EXPECT_EQ(net.layer(0).step.beta, -3.0);
  EXPECT_EQ(net.layer(0).step.gamma, 2.0);
  EXPECT_EQ(forward(net, (Vec(2) << 1.5, 1).finished())(0), 2.0);   // a = 0.5 >= 0.5
  EXPECT_EQ(forward(net, (Vec(2) << 1.4, 1).finished())(0), -3.0);  // a = 0.4 < 0.5
}

// Gemm with the running value as A stored transposed: x is [3, 1], transA = 1, so A' = x^T.
//   B = [[1, 2], [3, 4], [5, 6]] ([K=3, N=2]); x = (1, 1, 1): y = (9, 12)
TEST(OnnxRead, GemmTransA) {
  TempDir dir;
  GraphBuilder g("x", {3, 1}, "y");
  g.addInitializer(makeFloatTensor("B", {3, 2}, {1, 2, 3, 4, 5, 6}));
  auto* n = g.addNode("Gemm", "gt", {"x", "B"}, "y");
  GraphBuilder::setInt(n, "transA", 1);
  g.save(dir.file("ta.onnx"));
  const Network net = readOnnx(dir.file("ta.onnx"));
  EXPECT_EQ(forward(net, Vec::Ones(3)), (Vec(2) << 9, 12).finished());
  // Without transA the [3, 1] input is not a row vector.
  GraphBuilder::setInt(n, "transA", 0);
  n->mutable_attribute()->DeleteSubrange(0, 1);
  g.save(dir.file("nota.onnx"));
  expectReadError(dir.file("nota.onnx"), ErrorKind::kUnsupported, {"gt", "Gemm", "row vector"});
}

// Relu directly on the input gives an identity layer; Relu(Relu(.)) adds nothing.
TEST(OnnxRead, ReluOnInputAndDoubleRelu) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  g.addNode("Relu", "r0", {"x"}, "r");
  g.addNode("Relu", "r1", {"r"}, "y");
  g.save(dir.file("relu.onnx"));
  const Network net = readOnnx(dir.file("relu.onnx"));
  ASSERT_EQ(net.numLayers(), 1);
  EXPECT_EQ(net.layer(0).weight, Mat::Identity(2, 2));
  EXPECT_EQ(net.layer(0).activation, Activation::kRelu);
}

// ---------------------------------------------------------------------------------------------
// Round trips.

Network randomNet(uint64_t seed, bool with_step) {
  Rng rng(seed);
  auto layer = [&](int in, int out, Activation act) {
    DenseLayer l;
    l.weight = Mat(out, in);
    for (Eigen::Index i = 0; i < l.weight.size(); ++i) l.weight.data()[i] = rng.normal(0, 0.7);
    l.bias = Vec(out);
    for (Eigen::Index i = 0; i < out; ++i) l.bias(i) = rng.normal(0, 0.1);
    l.activation = act;
    if (act == Activation::kStep) {
      l.step.lambda = Vec(out);
      for (Eigen::Index i = 0; i < out; ++i) l.step.lambda(i) = rng.uniform(-0.1, 0.1);
      l.step.beta = -1.0 / 3.0;
      l.step.gamma = 1.1;
    }
    return l;
  };
  Network net;
  net.addLayer(layer(7, 9, Activation::kRelu));
  net.addLayer(layer(9, 8, with_step ? Activation::kStep : Activation::kRelu));
  net.addLayer(layer(8, 4, Activation::kIdentity));
  return net;
}

// g++ 12.2 at -O2 miscompiles two adjacent scalar statements `d = static_cast<float>(d)`: the
// SLP vectoriser drops the double->float->double pair (checked: a struct {double a, b;} whose
// two members are rounded this way comes back unchanged; -fno-tree-slp-vectorize fixes it).
// The volatile float forces the rounding.
double toFloat32(double v) {
  volatile float f = static_cast<float>(v);
  return f;
}

Network roundFloat(Network net) {
  for (auto& l : net.mutableLayers()) {
    l.weight = l.weight.cast<float>().cast<double>();
    l.bias = l.bias.cast<float>().cast<double>();
    l.step.lambda = l.step.lambda.cast<float>().cast<double>();
    l.step.beta = toFloat32(l.step.beta);
    l.step.gamma = toFloat32(l.step.gamma);
  }
  return net;
}

void expectSameParameters(const Network& a, const Network& b) {
  ASSERT_EQ(a.numLayers(), b.numLayers());
  for (int l = 0; l < a.numLayers(); ++l) {
    EXPECT_EQ(a.layer(l).weight, b.layer(l).weight) << "layer " << l;
    EXPECT_EQ(a.layer(l).bias, b.layer(l).bias) << "layer " << l;
    EXPECT_EQ(a.layer(l).activation, b.layer(l).activation) << "layer " << l;
    if (a.layer(l).activation == Activation::kStep) {
      EXPECT_EQ(a.layer(l).step.lambda, b.layer(l).step.lambda);
      EXPECT_EQ(a.layer(l).step.beta, b.layer(l).step.beta)
          << fmt::format("{:a} {:a}", a.layer(l).step.beta, b.layer(l).step.beta);
      EXPECT_EQ(a.layer(l).step.gamma, b.layer(l).step.gamma);
    }
  }
}

class OnnxRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(OnnxRoundTrip, FloatRoundsOnceAndIsStable) {
  TempDir dir;
  const Network net = randomNet(11, GetParam());
  writeOnnx(net, dir.file("a.onnx"));
  const Network back = readOnnx(dir.file("a.onnx"));
  const Network rounded = roundFloat(net);
  expectSameParameters(back, rounded);
  // The rounding really happened (the weights are not float-representable).
  EXPECT_NE(back.layer(0).weight, net.layer(0).weight);
  // Second round trip: identical parameters and identical bytes.
  writeOnnx(back, dir.file("b.onnx"));
  const Network back2 = readOnnx(dir.file("b.onnx"));
  expectSameParameters(back2, back);
  EXPECT_EQ(readBytes(dir.file("a.onnx")), readBytes(dir.file("b.onnx")));
  EXPECT_FALSE(fs::exists(dir.file("a.onnx.tmp")));
  // Forward agrees with the float32-rounded network on 100 random inputs (exactly: same
  // parameters, same arithmetic), and closely with the original.
  Rng rng(3);
  Mat X(100, net.inputSize());
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-1, 1);
  const Mat y_back = forwardBatch(back, X);
  EXPECT_EQ(y_back, forwardBatch(rounded, X));
  if (!GetParam()) {
    EXPECT_LT((y_back - forwardBatch(net, X)).cwiseAbs().maxCoeff(), 1e-5);
  }
}

TEST_P(OnnxRoundTrip, DoubleIsExact) {
  TempDir dir;
  const Network net = randomNet(12, GetParam());
  writeOnnx(net, dir.file("a.onnx"), OnnxPrecision::kDouble);
  const Network back = readOnnx(dir.file("a.onnx"));
  expectSameParameters(back, net);
  writeOnnx(back, dir.file("b.onnx"), OnnxPrecision::kDouble);
  EXPECT_EQ(readBytes(dir.file("a.onnx")), readBytes(dir.file("b.onnx")));
  Rng rng(4);
  Mat X(100, net.inputSize());
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-1, 1);
  EXPECT_EQ(forwardBatch(back, X), forwardBatch(net, X));
}

INSTANTIATE_TEST_SUITE_P(ReluAndStep, OnnxRoundTrip, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Step" : "Relu"; });

TEST(OnnxRoundTripShared, MnistFcIsStable) {
  NNMIP_SKIP_WITHOUT_DATA();
  TempDir dir;
  // The VNN-COMP weights are float32 already, so the first export changes nothing.
  const Network net = readOnnx(sharedPath("vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx"));
  writeOnnx(net, dir.file("a.onnx"));
  const Network back = readOnnx(dir.file("a.onnx"));
  expectSameParameters(back, net);
  writeOnnx(back, dir.file("b.onnx"));
  EXPECT_EQ(readBytes(dir.file("a.onnx")), readBytes(dir.file("b.onnx")));
}

TEST(OnnxRoundTripShared, SoftmaxLayer) {
  TempDir dir;
  Network net = randomNet(5, false);
  net.mutableLayers().back().activation = Activation::kSoftmax;
  writeOnnx(net, dir.file("s.onnx"), OnnxPrecision::kDouble);
  expectSameParameters(readOnnx(dir.file("s.onnx")), net);
}

// ---------------------------------------------------------------------------------------------
// Bad input: one line naming the file (and the node and op where there is one).

TEST(OnnxBadInput, MissingFile) {
  expectReadError("/nonexistent/none.onnx", ErrorKind::kIo, {"no such file"});
}

// Issue 21: a directory or a device is refused before it is read (no read until bad_alloc).
TEST(OnnxBadInput, NotARegularFile) {
  TempDir dir;
  expectReadError(dir.file(""), ErrorKind::kInvalidInput, {"is a directory, not a regular file"});
  expectReadError("/dev/zero", ErrorKind::kInvalidInput, {"a character device"});
}

// Issue 21: weight dims 2^32 x 2^32 multiply to 2^64, which wrapped to 0 = the number of values
// stored, and the reader then asked Eigen for a 2^32 x 2^32 matrix (std::bad_alloc).
TEST(Regression, Issue21_WeightDimsProductOverflow) {
  const std::string bytes(
      "\x08\x07\x3a\x64\x0a\x1c\x0a\x05\x69\x6e\x70\x75\x74\x0a\x01\x57\x12\x03\x6f\x75\x74\x22\x04"
      "\x47\x65\x6d\x6d\x1a\x05\x67\x65\x6d\x6d\x30\x12\x01\x67\x2a\x11\x08\x80\x80\x80\x80\x10\x08"
      "\x80\x80\x80\x80\x10\x10\x01\x42\x01\x57\x5a\x17\x0a\x05\x69\x6e\x70\x75\x74\x12\x0e\x0a\x0c"
      "\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x62\x15\x0a\x03\x6f\x75\x74\x12\x0e\x0a\x0c"
      "\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x42\x04\x0a\x00\x10\x0d",
      110);
  try {
    parseOnnx(bytes, "overflow.onnx");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("overflow.onnx: node 'gemm0' (Gemm): tensor 'W': shape "
                                         "[4294967296,4294967296] has more than 2147483648"),
              std::string::npos)
        << e.what();
  }
}

TEST(OnnxBadInput, TruncatedFile) {
  TempDir dir;
  writeOnnx(randomNet(1, false), dir.file("full.onnx"));
  const std::string bytes = readBytes(dir.file("full.onnx"));
  for (size_t keep : {bytes.size() / 2, bytes.size() - 3, size_t{10}}) {
    const std::string path = dir.file(fmt::format("cut{}.onnx", keep));
    writeBytes(path, bytes.substr(0, keep));
    expectReadError(path, ErrorKind::kInvalidInput, {});
  }
}

TEST(OnnxBadInput, TruncatedSharedNetwork) {
  NNMIP_SKIP_WITHOUT_DATA();
  TempDir dir;
  const std::string bytes = readBytes(sharedPath("vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx"));
  const std::string path = dir.file("cut.onnx");
  writeBytes(path, bytes.substr(0, bytes.size() * 2 / 3));
  expectReadError(path, ErrorKind::kInvalidInput, {});
}

TEST(OnnxBadInput, GarbageBytes) {
  TempDir dir;
  Rng rng(9);
  std::string junk(4096, '\0');
  for (auto& c : junk) c = static_cast<char>(rng.below(256));
  writeBytes(dir.file("junk.onnx"), junk);
  expectReadError(dir.file("junk.onnx"), ErrorKind::kInvalidInput, {});
  writeBytes(dir.file("text.onnx"), "this is not an onnx model\n");
  expectReadError(dir.file("text.onnx"), ErrorKind::kInvalidInput, {});
  writeBytes(dir.file("empty.onnx"), "");
  expectReadError(dir.file("empty.onnx"), ErrorKind::kInvalidInput, {"empty"});
}

TEST(OnnxBadInput, UnsupportedConv) {
  TempDir dir;
  GraphBuilder g("x", {1, 1, 4, 4}, "y");
  g.addInitializer(makeFloatTensor("k", {1, 1, 2, 2}, {1, 1, 1, 1}));
  g.addNode("Conv", "conv1", {"x", "k"}, "y");
  g.save(dir.file("conv.onnx"));
  expectReadError(dir.file("conv.onnx"), ErrorKind::kUnsupported, {"conv1", "Conv"});
}

TEST(OnnxBadInput, NonConstantWeight) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  auto* w = g.model().mutable_graph()->add_input();
  w->set_name("w");
  g.addNode("MatMul", "mm", {"x", "w"}, "y");
  g.save(dir.file("nonconst.onnx"));
  // Two real inputs.
  expectReadError(dir.file("nonconst.onnx"), ErrorKind::kUnsupported, {"more than one input"});
  GraphBuilder h("x", {1, 2}, "y");
  h.addInitializer(makeFloatTensor("w0", {2, 2}, {1, 0, 0, 1}));
  h.addNode("Relu", "r", {"w0"}, "w");  // computed from a constant, not a constant itself
  h.addNode("MatMul", "mm", {"x", "w"}, "y");
  h.save(dir.file("nonconst2.onnx"));
  expectReadError(dir.file("nonconst2.onnx"), ErrorKind::kUnsupported,
                  {"mm", "MatMul", "not a constant"});
}

TEST(OnnxBadInput, ShapeMismatch) {
  TempDir dir;
  GraphBuilder g("x", {1, 3}, "y");
  g.addInitializer(makeFloatTensor("W", {2, 2}, {1, 0, 0, 1}));
  auto* n = g.addNode("Gemm", "gemm0", {"x", "W"}, "y");
  GraphBuilder::setInt(n, "transB", 1);
  g.save(dir.file("shape.onnx"));
  expectReadError(dir.file("shape.onnx"), ErrorKind::kInvalidInput, {"gemm0", "Gemm", "columns"});
}

TEST(OnnxBadInput, NanWeight) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  g.addInitializer(
      makeFloatTensor("W", {2, 2}, {1, std::numeric_limits<float>::quiet_NaN(), 0, 1}));
  auto* n = g.addNode("Gemm", "gemm_nan", {"x", "W"}, "y");
  GraphBuilder::setInt(n, "transB", 1);
  g.save(dir.file("nan.onnx"));
  expectReadError(dir.file("nan.onnx"), ErrorKind::kInvalidInput, {"gemm_nan", "Gemm", "NaN"});
}

TEST(OnnxBadInput, NonChainGraph) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  g.addInitializer(makeFloatTensor("W", {2, 2}, {1, 0, 0, 1}));
  g.addNode("MatMul", "left", {"x", "W"}, "l");
  g.addNode("Relu", "right", {"x"}, "r");
  g.addNode("Add", "join", {"l", "r"}, "y");
  g.save(dir.file("branch.onnx"));
  expectReadError(dir.file("branch.onnx"), ErrorKind::kUnsupported, {"chain"});
}

TEST(OnnxBadInput, SizeMismatchInRawData) {
  TempDir dir;
  GraphBuilder g("x", {1, 2}, "y");
  onnx::TensorProto t = makeFloatTensor("W", {2, 2}, {1, 0, 0}, /*raw=*/true);
  g.addInitializer(t);
  g.addNode("MatMul", "mm", {"x", "W"}, "y");
  g.save(dir.file("raw.onnx"));
  expectReadError(dir.file("raw.onnx"), ErrorKind::kInvalidInput, {"mm", "MatMul", "holds 3"});
}

TEST(OnnxWrite, NoHalfWrittenFileOnFailure) {
  TempDir dir;
  Network bad = randomNet(2, false);
  bad.mutableLayers()[0].weight(0, 0) = std::nan("");
  EXPECT_THROW(writeOnnx(bad, dir.file("bad.onnx")), Error);
  EXPECT_FALSE(fs::exists(dir.file("bad.onnx")));
  EXPECT_THROW(writeOnnx(randomNet(2, false), "/nonexistent_dir/x.onnx"), Error);
}

}  // namespace
}  // namespace nnmip::nn
