#include "bounds/layer_bounds.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::bounds {

const char* methodName(Method method) {
  switch (method) {
    case Method::kNaive: return "naive";
    case Method::kInterval: return "interval";
    case Method::kSymbolic: return "symbolic";
    case Method::kAlpha: return "alpha";
    case Method::kLp: return "lp";
    case Method::kMilp: return "milp";
  }
  return "?";
}

Method parseMethod(std::string_view name) {
  for (Method m : {Method::kNaive, Method::kInterval, Method::kSymbolic, Method::kAlpha,
                   Method::kLp, Method::kMilp}) {
    if (name == methodName(m)) return m;
  }
  fail(ErrorKind::kInvalidInput,
       "unknown bounds method '{}' (naive|interval|symbolic|alpha|lp|milp)", name);
}

void fillShapeStats(const nn::DenseLayer& layer, const LayerBounds& b, LayerStats& s) {
  s.size = b.size();
  s.relu = encode::isReluLayer(layer);
  s.logits = layer.activation == nn::Activation::kSoftmax;
  s.mean_width = 0.0;
  s.max_width = 0.0;
  s.stable_active = s.stable_inactive = s.unstable = 0;
  for (int j = 0; j < b.size(); ++j) {
    const double w = b.hi[j] - b.lo[j];
    s.mean_width += w;
    s.max_width = std::max(s.max_width, w);
    if (!s.relu) continue;
    if (b.hi[j] <= 0.0) {
      ++s.stable_inactive;
    } else if (b.lo[j] >= 0.0) {
      ++s.stable_active;
    } else {
      ++s.unstable;
    }
  }
  if (b.size() > 0) s.mean_width /= b.size();
}

std::vector<LayerStats> describeBounds(const nn::Network& net, const NetworkBounds& bounds) {
  NNMIP_CHECK(bounds.numLayers() == net.numLayers(), "bounds have {} layers, network {}",
              bounds.numLayers(), net.numLayers());
  std::vector<LayerStats> out(static_cast<size_t>(net.numLayers()));
  for (int l = 0; l < net.numLayers(); ++l) {
    out[static_cast<size_t>(l)].layer = l;
    fillShapeStats(net.layer(l), bounds.layers[static_cast<size_t>(l)],
                   out[static_cast<size_t>(l)]);
  }
  return out;
}

double relativeGap(double a, double b) { return std::abs(a - b) / (std::abs(b) + 1e-10); }

std::vector<LayerGap> compareBounds(const NetworkBounds& a, const NetworkBounds& b) {
  if (a.numLayers() != b.numLayers()) {
    fail(ErrorKind::kInvalidInput, "compare: {} layers against {}", a.numLayers(), b.numLayers());
  }
  std::vector<LayerGap> out;
  for (int l = 0; l < a.numLayers(); ++l) {
    const LayerBounds& x = a.layers[static_cast<size_t>(l)];
    const LayerBounds& y = b.layers[static_cast<size_t>(l)];
    if (x.size() != y.size()) {
      fail(ErrorKind::kInvalidInput, "compare: layer {} sizes {} and {}", l, x.size(), y.size());
    }
    LayerGap g;
    g.layer = l;
    for (int j = 0; j < x.size(); ++j) {
      const double glo = relativeGap(x.lo[j], y.lo[j]);
      const double ghi = relativeGap(x.hi[j], y.hi[j]);
      g.mean_lo += glo;
      g.mean_hi += ghi;
      g.max_lo = std::max(g.max_lo, glo);
      g.max_hi = std::max(g.max_hi, ghi);
    }
    if (x.size() > 0) {
      g.mean_lo /= x.size();
      g.mean_hi /= x.size();
    }
    out.push_back(g);
  }
  return out;
}

LayerBounds intersectLayer(const LayerBounds& a, const LayerBounds& b, double tol) {
  NNMIP_CHECK(a.size() == b.size(), "intersect: layer sizes {} and {}", a.size(), b.size());
  LayerBounds r{a.lo.cwiseMax(b.lo), a.hi.cwiseMin(b.hi)};
  for (int j = 0; j < r.size(); ++j) {
    if (r.lo[j] > r.hi[j]) {
      NNMIP_CHECK(r.lo[j] - r.hi[j] <= tol * (1.0 + std::abs(r.lo[j])),
                  "bounds of neuron {} are disjoint: [{}, {}] and [{}, {}]", j, a.lo[j], a.hi[j],
                  b.lo[j], b.hi[j]);
      // Within solver tolerance: keep a valid (slightly wider) interval.
      const double lo = std::min(r.lo[j], r.hi[j]);
      const double hi = std::max(r.lo[j], r.hi[j]);
      r.lo[j] = lo;
      r.hi[j] = hi;
    }
  }
  return r;
}

NetworkBounds intersectBounds(const NetworkBounds& a, const NetworkBounds& b, double tol) {
  NNMIP_CHECK(a.numLayers() == b.numLayers(), "intersect: {} layers and {}", a.numLayers(),
              b.numLayers());
  NetworkBounds r;
  r.input = a.input;
  r.method = a.method;
  for (int l = 0; l < a.numLayers(); ++l) {
    r.layers.push_back(
        intersectLayer(a.layers[static_cast<size_t>(l)], b.layers[static_cast<size_t>(l)], tol));
  }
  return r;
}

bool containedIn(const NetworkBounds& inner, const NetworkBounds& outer, double tol) {
  if (inner.numLayers() != outer.numLayers()) return false;
  for (int l = 0; l < inner.numLayers(); ++l) {
    const LayerBounds& x = inner.layers[static_cast<size_t>(l)];
    const LayerBounds& y = outer.layers[static_cast<size_t>(l)];
    if (x.size() != y.size()) return false;
    for (int j = 0; j < x.size(); ++j) {
      if (x.lo[j] < y.lo[j] - tol || x.hi[j] > y.hi[j] + tol) return false;
    }
  }
  return true;
}

}  // namespace nnmip::bounds
