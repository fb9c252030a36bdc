#include "encode/compact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/forward.hpp"

namespace nnmip::encode {

namespace {

using Mat = Eigen::MatrixXd;

std::vector<mip::Term> toTerms(const Eigen::Ref<const Eigen::RowVectorXd>& coef) {
  std::vector<mip::Term> t;
  for (Eigen::Index i = 0; i < coef.size(); ++i) {
    if (coef[i] != 0.0) t.push_back({mip::Var{static_cast<int32_t>(i)}, coef[i]});
  }
  return t;
}

std::vector<AffineExpr> toExprs(const Mat& coef, const Vec& constant) {
  std::vector<AffineExpr> out(static_cast<size_t>(coef.rows()));
  for (Eigen::Index j = 0; j < coef.rows(); ++j) {
    out[static_cast<size_t>(j)] = {toTerms(coef.row(j)), constant[j]};
  }
  return out;
}

// lo <= coef . v + c <= hi as a row over the columns of an expression v = E cols + e.
void addAffineRow(mip::Model& model, const Eigen::RowVectorXd& coef, double constant, double lo,
                  double hi, const std::string& name, bool& empty) {
  std::vector<mip::Term> terms = toTerms(coef);
  if (terms.empty()) {  // a constant: the row holds or the domain is empty
    if (constant < lo || constant > hi) empty = true;
    return;
  }
  model.addRow(lo - constant, hi - constant, terms, name);
}

// The per-layer state of the construction: the previous layer's output as E cols + e.
struct Builder {
  const nn::Network& net;
  const Domain& domain;
  const NetworkBounds& bounds;
  const CompactOptions& options;
  CompactEncoding enc;
  Mat e_mat;
  Vec e_const;

  void addInputs() {
    const int n_in = net.inputSize();
    for (int i = 0; i < n_in; ++i) {
      enc.inputs.push_back(
          enc.model.addContinuous(domain.box.lo[i], domain.box.hi[i], fmt::format("x{}", i)));
    }
    for (size_t r = 0; r < domain.input_rows.size(); ++r) {
      const LinearRow& row = domain.input_rows[r];
      addAffineRow(enc.model, row.coef.transpose(), 0.0, row.lo, row.hi, fmt::format("in_row{}", r),
                   enc.empty);
    }
    e_mat = Mat::Identity(n_in, n_in);
    e_const = Vec::Zero(n_in);
  }

