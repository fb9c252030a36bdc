#pragma once
// The thesis's verification problem (PV, chapter 3): over an input domain, how far can the
// network's output move away from its output at a reference input x0?
//
//   logit-l1    max ||z(x) - z(x0)||_1                  exact big-M MILP (one sign binary per
//                                                       logit whose difference changes sign)
//   margin      max_{j != c} z_j(x) - z_c(x)            exact: one big-M MILP per j, c = class
//                                                       of x0; the answer is the largest
//   softmax-l1  max ||softmax(z(x)) - softmax(z(x0))||_1  through a sound piecewise-linear
//                                                       over-approximation of softmax (below)
//
// z are the logits: the pre-activations of a final softmax layer, the outputs of an identity
// layer (a network without softmax gets softmax applied to its outputs for softmax-l1), the
// outputs of a final ReLU layer.
//
// Every answer is a pair
//   value  the exact objective (double forward pass) at the best input found: a LOWER bound
//          of the true maximum, attained by `x`;
//   bound  a valid UPPER bound of the true maximum: the MILP's dual bound (best_bound, never
//          its incumbent, also when a limit stopped it) plus a safety term, and for softmax-l1
//          at most 2;
// and gap = (bound - value) / max(|value|, 1e-10) (the relative gap of mip::MipResult::gap).
// The library attack (nn/attack.hpp) runs first on the exact objective; its best point is the
// MILP's start and the first lower bound.
//
// The big-M constants come from pre-activation bounds of the selected tier (naive ... milp),
// computed over the query domain or over a larger box (the thesis's "full" input space
// [0,1]^n); bounds valid over a superset of the domain are valid over the domain.
//
// ---- softmax-l1: the over-approximation and why its dual bound is sound --------------------
// Let K logits, p = softmax(z), p0 = softmax(z(x0)). Since sum p = sum p0 = 1,
//   ||p - p0||_1 = 2 sum_k (p_k - p0_k)^+ ,
// which is increasing in every p_k, so UPPER estimates of each p_k suffice, plus the valid
// equality sum_k p_k = 1. With d_jk = z_j - z_k in [dl_jk, du_jk] (the interval of the logit
// bounds, tightened by linearBound at the tier over the query domain within a tenth of the time
// limit; also rows of the MILP) and
//   p_k = 1 / S_k,   S_k = 1 + sum_{j != k} e^{d_jk},
// the MILP has, per class k:
//   (a) u_jk >= 0 and tangent cuts u_jk >= e^a (1 + d_jk - a) at points a of a grid (step
//       `tangent_step`) in [max(dl, d_min), min(du, log C)], keeping only tangents whose value
//       at du is <= C. Tangents of the convex exp lie below it, so u = phi(d) := min(e^d, C)
//       satisfies every cut; column bound u_jk <= min(e^du, C).
//   (b) S_k = 1 + sum_j u_jk, and the true point has S_k~ := 1 + sum_j phi(d_jk) <= 1/p_k
//       (phi <= exp), i.e. p_k <= 1 / S_k~.
//   (c) p_k in [pl_k, pu_k] with pu_k = 1/(1 + sum_j e^{dl_jk}), pl_k = 1/(1 + sum_j e^{du_jk})
//       (monotonicity), and the segment choice: the p-range [max(pl, p_floor), pu] is cut into
//       `segments` pieces uniform in sqrt(p), plus a segment [pl, p_floor] when pl < p_floor;
//       binary y_i per segment, sum_i y_i = 1, sum_i y_i lo_i <= p_k <= sum_i y_i hi_i, and on
//       every piece except [pl, p_floor] the chord of 1/p through its end points:
//         S_k <= (lo_i + hi_i - p_k) / (lo_i hi_i) + M_i (1 - y_i).
//       1/p is convex, so on [lo_i, hi_i] its chord lies above it: the true point, with y_i of
//       its piece, satisfies S_k~ <= 1/p_k <= chord_i(p_k). M_i = S_max - chord_i(pu_k) makes
//       the row void for the other pieces (S_k <= S_max = 1 + sum_j min(e^du, C), the chord
//       decreases in p).
//   (d) sum_k p_k = 1, t_k in [0, pu_k - p0_k], t_k <= p_k - p0_k + p0_k (1 - b_k),
//       t_k <= (pu_k - p0_k) b_k, b_k binary (t_k = (p_k - p0_k)^+ is reachable: b_k = [p_k >
//       p0_k]); maximise 2 sum_k t_k.
//   (e) (no binaries; they tie p_k to the logits when the pieces' binaries are fractional)
//       p_k <= f(d_jk) := 1/(1 + e^{d_jk}) for every j (one term of S_k alone); f is concave
//       for d <= 0 and convex for d >= 0, so a tangent at a <= 0 lies above f on [dl, 0], and
//       if it is >= f(du) at du it lies above the convex part too (f there is below its chord
//       from 0 to du, and the line is above both ends): rows at up to 17 points of [dl, min(du,0)].
// Every row holds at (x, z(x), u = phi(d), S = S~, p = softmax(z), y = its pieces, b, t =
// (p - p0)^+), so the MILP's feasible set projects onto a superset of the true graph and its
// maximum is >= max ||p - p0||_1. A dual bound of a maximisation is >= the MILP's maximum.
// Rounding: tangent cuts are lowered by 1e-9 e^a and chords raised by 1e-9 / lo_i; the
// reported bound adds `bound_safety` (absolute) for the solver's feasibility tolerances.
//
// How loose: the cuts under-estimate phi by a relative factor rho (about tangent_step^2 / 8),
// the chords over-estimate by at most (sqrt(hi_i) - sqrt(lo_i))^2, the first piece by p_floor,
// the cap by 1/(1+C). `approx_error` is an a-priori bound of max_k (p_hat_k - p_k) combining
// these (the exp part evaluated on grids of 2000 points per pair, so it is an estimate, not a
// certificate; the dual bound never depends on it); `observed_error` is the largest
// p_hat_k - softmax_k(z) at the MILP's own solution.
#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounds/bounder.hpp"
#include "core/callbacks.hpp"
#include "encode/domain.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"

