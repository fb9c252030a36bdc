#include "bounds/alpha.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"

namespace nnmip::bounds {
namespace {

using Mat = Eigen::MatrixXd;
using Clock = std::chrono::steady_clock;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Two valid bounds of one neuron may cross by round-off; beyond this they prove the domain empty
// (with splits) or a bug (without).
constexpr double kCrossTol = 1e-6;

// One relaxed layer restricted to its live neurons (all but the stably inactive ones, whose
// h = 0 drops out of the back-substitution).
struct RelaxedLayer {
  std::vector<int> live;
  Mat w;     // weight: rows `live`, columns the live neurons of the layer before (layer 0: inputs)
  Vec b;     // bias of the live neurons
  Vec s;     // upper slope u / (u - l); 1 for an active or identity neuron
  Vec t;     // upper intercept -s l; 0 when stable
  Vec mask;  // 1 where alpha is optimised (unstable), else 0
  Vec alpha0;  // first lower slope: adaptive (1 if u >= -l else 0) when unstable, else 1
  int num_unstable = 0;
};

// The relaxations of layers 0 .. P-1 between the box and an objective.
struct Prefix {
  std::vector<RelaxedLayer> layers;
  Vec in_lo, in_hi;
  int num_unstable = 0;
  std::vector<int> topLive(int num_inputs) const {
    if (!layers.empty()) return layers.back().live;
    std::vector<int> all(static_cast<size_t>(num_inputs));
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
};

Prefix buildPrefix(const nn::Network& net, const Box& box, const std::vector<LayerBounds>& bounds,
                   int num_layers) {
  Prefix px;
  px.in_lo = box.lo;
  px.in_hi = box.hi;
  std::vector<int> prev = px.topLive(net.inputSize());
  for (int i = 0; i < num_layers; ++i) {
    const nn::DenseLayer& layer = net.layer(i);
    const LayerBounds& b = bounds[static_cast<size_t>(i)];
    const bool relu = encode::isReluLayer(layer);
    RelaxedLayer r;
    for (int j = 0; j < b.size(); ++j) {
      if (!relu || b.hi[j] > 0.0) r.live.push_back(j);
    }
    const auto n = static_cast<Eigen::Index>(r.live.size());
    r.s = Vec::Ones(n);
    r.t = Vec::Zero(n);
    r.mask = Vec::Zero(n);
    r.alpha0 = Vec::Ones(n);
    for (Eigen::Index q = 0; q < n; ++q) {
      const int j = r.live[static_cast<size_t>(q)];
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      if (!relu || lo >= 0.0) continue;  // identity or stably active: h = a
      r.s[q] = hi / (hi - lo);           // hi > 0 > lo here
      r.t[q] = -r.s[q] * lo;
      r.mask[q] = 1.0;
      r.alpha0[q] = hi >= -lo ? 1.0 : 0.0;
      ++r.num_unstable;
    }
    r.w = layer.weight(r.live, prev);
    r.b = layer.bias(r.live);
    px.num_unstable += r.num_unstable;
    prev = r.live;
    px.layers.push_back(std::move(r));
  }
  return px;
}

// Objectives (rows) over h of the prefix's last layer (over x when the prefix is empty):
// lower bounds of m_top h + beta are wanted.
struct Batch {
  Mat m_top;
  Vec beta;
  std::vector<int> group;  // rows of one group stop together
  Vec stop_at;             // a row's group stops once its bound is >= this
};

Batch rowsOf(const Batch& in, const std::vector<int>& keep) {
  Batch out;
  out.m_top = in.m_top(keep, Eigen::all);
  out.beta = in.beta(keep);
  out.stop_at = in.stop_at(keep);
  for (int r : keep) out.group.push_back(in.group[static_cast<size_t>(r)]);
  return out;
}

struct Outcome {
  Vec best;
  int steps = 0;
};

// Projected Adam ascent of the back-substituted bound over the lower slopes, one slope per row
// and unstable neuron. best[r] is the largest bound of row r over the iterates.
Outcome optimise(const Prefix& px, Batch batch, const AlphaOptions& o,
                 std::optional<Clock::time_point> deadline) {
  constexpr double kBeta1 = 0.9;
  constexpr double kBeta2 = 0.999;
  constexpr double kEps = 1e-8;
  const int num = static_cast<int>(px.layers.size());
  const auto m0 = batch.m_top.rows();
  Outcome out;
  out.best = Vec::Constant(m0, -kInfinity);
  std::vector<int> rows(static_cast<size_t>(m0));
  std::iota(rows.begin(), rows.end(), 0);
  std::vector<Mat> alpha(static_cast<size_t>(num)), mom1(alpha.size()), mom2(alpha.size()),
      m_at(alpha.size());
  for (size_t i = 0; i < alpha.size(); ++i) {
    const RelaxedLayer& layer = px.layers[i];
    alpha[i] = layer.alpha0.transpose().replicate(m0, 1);
    if (layer.num_unstable > 0) {
      mom1[i] = Mat::Zero(m0, layer.alpha0.size());
      mom2[i] = Mat::Zero(m0, layer.alpha0.size());
    }
  }
  const int max_group =
      batch.group.empty() ? 0 : *std::max_element(batch.group.begin(), batch.group.end());
  double lr = o.learning_rate;
  for (int it = 0;; ++it) {
    // Forward: M over h(i) -> Lambda over a(i) = M+ o alpha + M- o s -> M over h(i-1).
    Mat m = batch.m_top;
    Vec bias = batch.beta;
    for (int i = num - 1; i >= 0; --i) {
      const RelaxedLayer& layer = px.layers[static_cast<size_t>(i)];
      const Mat neg = m.cwiseMin(0.0);
      const Mat lambda =
          m.cwiseMax(0.0).cwiseProduct(alpha[static_cast<size_t>(i)]) + neg * layer.s.asDiagonal();
      bias += neg * layer.t;
      bias += lambda * layer.b;
      m_at[static_cast<size_t>(i)] = std::move(m);
      m = lambda * layer.w;
    }
    const Vec value = bias + m.cwiseMax(0.0) * px.in_lo + m.cwiseMin(0.0) * px.in_hi;
    for (size_t r = 0; r < rows.size(); ++r) {
      double& b = out.best[rows[r]];
      b = std::max(b, value[static_cast<Eigen::Index>(r)]);
    }
    if (it >= o.iterations || px.num_unstable == 0) break;
    if (deadline && Clock::now() >= *deadline) break;

    // Rows whose group is finished leave the batch.
    std::vector<char> done(static_cast<size_t>(max_group) + 1, 0);
    bool any_done = false;
    for (size_t r = 0; r < rows.size(); ++r) {
      if (out.best[rows[r]] >= batch.stop_at[static_cast<Eigen::Index>(r)]) {
        done[static_cast<size_t>(batch.group[r])] = 1;
        any_done = true;
      }
    }
    if (any_done) {
      std::vector<int> keep;
      for (size_t r = 0; r < rows.size(); ++r) {
        if (!done[static_cast<size_t>(batch.group[r])]) keep.push_back(static_cast<int>(r));
      }
      if (keep.empty()) break;
      std::vector<int> kept_rows;
      for (int r : keep) kept_rows.push_back(rows[static_cast<size_t>(r)]);
      rows = std::move(kept_rows);
      batch = rowsOf(batch, keep);
      m = m(keep, Eigen::all).eval();
      for (size_t i = 0; i < alpha.size(); ++i) {
        alpha[i] = alpha[i](keep, Eigen::all).eval();
        m_at[i] = m_at[i](keep, Eigen::all).eval();
        if (px.layers[i].num_unstable > 0) {
          mom1[i] = mom1[i](keep, Eigen::all).eval();
          mom2[i] = mom2[i](keep, Eigen::all).eval();
        }
      }
    }

    // Reverse: G = d value / d M, from the input up; d value / d alpha(i) = (G W^T + b^T) o M+.
    Mat g(m.rows(), m.cols());
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      const double lo = px.in_lo[c];
      const double hi = px.in_hi[c];
      for (Eigen::Index r = 0; r < m.rows(); ++r) g(r, c) = m(r, c) >= 0.0 ? lo : hi;
    }
    ++out.steps;
    const double c1 = 1.0 - std::pow(kBeta1, out.steps);
    const double c2 = 1.0 - std::pow(kBeta2, out.steps);
    for (int i = 0; i < num; ++i) {
      const auto k = static_cast<size_t>(i);
      const RelaxedLayer& layer = px.layers[k];
      Mat gl = g * layer.w.transpose();
      gl.rowwise() += layer.b.transpose();
      const Mat& mi = m_at[k];
      if (i + 1 < num) {
        Mat gs = gl * layer.s.asDiagonal();
        gs.rowwise() += layer.t.transpose();
        g = (mi.array() >= 0.0).select(gl.cwiseProduct(alpha[k]), gs);
      }
      if (layer.num_unstable == 0) continue;
      const Mat grad = gl.cwiseProduct(mi.cwiseMax(0.0)) * layer.mask.asDiagonal();
      mom1[k] = kBeta1 * mom1[k] + (1.0 - kBeta1) * grad;
      mom2[k] = kBeta2 * mom2[k] + (1.0 - kBeta2) * grad.cwiseAbs2();
      alpha[k] =
          (alpha[k].array() + lr * (mom1[k].array() / c1) / ((mom2[k].array() / c2).sqrt() + kEps))
              .cwiseMax(0.0)
              .cwiseMin(1.0)
              .matrix();
    }
    lr *= o.lr_decay;
  }
  return out;
}

// optimise() over chunks of rows (groups must not straddle chunks: callers keep groups of
// consecutive rows within even-sized chunks).
Outcome optimiseChunked(const Prefix& px, const Batch& batch, const AlphaOptions& o,
                        std::optional<Clock::time_point> deadline) {
  const int m = static_cast<int>(batch.m_top.rows());
  const int chunk = std::max(2, o.chunk_size + (o.chunk_size % 2));
  const int num_chunks = (m + chunk - 1) / chunk;
  std::vector<Outcome> parts(static_cast<size_t>(num_chunks));
  parallelFor(num_chunks, o.threads, [&](int c) {
    const int begin = c * chunk;
    const int end = std::min(m, begin + chunk);
    std::vector<int> keep(static_cast<size_t>(end - begin));
    std::iota(keep.begin(), keep.end(), begin);
    parts[static_cast<size_t>(c)] = optimise(px, rowsOf(batch, keep), o, deadline);
  });
  Outcome out;
  out.best = Vec(m);
  for (int c = 0; c < num_chunks; ++c) {
    const Outcome& p = parts[static_cast<size_t>(c)];
    out.best.segment(c * chunk, p.best.size()) = p.best;
    out.steps = std::max(out.steps, p.steps);
  }
  return out;
}

std::optional<Clock::time_point> deadlineAfter(std::optional<double> seconds) {
  if (!seconds) return std::nullopt;
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(std::max(0.0, *seconds)));
}

// b := b intersected with [lo, hi]. A crossing within round-off is swapped (still valid); beyond
// it the domain is empty when it may be (splits) -> false, else the bounds are wrong -> throws.
bool tighten(LayerBounds& b, const Vec& lo, const Vec& hi, bool may_be_empty, int layer) {
  for (int j = 0; j < b.size(); ++j) {
    double l = std::max(b.lo[j], lo[j]);
    double h = std::min(b.hi[j], hi[j]);
    if (l > h) {
      if (l - h > kCrossTol * (1.0 + std::abs(l))) {
        if (may_be_empty) return false;
        fail(ErrorKind::kInternal, "alpha: bounds of layer {} neuron {} are disjoint: [{}, {}]",
             layer, j, l, h);
      }
      std::swap(l, h);
    }
    b.lo[j] = l;
    b.hi[j] = h;
  }
  return true;
}

// Splits applied to a copy of bounds of layers 0 .. num_layers-1; false when one empties a range.
bool splitBounds(const encode::Domain& domain, const NetworkBounds& bounds, int num_layers,
                 std::vector<LayerBounds>& out) {
  out.assign(bounds.layers.begin(), bounds.layers.begin() + num_layers);
  for (int l = 0; l < num_layers; ++l) {
    if (!encode::applySplits(domain, l, out[static_cast<size_t>(l)])) return false;
  }
  return true;
}

}  // namespace

