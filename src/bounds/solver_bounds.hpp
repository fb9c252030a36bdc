#pragma once
// Solver tiers of the Bounder (thesis Algorithm 3), over an encode::Domain (box, splits, side
// rows; the model is encode::encodeCompact's):
//   lp    relax = 1: per layer, the LP relaxation of the big-M model up to that layer (every
//         layer when the domain has output rows) is built ONCE (earlier layers encoded with the
//         best bounds known) and re-solved through one
//         mip::LpSession per chunk for the min and max of every pre-activation of the layer
//         (the default "clp" session restarts each new objective on the same ClpSimplex from
//         the slack basis with cost-preferred bounds: on these wide LPs, ~800 boxed inputs and
//         2 rows per unstable neuron, that is ~20x fewer iterations than resuming from the
//         previous optimum; docs/results_bounds.md);
//   milp  relax = 0: per layer the same LP pass first (cheap, tightens the start), then one
//         MILP per neuron and sense through mip::MipSolver under a per-solve time limit; the
//         dual bound (best_bound) is taken, never the incumbent.
// A value is taken only when the solve proves it (LP: optimal; MILP: a finite best_bound from
// an optimal or limit-stopped run); otherwise the weaker bound is kept. An LP value is the
// Neumaier-Shcherbina safe bound from the solve's duals (mip/safe_bound.hpp), valid whatever
// CLP's tolerances were; a MILP value is widened by `safety`; both are then intersected with
// the prior bounds. Layer 0 (an affine map of the box) is exact by interval
// arithmetic and solved by neither tier.
//
// Parallelism: the neurons of a layer are cut into fixed chunks of `chunk_size` neurons; each
// chunk gets its own LpSession (its own model copy for MILP), and `threads` workers take
// chunks in turn. The chunks do not depend on `threads`, so the bounds are identical for any
// thread count (a warm start only depends on the solves before it in the same chunk).
//
// Time: `time_limit_s` is a total budget. Before each layer k the remaining budget is split
// over the remaining layers with weights depth_growth^k (thesis section 2.3.4: deeper layers
// get exponentially more); unspent time rolls over. When a layer's share runs out, the
// neurons not yet solved keep their prior (valid) bounds. MILP solves get a per-solve limit
// share * threads / (2 n_k) (the thesis's t_m with batches of `threads` neurons).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "core/callbacks.hpp"
#include "encode/compact.hpp"
#include "encode/domain.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

struct SolverBoundsOptions {
  int threads = 1;
  std::optional<double> time_limit_s;  // total over all layers; none = no limit
  double depth_growth = 2.0;
  // mip::makeLpSession name: "clp" (default), "clp-warm" (resume from the previous optimum),
  // "clp-restart", "clp-cold" (rebuilds per solve: the benchmark baseline).
  std::string lp_backend = "clp";
  std::string mip_backend = "cbc";
  int chunk_size = 64;
  // MILP dual bounds are widened by `safety` (absolute): CBC's tolerances cannot be certified
  // cheaply. LP values need no widening: they are safe bounds computed from the duals.
  double safety = 1e-7;
  // Start each MILP from the forward pass at the box centre (when it is a point of the domain).
  bool mip_start = false;
  std::optional<double> min_milp_time_s = 0.05;  // floor of the per-solve MILP limit
  // milp: partial MILPs (bounds/partial_milp.hpp) keeping this many binaries per neuron, the
  // earlier neurons whose relaxation loosens it most; 0: the full MILP (exact bounds).
  int max_binaries = 0;
  // How stably active neurons enter the bound models (encode::StableForm).
  encode::StableForm stable_form = encode::StableForm::kComposed;
  // Passed to the MILP backend. Every bound solve asks for an exact dual bound
  // (mip::MipParams::exact_dual_bound), which these options may override.
  std::map<std::string, std::string> mip_backend_options;
};

struct BoundsResult {
  NetworkBounds bounds;
  std::vector<LayerStats> stats;  // one per DenseLayer
  double wall_s = 0.0;
};

// `prior` must be valid for `net` over prior.input (the domain the bounds hold on). A solve that
// reports the LP or MILP infeasible marks bounds.empty: that is the solver's claim within its
// tolerances, not a certificate.
BoundsResult computeLpBounds(const nn::Network& net, const NetworkBounds& prior,
                             const SolverBoundsOptions& options = {},
                             const Callbacks& callbacks = {});
BoundsResult computeMilpBounds(const nn::Network& net, const NetworkBounds& prior,
                               const SolverBoundsOptions& options = {},
                               const Callbacks& callbacks = {});
// Over a Domain (every part honoured: splits and side rows are rows of each layer's model);
// `prior` must be valid over the domain. An infeasible LP sets bounds.empty.
BoundsResult computeLpBounds(const nn::Network& net, const encode::Domain& domain,
                             const NetworkBounds& prior, const SolverBoundsOptions& options = {},
                             const Callbacks& callbacks = {});
BoundsResult computeMilpBounds(const nn::Network& net, const encode::Domain& domain,
                               const NetworkBounds& prior, const SolverBoundsOptions& options = {},
                               const Callbacks& callbacks = {});

}  // namespace nnmip::bounds
