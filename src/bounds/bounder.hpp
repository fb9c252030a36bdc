#pragma once
// The bound-tier chain: naive -> interval -> symbolic -> lp -> milp, and symbolic -> alpha (lp
// does not start from alpha). Each tier starts from the best earlier one (per neuron, the
// tighter side of each is kept), so the result of a tier is never looser than any tier before it.
#include "bounds/alpha.hpp"
#include "bounds/box.hpp"
#include "bounds/layer_bounds.hpp"
#include "bounds/solver_bounds.hpp"
#include "core/callbacks.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

struct BoundsOptions {
  Method method = Method::kSymbolic;
  // lp/milp: seed with the symbolic tier (true) or with interval bounds only (false: the
  // "pure" chain of the thesis and of the reference bound files).
  bool symbolic_seed = true;
  SolverBoundsOptions solver;
  AlphaOptions alpha;  // the alpha tier
};

// Bounds of every pre-activation of `net` over `box` by `options.method`. Throws
// Error{kInvalidInput} for a box of the wrong size / NaN / inverted, Error{kUnsupported} for
// step activations.
BoundsResult computeBounds(const nn::Network& net, const Box& box, const BoundsOptions& options,
                           const Callbacks& callbacks = {});
// Over a Domain: every tier honours the box and the splits; lp and milp also the side rows.
BoundsResult computeBounds(const nn::Network& net, const encode::Domain& domain,
                           const BoundsOptions& options, const Callbacks& callbacks = {});

}  // namespace nnmip::bounds