NetworkBounds computeAlpha(const nn::Network& net, const encode::Domain& domain,
                           const NetworkBounds* prior, const AlphaOptions& options,
                           std::vector<AlphaLayerStats>* stats) {
  encode::checkSupported(net);
  domain.validate(net, "input domain");
  if (prior != nullptr) encode::checkBoundsFor(net, *prior);
  if (prior != nullptr && prior->empty) {  // already proved empty: nothing to bound
    NetworkBounds nb = *prior;
    nb.method = "alpha";
    if (stats != nullptr) stats->assign(static_cast<size_t>(net.numLayers()), AlphaLayerStats{});
    return nb;
  }
  const Box& box = domain.box;
  const int num_layers = net.numLayers();
  const bool may_be_empty = !domain.splits.empty();
  const Timer timer;
  NetworkBounds nb;
  nb.input = box;
  nb.method = "alpha";
  if (stats != nullptr) stats->assign(static_cast<size_t>(num_layers), AlphaLayerStats{});
  Vec h_lo = box.lo;
  Vec h_hi = box.hi;
  for (int k = 0; k < num_layers; ++k) {
    const Timer layer_timer;
    const nn::DenseLayer& layer = net.layer(k);
    LayerBounds b = propagateInterval(layer, h_lo, h_hi);
    if (!nb.empty) {
      bool ok =
          prior == nullptr || tighten(b, prior->layers[static_cast<size_t>(k)].lo,
                                      prior->layers[static_cast<size_t>(k)].hi, may_be_empty, k);
      const bool relu = encode::isReluLayer(layer);
      std::vector<int> cand;
      for (int j = 0; ok && k > 0 && j < b.size(); ++j) {
        if (!relu || (b.lo[j] < 0.0 && b.hi[j] > 0.0)) cand.push_back(j);
      }
      if (!cand.empty()) {
        const Prefix px = buildPrefix(net, box, nb.layers, k);
        const std::vector<int> top = px.topLive(net.inputSize());
        const auto n = static_cast<Eigen::Index>(cand.size());
        Batch batch;
        batch.m_top = Mat(2 * n, static_cast<Eigen::Index>(top.size()));
        batch.beta = Vec(2 * n);
        batch.stop_at = Vec::Constant(2 * n, relu ? 0.0 : kInfinity);
        for (Eigen::Index q = 0; q < n; ++q) {
          const int j = cand[static_cast<size_t>(q)];
          // Row 2q: lower bound of a_j; row 2q+1: lower bound of -a_j (= -upper bound).
          batch.m_top.row(2 * q) = layer.weight(j, top);
          batch.m_top.row(2 * q + 1) = -layer.weight(j, top);
          batch.beta[2 * q] = layer.bias[j];
          batch.beta[2 * q + 1] = -layer.bias[j];
          batch.group.push_back(static_cast<int>(q));
          batch.group.push_back(static_cast<int>(q));
        }
        // Share of the remaining time, weighted by depth (deeper layers cost more per step).
        std::optional<Clock::time_point> deadline;
        if (options.time_limit_s) {
          double weight_left = 0.0;
          for (int r = k; r < num_layers; ++r) weight_left += r;
          const double left = *options.time_limit_s - timer.seconds();
          deadline = deadlineAfter(left * k / std::max(1.0, weight_left));
        }
        const Outcome res = optimiseChunked(px, batch, options, deadline);
        Vec lo = b.lo;
        Vec hi = b.hi;
        for (Eigen::Index q = 0; q < n; ++q) {
          const int j = cand[static_cast<size_t>(q)];
          lo[j] = std::max(lo[j], res.best[2 * q]);
          hi[j] = std::min(hi[j], -res.best[2 * q + 1]);
        }
        ok = tighten(b, lo, hi, may_be_empty, k);
        if (stats != nullptr) {
          (*stats)[static_cast<size_t>(k)].objectives = static_cast<int>(2 * n);
          (*stats)[static_cast<size_t>(k)].steps = res.steps;
        }
      }
      if (ok) ok = encode::applySplits(domain, k, b);
      if (!ok) nb.empty = true;
    }
    const LayerBounds post = encode::postActivationBounds(layer, b);
    h_lo = post.lo;
    h_hi = post.hi;
    nb.layers.push_back(std::move(b));
    if (stats != nullptr) (*stats)[static_cast<size_t>(k)].time_s = layer_timer.seconds();
  }
  return nb;
}