  // Encodes the activation of layer l; returns its output as (post, post_c) over the columns.
  void addLayer(int l) {
    const nn::DenseLayer& layer = net.layer(l);
    LayerBounds b = bounds.layers[static_cast<size_t>(l)];
    if (!applySplits(domain, l, b)) enc.empty = true;
    // n_l x numVars; E is the identity on layer 0 (skip the 784^2 product there).
    const Mat pre = l == 0 ? Mat(layer.weight) : Mat(layer.weight * e_mat);
    const Vec pre_c = l == 0 ? Vec(layer.bias) : Vec(layer.weight * e_const + layer.bias);
    enc.pre.push_back(toExprs(pre, pre_c));
    const int n = layer.outputSize();
    const bool relu = isReluLayer(layer);
    Mat post = pre;
    Vec post_c = pre_c;
    std::vector<std::pair<int, mip::Var>> new_cols;  // (neuron, h column), in order
    for (int j = 0; j < n; ++j) {
      if (!relu) continue;
      const std::vector<mip::Term>& a_terms = enc.pre.back()[static_cast<size_t>(j)].terms;
      const double a_c = pre_c[j];
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      const std::optional<Phase> split = domain.phaseOf({l, j});
      if (split) {
        // The phase is a constraint of the domain, not implied by bounds computed without it.
        const bool active = *split == Phase::kActive;
        addAffineRow(enc.model, pre.row(j), a_c, active ? 0.0 : -mip::kInf,
                     active ? mip::kInf : 0.0, fmt::format("L{}N{}_split", l + 1, j), enc.empty);
        if (!active) {
          post.row(j).setZero();
          post_c[j] = 0.0;
        }
        continue;
      }
      if (hi <= 0.0) {
        post.row(j).setZero();
        post_c[j] = 0.0;
        continue;
      }
      if (lo >= 0.0) continue;  // h = a
      CompactEncoding::Unstable u{{l, j}, {}, {}};
      u.h = enc.model.addContinuous(0.0, hi, fmt::format("L{}N{}_post", l + 1, j));
      // h - a >= 0  <=>  h - sum >= a_c
      std::vector<mip::Term> t{{u.h, 1.0}};
      for (const auto& term : a_terms) t.push_back({term.var, -term.coef});
      enc.model.addGe(t, a_c, fmt::format("L{}N{}_ge", l + 1, j));
      if (options.relax) {
        // h <= s (a - lo), s = hi / (hi - lo):  h - s sum <= s (a_c - lo)
        const double slope = hi / (hi - lo);
        t.assign(1, {u.h, 1.0});
        for (const auto& term : a_terms) t.push_back({term.var, -slope * term.coef});
        enc.model.addLe(t, slope * (a_c - lo), fmt::format("L{}N{}_tri", l + 1, j));
      } else {
        u.z = enc.model.addBinary(fmt::format("L{}N{}_on", l + 1, j));
        // h <= U z
        enc.model.addLe({{u.h, 1.0}, {u.z, -hi}}, 0.0, fmt::format("L{}N{}_on", l + 1, j));
        // h - a - lo z <= -lo  <=>  h - sum - lo z <= a_c - lo
        t.assign(1, {u.h, 1.0});
        for (const auto& term : a_terms) t.push_back({term.var, -term.coef});
        t.push_back({u.z, -lo});
        enc.model.addLe(t, a_c - lo, fmt::format("L{}N{}_off", l + 1, j));
      }
      enc.unstable.push_back(u);
      new_cols.emplace_back(j, u.h);
      post.row(j).setZero();
      post_c[j] = 0.0;
    }
    if (relu && options.stable_form == StableForm::kColumns) {
      // The loop above zeroed the rows of inactive and unstable neurons, so every nonzero row
      // left is a stably (or split-) active neuron: h = a gets a column, and the next layer
      // sees only this layer's columns.
      for (int j = 0; j < n; ++j) {
        if (post.row(j).isZero(0.0) && post_c[j] == 0.0) continue;
        // The neuron's range (valid over the domain): the safe LP bound needs finite columns.
        const mip::Var g = enc.model.addContinuous(std::max(0.0, b.lo[j]), b.hi[j],
                                                   fmt::format("L{}N{}_lin", l + 1, j));
        std::vector<mip::Term> t{{g, 1.0}};
        for (const auto& term : toTerms(post.row(j))) t.push_back({term.var, -term.coef});
        enc.model.addRow(post_c[j], post_c[j], t, fmt::format("L{}N{}_eq", l + 1, j));
        enc.linear.emplace_back(nn::NeuronId{l, j}, g);
        new_cols.emplace_back(j, g);
        post.row(j).setZero();
        post_c[j] = 0.0;
      }
    }
    // Widen E by the new columns (added after every existing column).
    e_mat = Mat::Zero(n, enc.model.numVars());
    e_mat.leftCols(post.cols()) = post;
    for (const auto& [j, h] : new_cols) e_mat(j, h.id) = 1.0;
    e_const = post_c;
  }

