#pragma once
// The verification engine: is there an input in one of the property's boxes whose output lies in
// one of its unsafe disjuncts (an AND of linear atoms coef . y <= rhs)?
//
// Each input box is verified separately (never their hull). Per box, phases in the order that
// pays, each re-checking the open disjuncts and stopping at the first verdict:
//   centre  forward pass of the box centre -> witness check (verify/witness.hpp);
//   bounds  root pre-activation bounds: interval, then symbolic (unless interval_root); a
//           disjunct is closed when its bound over the output bounds is < -lp_close_margin;
//   attack  projected gradient with restarts (nn/attack.hpp) on max_d min_a (rhs_a - coef_a . y),
//           output-targeted starts per disjunct -> witness check; its first stage only
//           (kAttackFirstStageShare of attack_time_s, verify/phase_budget.hpp);
//   alpha   optimised slopes for the root bounds, then for the open disjuncts, under alpha_share;
//   bab-early  a first short bab (below) with bab_early_share of the remaining time;
//   attack-2  the rest of the attack, from other random starts, on the disjuncts still open;
//   refine  deep networks (more than refine_min_unstable unstable ReLUs after alpha): per hidden
//           layer from the second on, one MILP per unstable neuron and side (bounds/refine.hpp,
//           most important first), then the alpha tier again over the refined bounds and the
//           disjunct check; stops when a layer gains nothing; replaces the LP tier (root LP
//           bounds under a time share when there is no refinement);
//   lp      one LP per open disjunct over the big-M relaxation with the disjunct's atoms:
//           max t s.t. t <= rhs_a - coef_a . y; optimum < -lp_close_margin closes it; skipped
//           after the refinement when bab follows;
//   bab     branch and bound over ReLU phase splits (verify/bab.hpp) on the open disjuncts, over
//           the best root bounds, with a share of the remaining time (all of it without the
//           MILP; skipped before the MILP when few ReLUs are unstable); a disjunct closed in every
//           leaf is closed; points the search finds go to the witness check;
//   milp    one MILP per open disjunct over the full big-M model (encode::encodeNetwork) with the
//           best bounds: max t s.t. t <= rhs_a - coef_a . y, t >= -milp_delta. CBC proving it
//           infeasible closes the disjunct (no input has margin >= -milp_delta); incumbents go to
//           the witness check; a proven optimum in [-milp_delta, 0) with no valid witness is a
//           numerical doubt (unknown). Two workers take the disjuncts in turn (each its own model
//           and CBC object, one thread each), most promising (largest LP bound) first.
// Soundness: `unsat` only when every disjunct of every box is closed with a margin; `sat` only
// with a counterexample that passed the witness check. Any solver failure, limit, exception
// inside a phase or numerical doubt leaves the disjunct open: the answer is then `unknown` (all
// phases ran) or `timeout` (the time limit or should_stop ended the search).
#include <map>
#include <optional>
#include <string>

#include "bounds/refine.hpp"
#include "core/callbacks.hpp"
#include "data/vnnlib.hpp"
#include "encode/compact.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"
#include "verify/bab.hpp"
#include "verify/result.hpp"

