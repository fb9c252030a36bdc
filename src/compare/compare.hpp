#pragma once
// Comparing two networks N1 (f, logits z1) and N2 (g, logits z2) over one input domain (thesis
// chapter 4): both networks go into one MILP through nn::stackNetworks (one big-M encoding of the
// stack [f; g] over the shared input x), with a "comparator" objective:
//
//   maxdiff-logit  max ||z1(x) - z2(x)||_1                     exact (one sign binary per
//                                                              output whose difference can change
//                                                              sign; ranges of z1_k - z2_k from
//                                                              linearBound on the stack)
//   maxdiff        max ||p1(x) - p2(x)||_1, p = softmax(z)     the thesis's; through the softmax
//                                                              sandwich (encode/softmax_pwl.hpp):
//                  ||p1 - p2||_1 = 2 sum_k (p1_k - p2_k)^+ (both sum to 1); p1 carries the
//                  upper-estimate rows, p2 the lower-estimate rows or (default, p2_sides) the
//                  upper-estimate rows with sum p2 = 1, which bound it from below too; maximise 2
//                  sum_k t_k with t_k >= 0, t_k <= b_k t_hi_k, t_k <= p1_k - p2_k + (1 - b_k), b_k
//                  binary (the true point with b_k = [p1_k > p2_k] is feasible, so the dual bound
//                  is valid); the bound is capped at 2
//   maxout         given C1 != C2: N1 picks C1 and N2 picks C2, each by a margin delta
//                  (z1[C1] >= z1[j] + delta, z2[C2] >= z2[j] + delta; 4.12-4.13, where the
//                  printed 4.13 has a1 where a2 is meant), maximise z1[C1] + z2[C2]. Found inputs
//                  come from the delta MILP and are re-checked by strict argmax in double and
//                  float32; when it finds none, the weak MILP (delta = 0, ties allowed) is the
//                  certificate: infeasible there means no input of the domain makes them disagree
//                  that way ("impossible")
//   maxflip        same architecture: maximise the number of hidden neurons whose state differs
//                  (4.14-4.15 bound omega from above only: omega <= s1 + s2, omega <= 2 - s1 -
//                  s2). A big-M binary is free at a = 0, so a neuron counts as flipped only with a
//                  margin: the active copy has a >= delta and the inactive one a <= -delta, rows
//                  that bind only when omega = 1; the value at x counts by the same rule (within
//                  the solvers' feasibility tolerance, 1e-6, as the class margins). Stable
//                  neurons enter as constants; a neuron stable in the same state in both is not a
//                  candidate
//   mineps         the smallest eps <= eps_max such that some x of the domain with
//                  ||x - x0||_inf <= eps is classified C0 by N1 and not by N2, both by a margin
//                  delta (4.16-4.19; the printed 4.17 compares N1's C0 logit with N2's logits,
//                  read here as N1's own). One MILP per wrong class k of N2 (z2[k] >= z2[C0] +
//                  delta, no b_k), minimise eps; the answer is the smallest. After an eps is
//                  found, later classes get eps <= best as a column bound (a class infeasible
//                  then cannot beat it: its bound is the best eps). Infeasible for every k:
//                  "infeasible", no such input within eps_max (a proof).
//
// Every answer:
//   value  the exact objective (double forward passes) at the best input found (maxout: only an
//          input that passes the strict argmax check in double and float32; mineps: its eps =
//          ||x - x0||_inf, an input that passes the strict check);
//   bound  valid: the MILPs' dual bounds (never an incumbent, also when a limit stopped them)
//          plus `bound_safety`; an upper bound of the maximum (a lower bound of mineps);
//   gap    |bound - value| / max(|value|, 1e-10); proven: every MILP needed ended optimal or
//          infeasible.
// The bounds of the big-M constants are those of the stack (the tier of options.bounds over the
// query domain or bounds_box), so they hold for exactly the networks encoded. The two-network
// attack (the library attack on the stack with the comparator's objective; mineps: bisection on
// eps with the attack as the inner search) gives the first value and the MILP start.
#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounds/bounder.hpp"
#include "core/callbacks.hpp"
#include "encode/domain.hpp"
#include "encode/softmax_pwl.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"
#include "verify/pv.hpp"

