#pragma once
// The big-M model of a ReLU network (thesis model (1.1)-(1.8)):
//
//   a(l) = W(l) h(l-1) + b(l)                    (row  L{l}N{j}_def)
//   a    = h - hbar                              (row  L{l}N{j}_split)
//   h    <= H z,  hbar <= Hbar (1 - z)           (rows L{l}N{j}_on, L{l}N{j}_off)
//   h, hbar >= 0,  z in {0,1}                    (columns _post, _neg, _on)
//
// with H = U and Hbar = -L from given bounds L <= a <= U. Neurons the bounds prove stably
// active (L >= 0) get h = a (the post variable is the pre variable, no binary); stably
// inactive ones (U <= 0) are dropped (h = 0: no post variable, the next layer omits them).
// Identity layers (and a final softmax, which stands for its logits) are linear: h = a.
//
// Column names are L{l}N{j}_pre/_post/_neg/_on with l counted from 1 (layer 1 is the first
// DenseLayer, as in the thesis and the reference bound files), prefixed by
// EncodeOptions::prefix; inputs are {prefix}x{i}. Several networks can be encoded into one
// model over the same InputVars (give each its own prefix).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "mip/model.hpp"
#include "nn/network.hpp"

namespace nnmip::encode {

struct InputVars {
  std::vector<mip::Var> x;
  int size() const { return static_cast<int>(x.size()); }
};

// Adds one continuous column per input, lo[i] <= x_i <= hi[i], named {prefix}x{i}.
InputVars addInputs(mip::Model& model, const Box& box, const std::string& prefix = "");

struct EncodeOptions {
  bool relax = false;           // z continuous in [0, 1]: the LP relaxation
  std::string prefix;           // prepended to every column and row name
  int num_layers = -1;          // encode DenseLayers [0, num_layers) only; -1: all
  bool last_activation = true;  // false: the last encoded layer exposes only its pre vars
};

enum class NeuronState : uint8_t {
  kUnstable,  // L < 0 < U: big-M with a binary
  kActive,    // L >= 0: h = a
  kInactive,  // U <= 0: h = 0, dropped
  kLinear,    // identity/softmax layer, or an activation not encoded: h = a
};

struct NeuronVars {
  mip::Var pre;   // a
  mip::Var post;  // h (== pre when active/linear; invalid when inactive)
  mip::Var neg;   // hbar (unstable only)
  mip::Var on;    // z (unstable only)
  NeuronState state = NeuronState::kLinear;
};

struct EncodedLayer {
  std::vector<NeuronVars> neurons;
  int size() const { return static_cast<int>(neurons.size()); }
};

struct EncodeStats {
  int binaries = 0;
  int stable_active = 0;
  int stable_inactive = 0;
  int linear = 0;
};

struct EncodedNetwork {
  // The network encoded (for MIP starts); not owned: encodings share the caller's network,
  // which must outlive them.
  const nn::Network* network = nullptr;
  InputVars inputs;
  std::vector<EncodedLayer> layers;  // one per encoded DenseLayer
  // Outputs of the last encoded layer: logits for an identity/softmax output, h for a final
  // ReLU (a column fixed at 0 for a stably inactive output), pre vars when
  // last_activation == false.
  std::vector<mip::Var> outputs;
  EncodeStats stats;
  EncodeOptions options;
  bool empty = false;  // a split of the domain contradicts the bounds: the model is infeasible

  const NeuronVars& neuron(int layer, int index) const {
    return layers.at(static_cast<size_t>(layer)).neurons.at(static_cast<size_t>(index));
  }
};

// Encodes `net` over `inputs` using the pre-activation bounds `bounds` (they must be valid
// over the box the inputs range over; checked for shape, finiteness and order, throws
// Error{kInvalidInput}). Bounds of layers past num_layers are ignored.
EncodedNetwork encodeNetwork(mip::Model& model, const nn::Network& net, const InputVars& inputs,
                             const NetworkBounds& bounds, const EncodeOptions& options = {});

// The full model over a Domain: inputs from its box (named as addInputs does), its input rows,
// the bounds clamped by its splits (the pre column of a split neuron carries a <= 0 or a >= 0
// and the neuron is encoded as stable: h = 0 or h = a) and its output rows over `outputs`.
// A split that empties a neuron's range is kept as a row (the model is infeasible) and sets
// `empty`. Output rows need every layer encoded with its activation.
EncodedNetwork encodeNetwork(mip::Model& model, const nn::Network& net, const Domain& domain,
                             const NetworkBounds& bounds, const EncodeOptions& options = {});

// A full point of `model` (one value per column) given by the forward pass of x through each
// encoding: inputs = x, a, h, hbar = max(-a, 0), z = [a > 0]. Feasible for the encodings
// when x lies in the box the bounds are valid for. Columns that belong to none of the
// encodings are set to the value in the closed bounds nearest to 0.
std::vector<double> mipStartFromInput(const mip::Model& model,
                                      std::span<const EncodedNetwork* const> nets,
                                      const Eigen::VectorXd& x);
std::vector<double> mipStartFromInput(const mip::Model& model, const EncodedNetwork& net,
                                      const Eigen::VectorXd& x);

}  // namespace nnmip::encode
