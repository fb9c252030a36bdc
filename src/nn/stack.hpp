#pragma once
// Two networks over one input as one network whose output is [f(x); g(x)] (thesis chapter 4:
// the comparators put both networks into one model over a shared x).
//
//   layer 0      [W_a0; W_b0] x + [b_a0; b_b0]          both first layers read x
//   layer l > 0  blockdiag(W_al, W_bl) h + [b_al; b_bl]  block-diagonal
//   last layer   both output layers, identity            a final softmax is dropped (recorded)
//
// The shallower network is padded after its last hidden layer with ReLU layers of identity
// weight and zero bias: its post-ReLU values are >= 0, so relu(I h) = h exactly, and every
// padded neuron has pre-activation bounds [0, U] (stably active: no binaries in a big-M model
// whose bounds come from any tier at or above interval). With the stack, the bound tiers,
// bounds::linearBound (with c = [e_k; -e_k]: bounds of f_k - g_k, the shared input terms cancel
// in the back-substitution), the attack and the encodings work on the pair unchanged.
//
// Every hidden layer of both networks must be ReLU; the output layers identity or softmax (a
// final ReLU on both is kept as ReLU; a final ReLU on one only is refused). A network with no
// hidden layer can only be stacked with another of the same depth (padding it would need
// x >= 0). Error{kUnsupported} otherwise, one line.
#include <cstdint>

#include "nn/network.hpp"

namespace nnmip::nn {

struct StackOptions {
  // Refuse (Error{kInvalidInput}, one line) when the stack's dense weight matrices would take
  // more than this many bytes (a 3000x1 network against 100x10 pads 3000 neurons through 9
  // layers: about 700 MB).
  int64_t max_bytes = int64_t{256} << 20;
};

struct StackedNetwork {
  Network net;  // output: [logits of a; logits of b]
  int outputs_a = 0, outputs_b = 0;
  bool softmax_a = false, softmax_b = false;  // a final softmax was dropped
  int depth_a = 0, depth_b = 0;               // layers of the originals
  // Per stack layer: where block b starts (block a occupies [0, offset_b)).
  std::vector<int> offset_b;
  // Per stack layer: the original layer of a (and of b) it holds, -1 for padding.
  std::vector<int> layer_a, layer_b;
};

// Throws as described above; Error{kInvalidInput} also for different input sizes.
StackedNetwork stackNetworks(const Network& a, const Network& b, const StackOptions& options = {});

// Bytes of the stack's weight matrices and biases (doubles), without building it.
int64_t stackedBytes(const Network& a, const Network& b);

}  // namespace nnmip::nn
