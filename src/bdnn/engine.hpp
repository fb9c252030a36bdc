#pragma once
// A primal engine around the sound training MILP (issue 12): heuristic start, large
// neighbourhood search (LNS), then the full MILP with symmetry-breaking rows and the best network
// as its MIP start, all under one wall-clock limit.
//
// Stages (one hidden layer, two-level step, continuous weights, step output, nominal data; other
// options skip the heuristic and the LNS and go straight to the full MILP):
//  1. start: the constant majority-class classifier or the heuristic's network (heuristic.hpp);
//  2. improvement rounds on the current network, until lns_share of the budget (or max_rounds);
//     a round's network replaces the current one when the forward pass counts no more margin
//     errors (ties too):
//   - repair (solveRepair): pick a misclassified point (one not yet tried with as many freed units
//     since the last improvement, while there is one), free the few units whose flips move its
//     output most towards its label (pickRepairUnits; one more unit after every
//     repair_grow_after rounds without improvement), keep the output layer and every other unit,
//     and minimise the misclassified points while every correct point stays correct;
//   - LNS (solveNeighbourhood), as every repair_lns_every-th round without improvement (every
//     round when the repair is off): free a few
//     hidden units (first-layer weights, per-neuron thresholds, units) and every output weight and
//     the output threshold; every other unit keeps the values the incumbent's forward pass gives
//     it; in three rounds of four every correctly classified point must stay correct. Same margin,
//     boxes and big-M as the full MILP (exact_trainer.hpp). Units are freed at random or by how
//     many misclassified points flipping them would help (alternately); a freed unit keeps its
//     value on the points farthest from its threshold (lns_near_fraction). With kLayer the shared
//     first-layer threshold stays fixed;
//   - after repair_restart_after rounds without improvement (heuristic starts only) a heuristic
//     start is redrawn with a new seed; the best network over all starts is kept;
//  3. full MILP from the best network (permuted to satisfy the symmetry rows), with what is left.
// A network with 0 training errors is optimal whatever the bound, so the engine stops there.
//
// Determinism. Stages 1-2 are limited by work, not by wall seconds: the heuristic by its restarts
// and passes, each repair or LNS round by CBC nodes and LP iterations (repair_round_*,
// lns_round_*; one CBC thread; CBC checks both between nodes, so a round's root is bounded only by
// its own cut passes). A seeded run therefore takes the same rounds with the same results on a
// loaded and an idle machine; the wall clock only decides how far along that sequence it gets
// (the stage end at lns_share of the budget, the engine's deadline) and what the full MILP reaches
// in the time left. A round cut by the stage end still counts when the forward pass accepts it.
// LP iterations track a round's time better than nodes (measured in docs/results_bdnn.md).
//
// Guarantees. The returned network is the one with the fewest forward-pass margin errors among
// those the stages produced (step_net.hpp: misclassified or band points), so `objective` is a
// forward-pass count, never a MILP claim. `bound` is the full MILP's dual bound rounded up (a
// limit-stopped MILP reports its dual bound, never its incumbent) or a closed-form bound
// (rayLowerBound), whichever is larger; 0 when neither exists. gap = (objective - bound) /
// objective, 0 when objective = 0 (kGapFormula). The wall clock covers every stage: each solve
// gets what is left and a stop request at the deadline, and the full MILP runs in a child process
// that is killed at the deadline (isolate_milp), since CBC only polls between nodes.
//
// Symmetry. Hidden units of a layer are interchangeable (every threshold mode: a shared lambda,
// none, or a per-neuron lambda that moves with its unit), so any solution can be permuted to have
// non-increasing first-layer weights on one feature f: W1[j][f] >= W1[j+1][f]. Those rows are
// valid (the optimum is unchanged, tested), remove the d1! copies that differ by a permutation
// with distinct W1[.][f], and are the first key of the lexicographic order (its tie-breakers need
// binaries for continuous weights, so they are left out).
//
// The seed's formulation: BdnnOptions::margin = 0 writes the strict a < lambda as a <= lambda.
// It is not a sound model of the step: zero weights and lambda = 0 put every pre-activation on the
// threshold, where each unit may take either value per point, so error count 0 is feasible while
// the forward pass of that network is constant. The engine skips the heuristic and the LNS for it
// (they need margin > 0); read EngineResult::milp.train_eval (forward pass of the network the MILP
// returns) next to milp.milp_errors, as experiments/bdnn_campaign.cpp does for the `seed` rows.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/options.hpp"
#include "bdnn/step_net.hpp"
#include "core/callbacks.hpp"
#include "core/rng.hpp"
#include "data/dataset.hpp"
#include "mip/result.hpp"

