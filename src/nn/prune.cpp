#include "nn/prune.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::nn {

long PruneReport::total() const {
  long n = 0;
  for (const auto& l : layers) n += l.total;
  return n;
}
long PruneReport::zeroBefore() const {
  long n = 0;
  for (const auto& l : layers) n += l.zero_before;
  return n;
}
long PruneReport::zeroAfter() const {
  long n = 0;
  for (const auto& l : layers) n += l.zero_after;
  return n;
}
double PruneReport::zeroFraction() const {
  const long t = total();
  return t ? static_cast<double>(zeroAfter()) / static_cast<double>(t) : 0.0;
}

namespace {

LayerPruneStats roundLayer(DenseLayer& layer, int index, double eps) {
  LayerPruneStats s;
  s.layer = index;
  s.eps = eps;
  s.total = layer.weight.size();
  s.zero_before = (layer.weight.array() == 0.0).count();
  if (eps >= 0.0) layer.weight = (layer.weight.array().abs() <= eps).select(0.0, layer.weight);
  s.zero_after = (layer.weight.array() == 0.0).count();
  return s;
}

std::vector<double> magnitudes(const Mat& w) {
  std::vector<double> m(static_cast<size_t>(w.size()));
  for (Eigen::Index i = 0; i < w.size(); ++i) m[static_cast<size_t>(i)] = std::abs(w.data()[i]);
  return m;
}

}  // namespace

double shareOfWeightsAtMost(const Network& net, double eps) {
  long n = 0, small = 0;
  for (const DenseLayer& l : net.layers()) {
    n += l.weight.size();
    small += (l.weight.array().abs() <= eps).count();
  }
  return n ? static_cast<double>(small) / static_cast<double>(n) : 0.0;
}

PruneReport roundWeights(Network& net, double eps) {
  if (!(eps >= 0.0) || std::isinf(eps)) {
    fail(ErrorKind::kInvalidInput, "rounding radius eps must be finite and >= 0, got {}", eps);
  }
  PruneReport r;
  auto& layers = net.mutableLayers();
  for (size_t l = 0; l < layers.size(); ++l) {
    r.layers.push_back(roundLayer(layers[l], static_cast<int>(l), eps));
  }
  return r;
}

double percentThreshold(std::vector<double> m, double percent) {
  if (!(percent >= 0.0 && percent <= 100.0)) {
    fail(ErrorKind::kInvalidInput, "percent must lie in [0, 100], got {}", percent);
  }
  const auto n = static_cast<double>(m.size());
  // Guard against 0.9 * 100 style rounding: allow a hair below the exact product.
  auto k = static_cast<size_t>(std::ceil(percent / 100.0 * n - 1e-9));
  k = std::min(k, m.size());
  if (k == 0) return -1.0;
  std::nth_element(m.begin(), m.begin() + static_cast<long>(k - 1), m.end());
  return m[k - 1];
}

PruneReport pruneByPercent(Network& net, double percent, PruneScope scope) {
  if (!(percent >= 0.0 && percent <= 100.0)) {
    fail(ErrorKind::kInvalidInput, "percent must lie in [0, 100], got {}", percent);
  }
  PruneReport r;
  auto& layers = net.mutableLayers();
  if (scope == PruneScope::kLayer) {
    for (size_t l = 0; l < layers.size(); ++l) {
      const double eps = percentThreshold(magnitudes(layers[l].weight), percent);
      r.layers.push_back(roundLayer(layers[l], static_cast<int>(l), eps));
    }
    return r;
  }
  std::vector<double> all;
  for (const DenseLayer& layer : layers) {
    const std::vector<double> m = magnitudes(layer.weight);
    all.insert(all.end(), m.begin(), m.end());
  }
  const double eps = percentThreshold(std::move(all), percent);
  for (size_t l = 0; l < layers.size(); ++l) {
    r.layers.push_back(roundLayer(layers[l], static_cast<int>(l), eps));
  }
  return r;
}

}  // namespace nnmip::nn
