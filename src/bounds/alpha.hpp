#pragma once
// The alpha tier: linear relaxations of the ReLUs with optimised lower slopes (alpha-CROWN).
//
// An unstable neuron (l < 0 < u) of an earlier layer is relaxed as
//     alpha a <= h <= s (a - l),   s = u / (u - l),   alpha in [0, 1],
// a stable one exactly (h = a, or h = 0), an identity layer as h = a. For one objective
// c^T v + c0 (v: one layer's pre-activations, or the outputs) back-substitution to the input
// gives, for EVERY alpha in [0, 1], a valid lower bound
//     B(alpha) = min over the box of the relaxed objective
// (positive coefficients of h take the lower line, negative ones the upper line). The tier
// maximises B over alpha by projected Adam steps (gradient by reverse-mode through the
// back-substitution), one alpha per objective and neuron ("per specification"). Every iterate is
// a valid bound; the best value seen per objective is kept. Iteration 0 uses the symbolic tier's
// adaptive slopes (alpha = 1 if u >= -l else 0), so with the same earlier bounds the result is
// never looser than the symbolic tier's back-substitution.
//
// With the earlier layers' bounds fixed, max_alpha B(alpha) equals the optimum of the
// triangle-relaxation LP over the same bounds when one ReLU layer lies between the box and the
// objective (minimax over a bilinear function; Salman et al. 2019); the iterations approach it.
//
// Layer-by-layer bounds (computeAlpha): layer 0 by interval arithmetic (exact for an affine map
// of the box); for layer k >= 1 both sides of every neuron that the interval bounds (intersected
// with `prior`) leave unstable -- all neurons of a non-ReLU layer -- are objectives, batched into
// one matrix per chunk of `chunk_size` objectives (chunks are independent: the bounds do not
// depend on `threads`). An objective of a ReLU neuron stops (with its partner side) as soon as it
// proves the neuron stable. Split neurons of the domain are clamped at 0 after their layer
// (encode::applySplits) and are then relaxed as stable; side rows of the domain are ignored
// (valid, looser).
//
// Numerics: plain double arithmetic, no directed rounding (as the symbolic tier); a verifier
// must decide with a margin (VERIFY.md section 4).
#include <Eigen/Dense>

#include <limits>
#include <optional>
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "encode/domain.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

struct AlphaOptions {
  int iterations = 50;         // gradient steps per objective batch (0: one pass, no steps)
  double learning_rate = 0.1;  // Adam step on alpha (alpha lives in [0, 1])
  double lr_decay = 0.98;      // learning rate multiplied by this after every step
  int threads = 1;             // workers over chunks of objectives (core/parallel.hpp)
  int chunk_size = 128;        // objectives per chunk (rounded up to even)
  // Total wall-clock budget of computeAlpha (shared out over the remaining layers, weighted by
  // depth) or of one alphaLowerBounds call. When a share runs out the steps stop and the best
  // bound so far is kept; the first pass (iteration 0) always runs.
  std::optional<double> time_limit_s;
  // alphaLowerBounds / alphaSpecLowerBounds: stop optimising an objective once its lower bound
  // is >= this (e.g. 0: "Y_j - Y_c >= 0 can be ruled out"); +inf: run every step.
  double stop_at = std::numeric_limits<double>::infinity();
};

// Per layer: the objectives optimised (2 per unstable neuron, 2 per neuron of a non-ReLU
// layer), the largest number of steps any chunk made, and the wall time.
struct AlphaLayerStats {
  int objectives = 0;
  int steps = 0;
  double time_s = 0.0;
};

// Bounds of every pre-activation over the domain's box honouring its splits (see the file
// comment). `prior` (same network, valid over the domain) is intersected in at every layer, so
// the result is never looser than it; the chain passes the symbolic tier's bounds. A prior that
// is already `empty` is returned as it is. A range
// emptied by a split, or bounds that cross beyond round-off on a domain with splits, set
// NetworkBounds::empty (no input exists) and stop; later layers are then left as they are
// (interval values). Throws Error{kInvalidInput} for a wrong-sized box or prior,
// Error{kUnsupported} for step activations; Error{kInternal} if its bounds cross beyond
// round-off on a domain without splits (a bug).
NetworkBounds computeAlpha(const nn::Network& net, const encode::Domain& domain,
                           const NetworkBounds* prior = nullptr, const AlphaOptions& options = {},
                           std::vector<AlphaLayerStats>* stats = nullptr);

// Valid lower bounds of C v + c0, one per row of C, over the domain (box and splits), where v is
// the pre-activation vector of `layer` (C has that layer's width). `bounds` must be valid over
// the domain for layers 0 .. layer-1 (e.g. from computeAlpha or the lp tier); their splits are
// applied again (harmless). Upper bounds: minus the lower bounds of -C, -c0.
Eigen::VectorXd alphaLowerBounds(const nn::Network& net, const encode::Domain& domain,
                                 const NetworkBounds& bounds, int layer, const Eigen::MatrixXd& c,
                                 const Eigen::VectorXd& c0, const AlphaOptions& options = {});

// The same over the network's outputs y (the logits of an identity or softmax last layer, h of
// a final ReLU: then the last layer's ReLU is relaxed too and `bounds` must cover it): what a
// verifier needs for Y_j - Y_c.
Eigen::VectorXd alphaSpecLowerBounds(const nn::Network& net, const encode::Domain& domain,
                                     const NetworkBounds& bounds, const Eigen::MatrixXd& c,
                                     const Eigen::VectorXd& c0, const AlphaOptions& options = {});

}  // namespace nnmip::bounds