namespace nnmip::compare {

enum class Comparator { kMaxDiff, kMaxDiffLogit, kMaxOut, kMaxFlip, kMinEps };
const char* comparatorName(Comparator c);  // "maxdiff", "maxdiff-logit", ...
// Throws Error{kInvalidInput} for other names.
Comparator parseComparator(std::string_view name);

enum class MinEpsForm { kPerClass, kSingle };
const char* minEpsFormName(MinEpsForm f);  // "per-class", "single"
// Throws Error{kInvalidInput} for other names.
MinEpsForm parseMinEpsForm(std::string_view name);

struct CompareOptions {
  Comparator comparator = Comparator::kMaxDiffLogit;
  bounds::BoundsOptions bounds;           // the tier of the big-M bounds (of the stack)
  std::optional<encode::Box> bounds_box;  // bounds over this box (contains the domain's box)
  // Wall clock of the MILPs together (none: no limit); the bound phase has its own share
  // (bounds_time_limit_s, else half of this), the attack a tenth of this.
  std::optional<double> time_limit_s;
  std::optional<double> bounds_time_limit_s;
  nn::AttackOptions attack;
  bool run_attack = true;
  encode::SoftmaxPwlOptions pwl;  // maxdiff
  // maxdiff: the sandwich sides of p2 (p1 has the upper side). With sum_k p2_k = 1 the upper
  // side also bounds p2_k from below (p2_k = 1 - sum_{j != k} p2_j >= 1 - sum_{j != k} U_j; a
  // priori K - 1 times the upper error); the lower side's rows do it directly. On the tiny
  // networks of tests/compare the upper side was both faster (1-6 s against 19-146 s) and
  // tighter (docs/results_compare.md), so it is the default.
  encode::SoftmaxSides p2_sides = encode::SoftmaxSides::kUpper;
  std::string mip_backend = "cbc";
  std::map<std::string, std::string> mip_backend_options;  // MipParams::backend_options
  int threads = 1;                                         // MILP threads
  double bound_safety = 1e-6;    // added to (mineps: subtracted from) dual bounds, relative
  double margin = 1e-4;          // delta (maxout, maxflip, mineps)
  int class1 = -1, class2 = -1;  // maxout: N1 picks class1, N2 picks class2
  int class0 = -1;               // mineps: the reference's label (-1: N1's class at x0)
  double eps_max = 1.0;          // mineps
  // mineps: the weak version (delta = 0 in the rows: N1's C0 logit >= every other, N2 with some
  // logit >= its C0 logit). Infeasible there = no input within eps_max where N1 picks C0 (ties
  // included) and N2 does not pick C0 strictly: the certificate certifyPrune uses.
  bool weak = false;
  // mineps: one MILP per wrong class k of N2 (the minimum over them; a class whose bound cannot
  // beat the best eps is skipped), or the thesis's single MILP (4.18)-(4.19), one binary per
  // wrong class choosing the one N2 picks.
  MinEpsForm mineps_form = MinEpsForm::kPerClass;
  // Differential bounds: ranges of z1_k - z2_k (maxdiff-logit) from linearBound on the stack,
  // and, for same-architecture pairs, bounds of a^A - a^B and h^A - h^B at every layer
  // (compare/diff_bounds), added as rows; off: the interval of the two networks' own logit
  // bounds, no rows. `diff_symbolic` = false keeps the interval pass of diff_bounds alone.
  bool diff_bounds = true;
  bool diff_symbolic = true;
};

// One network at the answer's input: logits and probabilities in double and in float32
// (verify::FloatNetwork: parameters rounded to float once, float arithmetic).
struct NetEval {
  Eigen::VectorXd logits, probs, logits32, probs32;
  int cls = -1, cls32 = -1;
};

struct CompareResult {
  Comparator comparator = Comparator::kMaxDiffLogit;
  // "proved" (value = bound within tolerance, or maxflip/maxdiff MILP optimal), "open",
  // "found" (maxout: an input found), "impossible" (maxout: the weak MILP is infeasible),
  // "infeasible" (mineps: no input within eps_max; or an empty domain).
  std::string status;
  double value = 0.0;  // exact objective at x (see above); -inf (mineps: +inf) without x
  double bound = 0.0;  // valid bound of the optimum
  double gap = 0.0;
  bool proven = false;
  std::string found_by;  // "box-centre", "attack", "milp" (empty: no input)
  // The objective from the float32 evaluations; NaN without an input, or when float32 does not
  // confirm it (maxout, mineps: the classes differ in float32).
  double value32 = std::nan("");
  Eigen::VectorXd x, x0;
  NetEval n1, n2;
  int class0 = -1, class1 = -1, class2 = -1;
  double attack_value = 0.0;
  double upper_error = 0.0, lower_error = 0.0;  // maxdiff: the sandwich's a-priori errors
  double trivial_bound = 0.0;                   // the bound from the ranges alone, before any MILP
  bool diff_bounds = false;
  std::string bounds_method, bounds_over;
  int stack_binaries = 0;  // unstable neurons of the stack under the bounds
  double bounds_s = 0.0, diff_s = 0.0, attack_s = 0.0, milp_s = 0.0, wall_s = 0.0;
  std::vector<verify::PvMilpReport> milps;
};

void to_json(nlohmann::json& j, const NetEval& e);
void to_json(nlohmann::json& j, const CompareResult& r);  // +-inf as null

// The comparator's exact objective at x (double), as reported in `value`: maxdiff and
// maxdiff-logit always; maxout z1[C1] + z2[C2] (NaN unless both argmaxes hold strictly);
// maxflip the flips with margin; mineps ||x - x0||_inf (NaN unless N1 picks C0 and N2 does not).
double comparatorValue(const nn::Network& a, const nn::Network& b, const CompareOptions& options,
                       const Eigen::VectorXd& x, const Eigen::VectorXd& x0, int class0);

// Throws Error{kInvalidInput} for networks with different inputs, fewer than 2 outputs,
// different output counts (maxdiff, maxdiff-logit), different architectures (maxflip), classes
// out of range, a reference of the wrong size (mineps), options out of range; Error{kUnsupported}
// for a domain with splits or output rows, step networks.
CompareResult compareNetworks(const nn::Network& a, const nn::Network& b,
                              const encode::Domain& domain, const Eigen::VectorXd& x0,
                              const CompareOptions& options = {}, const Callbacks& callbacks = {});

// ---- certified pruning (beyond the thesis) -------------------------------------------------
// For each global pruning level (nn::pruneByPercent, global scope), certifies on every given
// reference image x0 (label C0) either
//   radius mode:   weak mineps over the L-inf ball of `radius` around x0 (clipped to [0,1]) is
//                  infeasible: wherever N1 (the original) picks C0, the pruned N2 picks C0 too
//                  (a proof from infeasibility, never from an incumbent); or
//   max-diff mode: the maxdiff (probabilities) dual bound over that ball is <= max_diff.
// Every level of the grid is scanned (no monotonicity is assumed).
struct CertifyPruneOptions {
  std::vector<double> levels;  // percentages
  double radius = 0.01;
  std::optional<double> max_diff;  // set: max-diff mode
  CompareOptions compare;          // tier, time limit per reference, ...
};

struct CertifyLevel {
  double percent = 0.0;
  int certified = 0, total = 0;
  bool all = false;                   // every reference certified
  double accuracy = NAN;              // of the pruned network on the test set given
  double worst = NAN;                 // max-diff mode: the largest bound; radius mode: NaN
  std::vector<std::string> statuses;  // per reference
};

// `images` one reference per row, `labels` their classes; test_X / test_y for the accuracy (may
// be empty). on_level runs after each level. Throws Error{kInvalidInput} for sizes that do not
// match, a radius outside (0, 1], a level outside [0, 100].
std::vector<CertifyLevel> certifyPrune(
    const nn::Network& net, const Eigen::MatrixXd& images, const std::vector<int>& labels,
    const Eigen::MatrixXd& test_X, const std::vector<int>& test_y,
    const CertifyPruneOptions& options,
    const std::function<void(const CertifyLevel&)>& on_level = {}, const Callbacks& callbacks = {});

}  // namespace nnmip::compare