  void addOutputs() {
    enc.outputs = toExprs(e_mat, e_const);
    for (size_t r = 0; r < domain.output_rows.size(); ++r) {
      const LinearRow& row = domain.output_rows[r];
      addAffineRow(enc.model, row.coef.transpose() * e_mat, row.coef.dot(e_const), row.lo, row.hi,
                   fmt::format("out_row{}", r), enc.empty);
    }
  }
};

}  // namespace

std::string_view stableFormName(StableForm f) {
  switch (f) {
    case StableForm::kComposed: return "composed";
    case StableForm::kColumns: return "columns";
    case StableForm::kSparser: return "sparser";
  }
  return "?";
}

StableForm parseStableForm(std::string_view name) {
  for (StableForm f : {StableForm::kComposed, StableForm::kColumns, StableForm::kSparser}) {
    if (name == stableFormName(f)) return f;
  }
  fail(ErrorKind::kInvalidInput, "unknown stable form '{}' (composed|columns|sparser)", name);
}

CompactEncoding encodeCompact(const nn::Network& net, const Domain& domain,
                              const NetworkBounds& bounds, const CompactOptions& options) {
  checkSupported(net);
  domain.validate(net, "compact encoding domain");
  const int num_layers = options.num_layers < 0 ? net.numLayers() : options.num_layers;
  if (num_layers > net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "compact encoding: {} layers requested, network has {}",
         num_layers, net.numLayers());
  }
  if (!domain.output_rows.empty() && num_layers != net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "compact encoding: output rows need every layer encoded");
  }
  if (bounds.numLayers() < num_layers) {
    fail(ErrorKind::kInvalidInput, "compact encoding: bounds for {} layers, {} needed",
         bounds.numLayers(), num_layers);
  }
  if (options.stable_form == StableForm::kSparser) {
    CompactOptions o = options;
    o.stable_form = StableForm::kComposed;
    CompactEncoding composed = encodeCompact(net, domain, bounds, o);
    o.stable_form = StableForm::kColumns;
    CompactEncoding columns = encodeCompact(net, domain, bounds, o);
    if (columns.numTerms() < composed.numTerms()) return columns;
    return composed;
  }
  Builder b{net, domain, bounds, options, {}, {}, {}};
  b.enc.stable_form = options.stable_form;
  b.enc.num_layers = num_layers;
  b.addInputs();
  for (int l = 0; l < num_layers; ++l) b.addLayer(l);
  if (num_layers < net.numLayers()) {
    const nn::DenseLayer& next = net.layer(num_layers);
    const Mat pre = num_layers == 0 ? Mat(next.weight) : Mat(next.weight * b.e_mat);
    const Vec pre_c = num_layers == 0 ? Vec(next.bias) : Vec(next.weight * b.e_const + next.bias);
    b.enc.pre.push_back(toExprs(pre, pre_c));
  } else {
    b.addOutputs();
  }
  return std::move(b.enc);
}

long CompactEncoding::numTerms() const {
  long n = 0;
  for (const mip::Constraint& c : model.rows()) n += static_cast<long>(c.terms.size());
  return n;
}

std::vector<double> CompactEncoding::pointFromInput(const nn::Network& net, const Vec& x) const {
  std::vector<double> p(static_cast<size_t>(model.numVars()), 0.0);
  for (size_t i = 0; i < inputs.size(); ++i) p[static_cast<size_t>(inputs[i].id)] = x[i];
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  for (const Unstable& u : unstable) {
    const double a = t.pre[static_cast<size_t>(u.id.layer)][u.id.index];
    p[static_cast<size_t>(u.h.id)] = std::max(a, 0.0);
    if (u.z.valid()) p[static_cast<size_t>(u.z.id)] = a > 0.0 ? 1.0 : 0.0;
  }
  for (const auto& [id, g] : linear) {
    p[static_cast<size_t>(g.id)] = t.pre[static_cast<size_t>(id.layer)][id.index];
  }
  return p;
}

Vec CompactEncoding::inputOf(const std::vector<double>& point) const {
  Vec x(static_cast<Eigen::Index>(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    x[static_cast<Eigen::Index>(i)] = point.at(static_cast<size_t>(inputs[i].id));
  return x;
}

}  // namespace nnmip::encode
