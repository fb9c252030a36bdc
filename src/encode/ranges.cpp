#include "encode/ranges.hpp"

#include <cmath>

#include "core/error.hpp"

namespace nnmip::encode {

Box::Box(Vec lo_in, Vec hi_in, const std::string& origin)
    : lo(std::move(lo_in)), hi(std::move(hi_in)) {
  validate(origin);
}

Box::Box(const std::vector<double>& lo_in, const std::vector<double>& hi_in,
         const std::string& origin)
    : Box(Eigen::Map<const Vec>(lo_in.data(), static_cast<Eigen::Index>(lo_in.size())),
          Eigen::Map<const Vec>(hi_in.data(), static_cast<Eigen::Index>(hi_in.size())), origin) {}

Box Box::uniform(int n, double lo, double hi) {
  if (n <= 0) fail(ErrorKind::kInvalidInput, "box: size must be positive, got {}", n);
  return Box(Vec::Constant(n, lo), Vec::Constant(n, hi));
}

void Box::validate(const std::string& origin, int expected_size) const {
  if (lo.size() != hi.size()) {
    fail(ErrorKind::kInvalidInput, "{}: lower bounds have size {} but upper bounds {}", origin,
         lo.size(), hi.size());
  }
  if (lo.size() == 0) fail(ErrorKind::kInvalidInput, "{}: empty box", origin);
  if (expected_size >= 0 && lo.size() != expected_size) {
    fail(ErrorKind::kInvalidInput, "{}: box has {} inputs but the network expects {}", origin,
         lo.size(), expected_size);
  }
  for (Eigen::Index i = 0; i < lo.size(); ++i) {
    if (!std::isfinite(lo[i]) || !std::isfinite(hi[i])) {
      fail(ErrorKind::kInvalidInput, "{}: input {} has a non-finite bound [{}, {}]", origin, i,
           lo[i], hi[i]);
    }
    if (lo[i] > hi[i]) {
      fail(ErrorKind::kInvalidInput, "{}: input {} has inverted bounds: lo {} > hi {}", origin, i,
           lo[i], hi[i]);
    }
  }
}

bool Box::contains(const Vec& x, double tol) const {
  if (x.size() != lo.size()) return false;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (!(x[i] >= lo[i] - tol && x[i] <= hi[i] + tol)) return false;
  }
  return true;
}

Box intersect(const Box& a, const Box& b) {
  if (a.size() != b.size()) {
    fail(ErrorKind::kInvalidInput, "box intersection: sizes {} and {} differ", a.size(), b.size());
  }
  Box r;
  r.lo = a.lo.cwiseMax(b.lo);
  r.hi = a.hi.cwiseMin(b.hi);
  for (Eigen::Index i = 0; i < r.lo.size(); ++i) {
    if (r.lo[i] > r.hi[i]) {
      fail(ErrorKind::kInvalidInput, "box intersection is empty at input {}: [{}, {}]", i, r.lo[i],
           r.hi[i]);
    }
  }
  return r;
}

bool isReluLayer(const nn::DenseLayer& layer) { return layer.activation == nn::Activation::kRelu; }

void checkSupported(const nn::Network& net) {
  if (net.numLayers() == 0) fail(ErrorKind::kInvalidInput, "network has no layers");
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::Activation act = net.layer(l).activation;
    if (act == nn::Activation::kStep) {
      fail(ErrorKind::kUnsupported,
           "layer {}: step activations are not supported by the big-M "
           "ReLU encoding",
           l);
    }
    if (act == nn::Activation::kSoftmax && l + 1 != net.numLayers()) {
      fail(ErrorKind::kUnsupported, "layer {}: softmax is only supported on the last layer", l);
    }
  }
}

LayerBounds postActivationBounds(const nn::DenseLayer& layer, const LayerBounds& pre) {
  if (isReluLayer(layer)) return {pre.lo.cwiseMax(0.0), pre.hi.cwiseMax(0.0)};
  return pre;
}

void checkBoundsFor(const nn::Network& net, const NetworkBounds& bounds) {
  checkSupported(net);
  bounds.input.validate("bounds input domain", net.inputSize());
  if (bounds.numLayers() != net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "bounds have {} layers but the network has {}",
         bounds.numLayers(), net.numLayers());
  }
  for (int l = 0; l < net.numLayers(); ++l) {
    const LayerBounds& b = bounds.layers[static_cast<size_t>(l)];
    if (b.lo.size() != net.layer(l).outputSize() || b.hi.size() != net.layer(l).outputSize()) {
      fail(ErrorKind::kInvalidInput,
           "bounds of layer {} have size {} but the layer has {} "
           "neurons",
           l, b.lo.size(), net.layer(l).outputSize());
    }
    for (Eigen::Index j = 0; j < b.lo.size(); ++j) {
      if (!std::isfinite(b.lo[j]) || !std::isfinite(b.hi[j]) || b.lo[j] > b.hi[j]) {
        fail(ErrorKind::kInvalidInput, "bounds of neuron {} in layer {} are invalid: [{}, {}]", j,
             l, b.lo[j], b.hi[j]);
      }
    }
  }
}

}  // namespace nnmip::encode
