#pragma once
// Differential bounds of two networks A, B of one architecture (ReLU hidden layers, identity
// output) over one input box: per layer, bounds of dz = a^A - a^B (pre-activations) and of
// dh = h^A - h^B (post-activations; the output layer's dh = dz). With them a comparator can bound
// f - g far tighter than from the two networks' own bounds when B is a pruned copy of A (the
// differences of the weights are small, so dz stays narrow).
//
// Two passes per layer, intersected (each valid on its own):
//   interval   dz_0 = (W_A - W_B) x + db over the box; dz_{l+1} = W_A dh + (W_A - W_B) h^B + db
//              in interval arithmetic, dh from dz and the copies' own bounds (ReLU is monotone and
//              1-Lipschitz: dh lies between min(0, dz) and max(0, dz));
//   symbolic   back-substitution of +-dz_l to the input through linear relaxations in the
//              variables (dz_k, a^B_k) of every earlier layer (NeuroDiff-style, Paulsen et al.
//              2020): h^B by the usual triangle / adaptive lower line; dh exactly where it is
//              linear in them (both copies stable; one stable and the other relaxed as its own
//              ReLU of a^B or a^A = a^B + dz), and between the chords of min(0, dz) and
//              max(0, dz) where both copies are unstable. The input terms of A and B cancel in
//              dz_0 = (W_A - W_B) x + db, and the correlation is kept through every layer.
// Every bound is widened by 1e-9 (1 + |value|) for rounding; the comparators add their own safety.
#include <vector>

#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::compare {

struct DifferenceBounds {
  std::vector<encode::LayerBounds> dz;  // per layer, the output layer included
  std::vector<encode::LayerBounds> dh;  // per layer (the output layer's = its dz)
  bool empty() const { return dz.empty(); }
};

// Whether differenceBounds applies: equal layer sizes, ReLU hidden layers, identity outputs.
bool differenceBoundsApply(const nn::Network& a, const nn::Network& b);

// The pair and what is known of it: pre-activation bounds of every layer of A and B (a_pre,
// b_pre), valid over `input`.
struct DifferenceProblem {
  const nn::Network& a;
  const nn::Network& b;
  const encode::Box& input;
  std::vector<encode::LayerBounds> a_pre, b_pre;
};

// `symbolic` = false gives the interval pass alone (for comparison). Empty when they do not apply.
DifferenceBounds differenceBounds(const DifferenceProblem& p, bool symbolic = true);

// Lower bounds of coef * dz(layer) (one per row of coef; dz of the output layer: the logits'
// differences) by the symbolic pass over `dz`, the bounds differenceBounds found (the layers
// below `layer` are used). With rows e_i - e_j this bounds (z^A_i - z^B_i) - (z^A_j - z^B_j) far
// tighter than dz's own ranges do. Widened for rounding like the rest.
Eigen::VectorXd differenceLowerBounds(const DifferenceProblem& p,
                                      const std::vector<encode::LayerBounds>& dz, int layer,
                                      const Eigen::MatrixXd& coef);

}  // namespace nnmip::compare
