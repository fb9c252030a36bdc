#pragma once
// Plain-data ranges shared by the encoding and the bound tiers: the input box and the
// pre-activation bounds [L, U] of every neuron. They live here (not in bounds/) because the
// encoding needs them and `encode` sits below `bounds` in the dependency order (STYLE.md
// §2.1); bounds/ re-exports them as bounds::Box, bounds::LayerBounds, bounds::NetworkBounds.
#include <Eigen/Dense>

#include <string>
#include <vector>

#include "nn/network.hpp"

namespace nnmip::encode {

using Vec = Eigen::VectorXd;

// A per-input box lo <= x <= hi. Constructing or validating a box throws
// Error{kInvalidInput} when a bound is NaN/Inf, lo > hi, or the sizes differ.
struct Box {
  Vec lo;
  Vec hi;

  Box() = default;
  Box(Vec lo_in, Vec hi_in, const std::string& origin = "box");
  // From plain vectors (e.g. a VNN-LIB property's input_lo / input_hi); validated the same way.
  Box(const std::vector<double>& lo_in, const std::vector<double>& hi_in,
      const std::string& origin = "box");
  static Box uniform(int n, double lo, double hi);

  int size() const { return static_cast<int>(lo.size()); }
  // Throws Error{kInvalidInput}; `expected_size` < 0 skips the size check.
  void validate(const std::string& origin = "box", int expected_size = -1) const;
  bool contains(const Vec& x, double tol = 0.0) const;
  Vec center() const { return 0.5 * (lo + hi); }
};

// Intersection of two boxes of the same size; throws Error{kInvalidInput} when empty.
Box intersect(const Box& a, const Box& b);

// Bounds lo <= a <= hi on the pre-activations a = W h + b of one layer.
struct LayerBounds {
  Vec lo;
  Vec hi;
  int size() const { return static_cast<int>(lo.size()); }
};

// Pre-activation bounds of every DenseLayer of a network (layers[l] for layer l, the output
// layer included), valid over `input`.
struct NetworkBounds {
  Box input;
  std::vector<LayerBounds> layers;
  std::string method;  // the tier that produced them ("interval", "lp", ...)
  // The domain the bounds were computed over was proved empty (a split contradicts the bounds,
  // or an LP over it is infeasible): no input exists, and the layer bounds mean nothing.
  bool empty = false;

  int numLayers() const { return static_cast<int>(layers.size()); }
};

// Bounds of a layer's output h = sigma(a) given bounds on a (ReLU: clamp at 0; identity and
// a final softmax: the logits themselves). Step activations are not supported here.
LayerBounds postActivationBounds(const nn::DenseLayer& layer, const LayerBounds& pre);

// Throws Error{kInvalidInput} when the bounds do not match the network's shape, are NaN/Inf
// or inverted, or the network has a layer the big-M encoding cannot express.
void checkBoundsFor(const nn::Network& net, const NetworkBounds& bounds);

// Whether a layer is encoded as ReLU. Identity layers are linear (h = a); a softmax is only
// accepted on the last layer and then stands for its logits (h = a).
bool isReluLayer(const nn::DenseLayer& layer);
// Throws Error{kUnsupported} for networks the encoding and the bounds do not handle: step
// activations, or a softmax before the last layer.
void checkSupported(const nn::Network& net);

}  // namespace nnmip::encode
