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
// limit; also rows of the MILP), the MILP has the upper side of the softmax sandwich
// (encode/softmax_pwl.hpp: rows (a), (b), (c), (e) there, with their soundness argument) and:
//   (d) sum_k p_k = 1, t_k in [0, pu_k - p0_k], t_k <= p_k - p0_k + p0_k (1 - b_k),
//       t_k <= (pu_k - p0_k) b_k, b_k binary (t_k = (p_k - p0_k)^+ is reachable: b_k = [p_k >
//       p0_k]); maximise 2 sum_k t_k.
// Every row holds at (x, z(x), the sandwich's true point, b, t = (p - p0)^+), so the MILP's
// feasible set projects onto a superset of the true graph and its maximum is >= max
// ||p - p0||_1. A dual bound of a maximisation is >= the MILP's maximum.
// The reported bound adds `bound_safety` (absolute) for the solver's feasibility tolerances.
// `approx_error` is the sandwich's a-priori upper_error (an estimate, not a certificate; the
// dual bound never depends on it); `observed_error` is the largest p_hat_k - softmax_k(z) at
// the MILP's own solution.
#include <Eigen/Dense>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounds/bounder.hpp"
#include "core/callbacks.hpp"
#include "encode/domain.hpp"
#include "encode/softmax_pwl.hpp"
#include "mip/model.hpp"
#include "mip/result.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"

namespace nnmip::verify {

enum class PvObjective { kLogitL1, kMargin, kSoftmaxL1 };
const char* pvObjectiveName(PvObjective objective);  // "logit-l1", "margin", "softmax-l1"
// Throws Error{kInvalidInput} for other names.
PvObjective parsePvObjective(std::string_view name);

// The sandwich's options (encode/softmax_pwl.hpp); PV uses its upper side.
using SoftmaxPwlOptions = encode::SoftmaxPwlOptions;

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
  std::string detail;  // the solver's own words ("cbc status 1/4", "killed at the hard ...")
};

// The report of one solved MILP (PV's and the comparators').
PvMilpReport milpReport(const std::string& label, const mip::Model& model,
                        const mip::MipResult& result);

// The bounds PV and the comparators encode with: over `bounds_box` when given (it must contain the
// query's box), else over the query domain; the tiers get bounds_time_limit_s, else half of
// time_limit_s (the solver's own limit in `options` when smaller). `who` ("PV", "compare") starts
// the error messages.
struct QueryBounds {
  bounds::BoundsResult result;
  bounds::BoundsOptions options;  // as run: with the time limits above
  std::string method;             // bounds::methodName of the tier
  std::string over;               // "box" or "query"
};
QueryBounds queryBounds(const nn::Network& net, const encode::Domain& domain,
                        const std::optional<encode::Box>& bounds_box, bounds::BoundsOptions options,
                        std::optional<double> bounds_time_limit_s,
                        std::optional<double> time_limit_s, const std::string& who,
                        const Callbacks& callbacks);

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
// softmaxOf of each row of a batch of logits (stable: the row's largest logit subtracted first).
Eigen::MatrixXd softmaxRows(const Eigen::MatrixXd& Z);
// A copy of `net` whose final softmax, if any, is the identity: its outputs are the logits (the
// logit objectives and their attacks work on these).
nn::Network logitNetwork(const nn::Network& net);
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