namespace nnmip::verify {

enum class PvObjective { kLogitL1, kMargin, kSoftmaxL1 };
const char* pvObjectiveName(PvObjective objective);  // "logit-l1", "margin", "softmax-l1"
// Throws Error{kInvalidInput} for other names.
PvObjective parsePvObjective(std::string_view name);

struct SoftmaxPwlOptions {
  double tangent_step = 0.25;  // spacing of the exp tangent points
  double d_min = -12.0;        // no tangents below (u >= 0 there: error <= e^d_min per pair)
  double cap = 1e4;            // C: u stands for min(e^d, C)
  int segments = 16;           // pieces of the chord PWL of 1/p per class (uniform in sqrt p)
  double p_floor = 1e-4;       // below this, p_k has no chord row (error <= p_floor)
  bool pair_cuts = true;       // rows (e): p_k <= 1/(1 + e^{d_jk}) per pair, no binaries
};

struct PvOptions {
  PvObjective objective = PvObjective::kSoftmaxL1;
  // Tier and solver options of the big-M bounds. method = kMilp with bounds over the query
  // domain is the thesis's "milp-img".
  bounds::BoundsOptions bounds;
  // Compute the bounds over this box (it must contain the domain's box; e.g. [0,1]^n, the
  // thesis's full input space) instead of over the query domain.
  std::optional<encode::Box> bounds_box;
  // Wall clock for everything (bounds, attack, MILPs); none = no limit. The bounds get at most
  // half of it, the attack a tenth, the MILPs the rest.
  std::optional<double> time_limit_s;
  // The bound phase's own budget. When set, it replaces the half share above, and time_limit_s
  // counts from the end of the bound phase: "S seconds per MILP" whatever the tier cost.
  std::optional<double> bounds_time_limit_s;
  nn::AttackOptions attack;  // its time limit is set from time_limit_s when that is given
  bool run_attack = true;
  SoftmaxPwlOptions pwl;
  std::string mip_backend = "cbc";
  int threads = 1;             // MILP threads
  double bound_safety = 1e-6;  // added to the dual bound (absolute; relative for logit bounds)
};

struct PvMilpReport {
  std::string label;        // "logit-l1", "margin j=3", "softmax-l1"
  std::string termination;  // mip::terminationName (+ limit)
  double objective = 0.0;   // MILP incumbent objective (NaN when none)
  double best_bound = 0.0;  // MILP dual bound (before safety)
  int rows = 0, columns = 0, binaries = 0;
  long nodes = 0;
  double wall_s = 0.0;
};

struct PvResult {
  PvObjective objective = PvObjective::kSoftmaxL1;
  Eigen::VectorXd x0, z0, p0;  // reference input, its logits and softmax(logits)
  int class0 = 0;
  Eigen::VectorXd x, z, p;  // best input found, its logits and softmax (exact, double)
  int found_class = 0;
  double value = 0.0;    // exact objective at x (lower bound of the maximum)
  double bound = 0.0;    // valid upper bound of the maximum
  double gap = 0.0;      // (bound - value) / max(|value|, 1e-10)
  bool proven = false;   // every MILP ended optimal (softmax-l1: optimal for the relaxation)
  std::string found_by;  // "reference-box-centre", "attack", "milp"
  double attack_value = 0.0;
  double approx_error = 0.0;    // softmax-l1: a-priori max_k (p_hat_k - p_k), see above
  double observed_error = 0.0;  // softmax-l1: max_k (p_hat_k - softmax_k(z)) at the MILP point
  std::string bounds_method;
  std::string bounds_over;  // "query" or "box"
  double bounds_s = 0.0, attack_s = 0.0, milp_s = 0.0, wall_s = 0.0;
  std::vector<PvMilpReport> milps;
};

void to_json(nlohmann::json& j, const PvMilpReport& r);
void to_json(nlohmann::json& j, const PvResult& r);  // vectors as arrays; +-inf as null

// The logits of `net` at x (double forward pass).
Eigen::VectorXd logitsAt(const nn::Network& net, const Eigen::VectorXd& x);
Eigen::VectorXd softmaxOf(const Eigen::VectorXd& z);
// The exact objective at x relative to the reference's logits z0 (margin: class0 = c).
double pvObjectiveValue(const nn::Network& net, PvObjective objective, const Eigen::VectorXd& x,
                        const Eigen::VectorXd& z0, int class0);

// An empty domain (proved by the bounds or the MILP) gives value = bound = -inf.
// Solves PV over `domain` (box, splits and side rows are all honoured by the MILP). x0 need
// not lie in the domain. Throws Error{kInvalidInput} for sizes that do not match, a bounds_box
// that does not contain the domain's box, fewer than 2 outputs for margin/softmax-l1;
// Error{kUnsupported} for step networks.
PvResult solvePv(const nn::Network& net, const encode::Domain& domain, const Eigen::VectorXd& x0,
                 const PvOptions& options = {}, const Callbacks& callbacks = {});

}  // namespace nnmip::verify
