#pragma once
// Valid bounds of a linear function c^T v + c0 over a Domain, where v is the network's output y
// or one layer's pre-activations: what a verifier needs for Y_j - Y_c and a comparator for f - g.
#include <optional>

#include "bounds/layer_bounds.hpp"
#include "bounds/solver_bounds.hpp"
#include "core/callbacks.hpp"
#include "encode/domain.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

struct LinearObjective {
  int layer = -1;  // -1: the outputs y; otherwise the pre-activations of that layer
  Vec coef;
  double constant = 0.0;
};

struct LinearBoundOptions {
  SolverBoundsOptions solver;
  // Intermediate bounds valid over the domain (e.g. from an earlier tier); none = computed here
  // by the chain up to `tier`.
  const NetworkBounds* prior = nullptr;
};

struct LinearBoundResult {
  double lo = -std::numeric_limits<double>::infinity();  // valid: lo <= c^T v + c0 on the domain
  double hi = std::numeric_limits<double>::infinity();
  bool empty = false;         // the domain was proved empty (lo/hi then +inf/-inf)
  bool exact = false;         // lo and hi are attained (milp proven optimal, or lp on a linear net)
  std::optional<Vec> argmin;  // an input of the domain attaining lo (exact tiers)
  std::optional<Vec> argmax;
  NetworkBounds bounds;  // the intermediate bounds used
  double wall_s = 0.0;
};

// At tier naive/interval/symbolic/alpha the side rows of the domain are ignored (valid, looser);
// lp and milp honour every part. Throws Error{kInvalidInput} for a coefficient vector of the wrong
// size.
LinearBoundResult linearBound(const nn::Network& net, const encode::Domain& domain,
                              const LinearObjective& objective, Method tier,
                              const LinearBoundOptions& options = {},
                              const Callbacks& callbacks = {});

}  // namespace nnmip::bounds