namespace nnmip::bdnn {

inline constexpr const char* kGapFormula = "(incumbent - ceil(bound)) / incumbent";

enum class EngineStart { kConstant, kHeuristic };
const char* engineStartName(EngineStart start);

enum class SymmetryRows {
  kNone,
  kFirstLayerFeature,  // W1[j][f] >= W1[j+1][f] for one feature f
};

struct EngineOptions {
  double time_limit_s = 600.0;  // wall clock of the whole engine
  EngineStart start = EngineStart::kHeuristic;
  // Its restarts and passes end it; its time limit is capped at the stage end (lns_share of the
  // budget). A time limit that bites makes the start depend on the machine's load.
  HeuristicOptions heuristic;
  bool lns = true;
  int lns_free_units = 3;
  double lns_near_fraction = 0.2;     // share of the points (nearest the threshold) whose freed
                                      // units may flip; the misclassified ones always may; 1 = all
  long lns_round_nodes = 1000;        // CBC nodes of each LNS MILP
  long lns_round_iterations = 10000;  // and its LP iterations (wall clock: the stage end)
  double lns_share = 0.7;             // repair and LNS run until this share of the budget is spent
  int lns_max_stale_rounds = 40;      // stop the LNS after this many rounds without improvement
  int max_rounds = -1;                // stage 2 ends after this many rounds (-1: no round limit)
  // Repair (stage 2a, before the LNS): fixed-output MILPs around one misclassified point.
  bool repair = true;
  int repair_units = 3;       // units freed per round, one more after every repair_grow_after
  int repair_grow_after = 5;  // stale rounds in a row (at most repair_max_units)
  int repair_max_units = 6;
  long repair_round_nodes = 1000;        // CBC nodes of each repair round (all its passes)
  long repair_round_iterations = 10000;  // and its LP iterations
  int repair_lns_every = 4;  // an LNS round after every this many repair rounds without improvement
  // After this many repair rounds in a row without improvement, a heuristic start is redrawn
  // (a new seed; heuristic starts only) and repaired in turn; the best network is kept.
  int repair_restart_after = 25;
  // Backend options of the repair MILPs (small; CBC's defaults, cuts included, solve them best).
  std::map<std::string, std::string> repair_backend_options;
  bool full_milp = true;  // stage 3 (false: return after stage 2, bound from the ray rows only)
  SymmetryRows symmetry = SymmetryRows::kFirstLayerFeature;
  int symmetry_feature = 0;
  bool ray_rows = true;  // kZero: equal units on points of one ray (rayGroups)
  // Run the full MILP in a child process that is killed at the deadline (POSIX fork): the only
  // way to bound CBC's wall clock, which looks at its clock only between nodes (engine.cpp).
  bool isolate_milp = true;
  uint64_t seed = 1;
  std::string backend = "cbc";
  int threads = 1;
  std::map<std::string, std::string> backend_options;
};

struct LnsRound {
  bool repair = false;  // a repair round (solveRepair) rather than an LNS round
  int target = -1;      // repair: the misclassified point it was built around
  std::vector<int> freed;
  bool keep_correct = false;
  int errors_before = 0;
  int errors_after = 0;  // forward-pass margin errors of the small MILP's network (-1: none)
  bool accepted = false;
  long nodes = 0;             // CBC nodes over the round's solves
  long lp_iterations = 0;     // and their LP iterations
  bool time_limited = false;  // a solve was ended by the wall clock (stage end or deadline)
  double wall_s = 0.0;
};

// What one repair or LNS step returns: its network (nothing when no solve found a solution) and
// the work its MILP solves did.
struct RoundSolve {
  std::optional<BdnnParams> params;
  long nodes = 0;
  long lp_iterations = 0;
  int solves = 0;
  bool time_limited = false;  // a solve stopped at the wall clock rather than at its node limit
};

struct EngineResult {
  BdnnParams params;
  nn::Network net;
  Evaluation train_eval;   // forward pass of `net` on the training set
  double objective = NAN;  // train_eval.margin_errors
  double bound = 0.0;      // valid lower bound on the MILP optimum (see the header)
  double ray_bound = 0.0;  // rayLowerBound
  double gap = NAN;        // kGapFormula
  std::string gap_formula = kGapFormula;
  std::string stopped_by;  // "zero errors", "optimal", "time", "interrupted", ...
  int start_errors = -1;   // the start's forward-pass margin errors
  double heuristic_s = 0.0;
  std::vector<LnsRound> lns;
  int heuristic_starts = 0;  // heuristic runs (the start and the redrawn ones)
  double lns_s = 0.0;
  int lns_errors = -1;  // best after the LNS
  bool milp_run = false;
  bool milp_killed = false;  // the MILP process was ended at the deadline (result lost, bound kept)
  ExactResult milp;          // the full MILP (when run and finished)
  bool forward_check_ok = false;  // net's forward errors = objective, no band point
  double wall_s = 0.0;
  double time_limit_s = 0.0;
};

// Runs the stages above on `train`. Throws Error{kInvalidInput} for bad data or options.
EngineResult trainEngine(const data::Dataset& train, const BdnnOptions& options,
                         const EngineOptions& engine = {}, const Callbacks& callbacks = {});

// One LNS step: the small MILP with the units in `freed` (and the output layer) free and every
// other hidden unit fixed at the values the forward pass of `incumbent` gives it; with
// keep_correct, the points it classifies correctly (outside the band) must stay correct. Limited
// by engine.lns_round_nodes / _iterations and by time_limit_s of wall clock (the engine passes what
// is left of its stage). Returns its network's parameters, or nothing when the solve found no
// solution.
RoundSolve solveNeighbourhood(const data::Dataset& train, const BdnnOptions& options,
                              const BdnnParams& incumbent, const std::vector<int>& freed,
                              double time_limit_s, const EngineOptions& engine,
                              bool keep_correct = false, const Callbacks& callbacks = {});

// One repair step: the first-layer weights of the units in `freed` (at most 10; and their
// thresholds for kNeuron) are free, everything else keeps the incumbent's values, the output layer
// included. With the output weights fixed the output pre-activation is linear in the freed units'
// binaries, so the model has no products: per point i, a2_i = base_i + sum_{j in freed} w2_j h_ij.
// A point the incumbent classifies correctly must stay correct; a point that is correct for every
// value of the freed units gets no row (a pass re-solves with the pairs a solution put in a band
// pinned to their side); a freed unit that cannot flip on a point without making it wrong keeps
// its side by a linear row; the others get a binary with big-M rows. The objective counts the
// misclassified points left wrong. Its solves share engine.repair_round_nodes / _iterations
// (each pass gets what the earlier ones left), the step gets time_limit_s of wall clock (the engine
// passes what is left of its stage). Returns the new parameters, or nothing when no solution was
// found; the caller judges them by the forward pass.
RoundSolve solveRepair(const data::Dataset& train, const BdnnOptions& options,
                       const BdnnParams& incumbent, const std::vector<int>& freed,
                       double time_limit_s, const EngineOptions& engine,
                       const Callbacks& callbacks = {});

// The k units to free around misclassified point `target`: by how much flipping each one moves
// the target's output towards its label, plus a random term (up to 0.3 weight_bound).
std::vector<int> pickRepairUnits(const data::Dataset& train, const BdnnOptions& options,
                                 const BdnnParams& params, int target, int k, Rng& rng);

// Adds W1[j][f] >= W1[j+1][f] for consecutive first-layer units to `milp.model`.
void addSymmetryRows(TrainingMilp& milp, int feature);

// The same network with its first-layer units sorted by non-increasing W1[.][feature] (rows of
// W1, per-neuron thresholds and the next layer's columns permuted together).
BdnnParams sortUnits(const BdnnParams& params, int feature);

// Points whose hidden units must agree in the MILP: with zero thresholds (kZero) the first layer
// is positively homogeneous, so points x and c x (c > 0) share every unit, and all-zero points
// (a = 0, active) share theirs too; with trained thresholds only equal feature vectors do. Returns
// the groups with at least two points.
std::vector<std::vector<int>> rayGroups(const data::Dataset& train, const BdnnOptions& options);

// Sum over rayGroups of min(#label 0, #label 1): a lower bound on the errors of every network the
// MILP admits (step output, nominal training).
int rayLowerBound(const data::Dataset& train, const BdnnOptions& options);

// Adds u_i = u_k rows (hidden and output units) for the points of each ray group.
void addRayRows(TrainingMilp& milp, const std::vector<std::vector<int>>& groups);

}  // namespace nnmip::bdnn