namespace nnmip::verify {

// The defaults are one profile for every network family (the engine picks input splitting by
// input dimension, verify/engine.hpp); the measurement behind each tuned default is in
// docs/results_verify.md, "Tuning: what each default rests on".
struct VerifyOptions {
  std::optional<double> time_limit_s;  // wall clock for the whole property; none = no limit
  int threads = 2;                     // workers for the per-disjunct MILPs (CBC threads = 1)
  uint64_t seed = 1;
  // Attack: these options, with `rounds` repeated within attack_time_s.
  nn::AttackOptions attack = defaultAttack();
  // At most this long in all, and at most kAttackTimeShare (phase_budget.hpp) of the time limit,
  // in two stages (before the bounds, after the cheap ones). The one default: the CLI and the
  // Python binding read it from here.
  double attack_time_s = 3.0;
  bool use_alpha = true;      // alpha tier (root bounds and spec bounds of the atoms)
  double alpha_share = 0.15;  // share of the remaining time the alpha phase may take
  // Root bounds by interval arithmetic only (else interval, then symbolic back-substitution):
  // with use_alpha, use_bab and use_refine off, nothing the input-split engine bounds with
  // (symbolic, alpha) decides a disjunct, so its unsat is an independent second opinion.
  bool interval_root = false;
  bool use_lp_tier = true;        // root LP bounds (else symbolic only)
  double lp_bounds_share = 0.25;  // share of the remaining time the LP tier may take
  double lp_phase_share = 0.2;    // share of the remaining time for the per-disjunct LPs
  bool use_bab = true;
  // A first, short search right after the alpha tier (before the LP tier and the per-disjunct
  // LPs, which can take minutes on deep networks): this share of the remaining time.
  double bab_early_share = 0.05;
  double bab_share = 0.5;  // share of the remaining time for the bab phase when the MILP follows
  // ... after the refine phase: the per-disjunct MILPs over a deep network rarely close, so
  // nearly all of the rest goes to bab.
  double bab_share_refined = 0.95;
  // With the MILP on, the bab phase runs only when the root bounds leave more unstable ReLUs
  // than this (fewer: the per-disjunct MILPs are small and close faster; bab-early still runs).
  int bab_before_milp_unstable = 100;
  // MILP refinement of the hidden layers from the second on (bounds/refine.hpp), layer by layer,
  // each followed by the alpha tier and the disjunct check, when the root bounds leave more
  // unstable ReLUs than refine_min_unstable; it then replaces the LP tier.
  bool use_refine = true;
  double refine_share = 0.5;        // share of the remaining time
  double refine_per_solve_s = 3.0;  // cap of one neuron-side MILP at the start of a layer
  // Floor of it: about what CBC needs for the root of a 256x4 layer-4 model.
  double refine_min_per_solve_s = 1.0;
  // After failures in a row the limit doubles up to this (RefineOptions::max_per_solve_s).
  double refine_max_per_solve_s = 8.0;
  int refine_min_unstable = 100;
  // A layer's share of the refine time left: enough to try each of its unstable neurons on both
  // sides at refine_min_per_solve_s, at most this share of what is left, and never less than an
  // equal split over the layers left (0: always the equal split). Earlier layers first: their
  // bounds feed every later layer, and their MILPs are the smallest.
  double refine_front_share = 0.5;
  // Partial MILPs (RefineOptions::max_binaries): each neuron's MILP keeps the binaries of this
  // many earlier unstable neurons, those whose relaxation loosens it most; 0: the full MILP.
  // Small enough for CBC to close a solve within the per-solve limit (docs/results_verify.md).
  int refine_max_binaries = 16;
  // How stably active neurons enter the refinement models (bounds::RefineForm): raced per
  // layer, since neither form is faster everywhere (docs/results_verify.md "Tuning").
  bounds::RefineForm refine_form = bounds::RefineForm::kRace;
  // CBC settings of the refinement MILPs: without root cuts and heuristics CBC reaches nodes.
  std::map<std::string, std::string> refine_backend_options = {{"cuts", "off"},
                                                               {"heuristics", "off"}};
  // Search settings; threads, time limit and close margin are set from the fields above.
  BabOptions bab;
  bool use_milp = true;
  double lp_close_margin = 1e-4;  // an LP / interval bound must be below -this to close
  double milp_delta = 1e-4;       // MILP threshold: t >= -milp_delta infeasible closes
  bool milp_tighten = false;      // output-constrained LP tightening before each MILP
  bool milp_compact = false;      // compact encoding (else the full big-M model)
  std::map<std::string, std::string> mip_backend_options;  // passed to the MILP backend
  std::string mip_backend = "cbc";
  std::string lp_backend = "clp";

  // Throws Error{kInvalidInput} naming the first field out of its range: threads >= 1;
  // time_limit_s > 0; attack_time_s >= 0; every *_share in [0, 1]; 0 < refine_min_per_solve_s
  // <= refine_per_solve_s <= refine_max_per_solve_s; refine_max_binaries >= 0; lp_close_margin,
  // milp_delta > 0 and finite; backend names not empty; then attack.validate() and bab.validate()
  // (bab's threads, time limit and close margin are overwritten from the fields above when a run
  // starts).
  void validate() const;

  static nn::AttackOptions defaultAttack() {
    nn::AttackOptions a;
    a.restarts = 64;
    a.steps = 100;
    a.rounds = 100;  // bounded by attack_time_s
    a.step_size = 0.25;
    a.decay = 0.96;
    a.diversify_steps = 2;
    a.target = 1e-4;
    return a;
  }
};

// Throws Error{kInvalidInput} when the property's input/output counts differ from the network's
// (or a box has the wrong size), Error{kUnsupported} for networks the engine cannot encode (step
// activations, a softmax output: VNN-LIB outputs then mean probabilities). Everything that goes
// wrong later is caught per phase and ends as `unknown`, never as a verdict.
Result verifyProperty(const nn::Network& net, const data::VnnlibProperty& property,
                      const VerifyOptions& options = {}, const Callbacks& callbacks = {});

}  // namespace nnmip::verify