namespace {

void checkObjective(const nn::Network& net, const encode::Domain& domain,
                    const NetworkBounds& bounds, const Mat& c, const Vec& c0, int width,
                    const char* what) {
  encode::checkSupported(net);
  domain.validate(net, "input domain");
  encode::checkBoundsFor(net, bounds);
  if (c.cols() != width || c0.size() != c.rows()) {
    fail(ErrorKind::kInvalidInput,
         "alpha bound: objective of shape {}x{} (constant {}) does not "
         "fit {} of width {}",
         c.rows(), c.cols(), c0.size(), what, width);
  }
}

Vec lowerBoundsOver(const Prefix& px, Batch batch, const AlphaOptions& options) {
  batch.stop_at = Vec::Constant(batch.m_top.rows(), options.stop_at);
  batch.group.resize(static_cast<size_t>(batch.m_top.rows()));
  std::iota(batch.group.begin(), batch.group.end(), 0);
  return optimiseChunked(px, batch, options, deadlineAfter(options.time_limit_s)).best;
}

}  // namespace

Vec alphaLowerBounds(const nn::Network& net, const encode::Domain& domain,
                     const NetworkBounds& bounds, int layer, const Mat& c, const Vec& c0,
                     const AlphaOptions& options) {
  if (layer < 0 || layer >= net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "alpha bound: layer {} of a {}-layer network", layer,
         net.numLayers());
  }
  checkObjective(net, domain, bounds, c, c0, net.layer(layer).outputSize(), "layer");
  std::vector<LayerBounds> split;
  if (!splitBounds(domain, bounds, layer, split)) {
    return Vec::Constant(c.rows(), kInfinity);  // empty domain: every bound holds
  }
  const Prefix px = buildPrefix(net, domain.box, split, layer);
  const nn::DenseLayer& target = net.layer(layer);
  Batch batch;
  batch.m_top = c * target.weight(Eigen::all, px.topLive(net.inputSize()));
  batch.beta = c * target.bias + c0;
  return lowerBoundsOver(px, std::move(batch), options);
}

Vec alphaSpecLowerBounds(const nn::Network& net, const encode::Domain& domain,
                         const NetworkBounds& bounds, const Mat& c, const Vec& c0,
                         const AlphaOptions& options) {
  const int last = net.numLayers() - 1;
  if (last < 0 || !encode::isReluLayer(net.layer(last))) {
    return alphaLowerBounds(net, domain, bounds, last, c, c0, options);
  }
  checkObjective(net, domain, bounds, c, c0, net.outputSize(), "the outputs");
  std::vector<LayerBounds> split;
  if (!splitBounds(domain, bounds, last + 1, split)) return Vec::Constant(c.rows(), kInfinity);
  const Prefix px = buildPrefix(net, domain.box, split, last + 1);
  Batch batch;
  batch.m_top = c(Eigen::all, px.topLive(net.inputSize()));  // y = h of the final ReLU
  batch.beta = c0;
  return lowerBoundsOver(px, std::move(batch), options);
}

}  // namespace nnmip::bounds
