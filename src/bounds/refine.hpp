#pragma once
// MILP refinement of chosen neurons of one layer (VERIFY.md P4a; what alpha-beta-CROWN and
// MN-BaB do on deep MNIST networks before branch and bound).
//
// For neuron j of layer k the big-M MILP of the layers before k (encode::encodeCompact over the
// domain with the current bounds) bounds its pre-activation a_j. The side more likely to make
// the neuron stable goes first: with a reference input x0 of the domain, a_j(x0) > 0 means "try
// to prove a_j >= 0" (minimise a_j with a cutoff just above 0), else "try to prove a_j <= 0"
// (maximise with a cutoff just below 0; RefineOptions::stable_margin). The cutoff lets CBC prune
// every node that cannot cross it, so a stable neuron is usually proved in a few nodes; a solve
// that ends with no solution past the cutoff proves the bound 0. Otherwise the dual bound at the
// per-solve limit is taken (never the incumbent), widened by `safety`, and the other side is solved
// the same way. Each solve runs under mip::MipParams::hard_time_limit (CBC overruns its own limit
// at the root).
//
// Neurons are taken in the given order by `threads` workers, each with its own copy of the
// layer's model; when the time limit passes, the neurons not reached keep their bounds. The
// bounds of layer k are only ever tightened (intersected); later layers are not touched (the
// caller re-propagates them).
#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "core/callbacks.hpp"
#include "encode/compact.hpp"
#include "encode/domain.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

// How a layer's refinement model takes its stably active neurons: one of encode::StableForm's
// forms, or kRace: the first unstable neuron's first side is solved in the composed and the
// columns form at once (the same limit and load), and the form that proves it sooner (or, when
// neither ends within 90 % of the limit, tighter) refines the rest of the layer. Which form is
// faster is not told by its size: on ERAN 9x200 the columns form is slower in layers 3-4 with
// 0.4-0.5x the nonzeros, on mnist-net_256x4 layer 4 1.5x faster (docs/results_verify.md).
enum class RefineForm { kComposed, kColumns, kSparser, kRace };
inline constexpr std::array<RefineForm, 4> kRefineForms = {
    RefineForm::kComposed, RefineForm::kColumns, RefineForm::kSparser, RefineForm::kRace};

std::string_view refineFormName(RefineForm f);  // "composed", "columns", "sparser", "race"
// Throws Error{kInvalidInput} naming the four forms.
RefineForm parseRefineForm(std::string_view name);

struct RefineOptions {
  int threads = 1;
  double per_solve_s = 1.0;  // wall clock of one MILP (one side of one neuron)
  // When give_up_after solves in a row prove nothing, the per-solve limit doubles, up to this
  // (deeper layers need a longer root); only failures at this limit give the layer up.
  // 0 (or below per_solve_s): never raised.
  double max_per_solve_s = 0.0;
  std::optional<double> time_limit_s;  // for the whole call
  std::string mip_backend = "cbc";
  std::map<std::string, std::string> mip_backend_options;
  double safety = 1e-7;  // MILP dual bounds are widened by this (absolute)
  // A neuron is called stable only when CBC finds no point past -/+stable_margin (the cutoff):
  // a buffer for CBC's feasibility and integrality tolerances (1e-7, 1e-6), which could let it
  // miss a point within them of 0.
  double stable_margin = 1e-6;
  // Raise the per-solve limit, or give the layer up at max_per_solve_s, when this many solves in
  // a row proved nothing (deep layers: CBC does not finish its root within the per-solve limit,
  // so every further solve would fail too).
  int give_up_after = 6;
  // An input of the domain (e.g. the box centre or an attack point): its pre-activations choose
  // each neuron's first side. Empty: the side whose current bound is nearer 0 goes first.
  Vec reference;
  // Partial MILPs (bounds/partial_milp.hpp): each neuron's MILP keeps the binaries of this many
  // earlier unstable neurons, those whose relaxation loosens it most. 0: the full MILP.
  int max_binaries = 0;
  // How stably active neurons enter the layer's model.
  RefineForm form = RefineForm::kComposed;
};

struct RefineStats {
  int neurons = 0;     // neurons whose solves ran (at least one side)
  int solves = 0;      // MILPs solved
  int stabilized = 0;  // neurons proved stable
  int tightened = 0;   // neurons whose range shrank (stabilized included)
  int failed = 0;      // solves that proved nothing (errors, no dual bound)
  long nodes = 0;
  double wall_s = 0.0;
  bool empty = false;        // a MILP proved the domain empty (within CBC's tolerances)
  bool gave_up = false;      // give_up_after failures in a row ended the layer
  double per_solve_s = 0.0;  // the per-solve limit at the end (after any raises)
  long model_terms = 0;      // nonzeros of the layer's model (before partial relaxation)
  int model_rows = 0;        // rows of the layer's model
  encode::StableForm stable_form = encode::StableForm::kComposed;  // the form the layer used
};

// The unstable neurons of layer k (0 < k < last layer), most important first: the height of
// their triangle relaxation, -l u / (u - l), times the L1 norm of their weights into layer k + 1
// (what a looser bound there costs downstream). Ties keep index order.
std::vector<int> refineOrder(const nn::Network& net, const NetworkBounds& bounds, int k);

// Refines `neurons` (indices into layer k, k >= 1, in priority order) of bounds.layers[k] in
// place. `bounds` must be valid over `domain`. Throws Error{kInvalidInput} for a bad layer or
// neuron index.
RefineStats refineLayerMilp(const nn::Network& net, const encode::Domain& domain,
                            NetworkBounds& bounds, int k, std::span<const int> neurons,
                            const RefineOptions& options = {}, const Callbacks& callbacks = {});

}  // namespace nnmip::bounds
