#include "bounds/alpha.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "bounds/backsub.hpp"
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

// The kernel's optimiser for the alpha tier (bounds/backsub.hpp): alpha only, groups of rows
// leave the batch once one of their rows reaches stop_at.
SlopeOptimiser alphaOptimiser(const AlphaOptions& o, double stop_at,
                              std::optional<Clock::time_point> deadline) {
  SlopeOptimiser opt;
  opt.iterations = o.iterations;
  opt.lr_alpha = o.learning_rate;
  opt.decay = o.lr_decay;
  opt.stop_at = stop_at;
  opt.stop_rule = StopRule::kGroupLeaves;
  opt.zero_coef = ZeroCoefInput::kLower;
  opt.idle_momentum = true;
  opt.deadline = deadline;
  return opt;
}

struct Outcome {
  Vec best;
  int steps = 0;
};

// backSubstitute over chunks of rows, in parallel (groups must not straddle chunks: callers
// keep groups of consecutive rows within even-sized chunks). `groups` empty: one per row.
Outcome optimiseChunked(const Relaxation& rx, const LinearRows& rows,
                        const std::vector<int>& groups, double stop_at, const AlphaOptions& o,
                        std::optional<Clock::time_point> deadline) {
  const int m = static_cast<int>(rows.coef.rows());
  const int chunk = std::max(2, o.chunk_size + (o.chunk_size % 2));
  const int num_chunks = (m + chunk - 1) / chunk;
  const SlopeOptimiser opt = alphaOptimiser(o, stop_at, deadline);
  std::vector<BackSubResult> parts(static_cast<size_t>(num_chunks));
  parallelFor(num_chunks, o.threads, [&](int c) {
    const int begin = c * chunk;
    const int len = std::min(m, begin + chunk) - begin;
    LinearRows part{rows.coef.middleRows(begin, len), rows.constant.segment(begin, len)};
    BackSubRequest req;
    if (!groups.empty()) req.groups.assign(groups.begin() + begin, groups.begin() + begin + len);
    parts[static_cast<size_t>(c)] = backSubstitute(rx, part, opt, req);
  });
  Outcome out;
  out.best = Vec(m);
  for (int c = 0; c < num_chunks; ++c) {
    const BackSubResult& p = parts[static_cast<size_t>(c)];
    out.best.segment(c * chunk, p.lower.size()) = p.lower;
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
        const Relaxation rx = relaxLayers(net, box, nb.layers, k);
        const auto n = static_cast<Eigen::Index>(cand.size());
        LinearRows rows{Mat(2 * n, static_cast<Eigen::Index>(rx.top.size())), Vec(2 * n)};
        std::vector<int> groups;
        for (Eigen::Index q = 0; q < n; ++q) {
          const int j = cand[static_cast<size_t>(q)];
          // Row 2q: lower bound of a_j; row 2q+1: lower bound of -a_j (= -upper bound).
          rows.coef.row(2 * q) = layer.weight(j, rx.top);
          rows.coef.row(2 * q + 1) = -layer.weight(j, rx.top);
          rows.constant[2 * q] = layer.bias[j];
          rows.constant[2 * q + 1] = -layer.bias[j];
          groups.push_back(static_cast<int>(q));
          groups.push_back(static_cast<int>(q));
        }
        // Share of the remaining time, weighted by depth (deeper layers cost more per step).
        std::optional<Clock::time_point> deadline;
        if (options.time_limit_s) {
          double weight_left = 0.0;
          for (int r = k; r < num_layers; ++r) weight_left += r;
          const double left = *options.time_limit_s - timer.seconds();
          deadline = deadlineAfter(left * k / std::max(1.0, weight_left));
        }
        const Outcome res =
            optimiseChunked(rx, rows, groups, relu ? 0.0 : kInfinity, options, deadline);
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

Vec lowerBoundsOver(const Relaxation& rx, const LinearRows& rows, const AlphaOptions& options) {
  return optimiseChunked(rx, rows, {}, options.stop_at, options,
                         deadlineAfter(options.time_limit_s))
      .best;
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
  const Relaxation rx = relaxLayers(net, domain.box, split, layer);
  return lowerBoundsOver(rx, rowsOnLayer(net, rx, c, c0), options);
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
  const Relaxation rx = relaxLayers(net, domain.box, split, last + 1);
  return lowerBoundsOver(rx, rowsOnOutputs(net, rx, c, c0), options);  // y = h of a final ReLU
}

}  // namespace nnmip::bounds
