#pragma once
// Exact training of binary-activation networks by mixed-integer linear programming
// (Bah & Kurtz, "An Integer Programming Approach to Deep Neural Networks with Binary Activation
// Functions", with the slides' typos corrected).
//
// The MILP, for training points i, layers k = 1..K, neurons c, step units t (options.hpp):
//   a^{i,1}_c = sum_l W^1_{cl} x^i_l                                         (linear in W)
//   a^{i,k}_c = v_0 sum_j W^k_{cj} + sum_{j,t} (v_{t+1} - v_t) s^{i,k}_{cjt},  k >= 2
//   s^{i,k}_{cjt} = W^k_{cj} u^{i,k-1}_{jt}  by the four McCormick rows (exact as u is binary):
//     L u <= s <= U u,   w - U (1 - u) <= s <= w - L (1 - u)       with W in [L, U]
//   (the slides write W^k x^i and u^{i,k}; the correct rows read the previous layer's units
//    u^{i,k-1}, through s);
//   unit rows with the margin m (options.hpp):
//     a - lambda_k - o_t >= -M (1 - u),      a - lambda_k - o_t <= -m + M u.
// Big-M: M = A + Lambda + max|o| + 1 where A bounds |a|: A = wb * ||x^i||_1 (<= d_0 r, per
// point, tighter than the seed's M_1 = d_0 r + 1, which it never exceeds once lambda = 0) and
// A = wb * d_{k-1} * max|v| for k >= 2 (the seed's M_k = d_{k-1} + 1 for 0/1 activations and
// lambda = 0); Lambda = 0 for kZero and Lambda = max_i A + max|o| + 1 for trained thresholds
// (every threshold outside [-Lambda, Lambda] gives a constant unit, so nothing is lost).
// Output: kStep — one unit u^{i,K}, errors = sum_{y=0} u + sum_{y=1} (1 - u) (the seed);
//   kArgmax — binary e_i with a_y - a_c >= m - (2A + m) e_i for all c != y, errors = sum e_i;
//   kRegression — y_hat = a + b (output bias b), loss L1 (e_i >= |y_hat - y|), L-inf
//   (t >= |y_hat_i - y_i|) or squared by P tangent cuts e_i >= 2 z_p r_i - z_p^2 at P+1
//   breakpoints z_p spread over [-R, R] (R bounds |r_i|): a lower approximation, exact at the
//   breakpoints and below r^2 by at most h^2/4 (h = 2R/P), so the returned network's squared
//   loss exceeds the true optimum by at most m h^2/4.
// Variants: weights binary/ternary (integer columns), L1 penalty (p >= |w|), a sparsity limit
// (binary z with L z <= w <= U z, sum z <= K), staircase activations (several units per neuron).
//
// Robust counterpart (robust_radius r > 0; U_i = {||delta||_inf <= r}). First-layer rows use
// the worst case over U_i: w.(x + delta) >= w.x - r ||w||_1, with t_c >= ||W^1_c||_1 written
// through p >= |w|:
//     a - r t_c - lambda - o >= -M (1 - u) - M z_i,    a + r t_c - lambda - o <= -m + M u + M z_i,
// and a per-point binary z_i ("given up") that relaxes point i's robust rows and counts it as an
// error: e_i >= z_i, e_i >= (nominal error of i), objective sum e_i.
// Guarantee: for every training point with z_i = 0 and every delta in U_i, each first-layer unit
// of x_i + delta takes the same value as at x_i (a >= lambda, or a <= lambda - m), so every later
// layer and the output are unchanged: the worst-case training error count over U is at most the
// objective. This is the two-stage problem of the seed with the second stage (u adapting to delta)
// restricted to first-layer decisions that do not change, i.e. a sound (conservative) version.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bdnn/options.hpp"
#include "bdnn/step_net.hpp"
#include "core/callbacks.hpp"
#include "data/dataset.hpp"
#include "mip/model.hpp"
#include "mip/result.hpp"
#include "nn/network.hpp"

namespace nnmip::bdnn {

// The training MILP and the handles of its columns.
struct TrainingMilp {
  mip::Model model;
  BdnnOptions options;
  std::vector<int> dims;  // d_0 .. d_K
  int points = 0;
  int units = 1;                              // step units per hidden neuron (staircase q)
  std::vector<std::vector<mip::Var>> w;       // [layer][row * d_in + col]
  std::vector<std::vector<mip::Var>> w_sign;  // kBinaryPm1: b with w = 2b - 1
  std::vector<std::vector<mip::Var>> lambda;  // [layer]: none, one, or one per neuron
  std::vector<std::vector<mip::Var>> w_abs;   // p >= |w| (L1 penalty, robust first layer)
  std::vector<std::vector<mip::Var>> w_nz;    // sparsity indicators
  std::vector<mip::Var> row_l1;               // robust: t_c >= ||W^1_c||_1
  // unit[layer][point][neuron * q + t]: hidden layers, and the output for kStep.
  std::vector<std::vector<std::vector<mip::Var>>> unit;
  // prod[layer][point][(c * d_in + j) * q + t] for layers >= 1 (prod[0] is empty).
  std::vector<std::vector<std::vector<mip::Var>>> prod;
  std::vector<mip::Var> err;      // per point: error binary (argmax, robust) or loss (regression)
  std::vector<mip::Var> give_up;  // robust z_i
  mip::Var max_loss;              // regression L-inf
  mip::Var out_bias;              // regression output bias
  std::vector<double> lambda_bound;          // per layer
  std::vector<double> weight_lo, weight_hi;  // per layer
  double pwl_range = 0.0;                    // R of the squared-loss cuts
  bool integral_objective = false;           // the objective is an error count
};

// Builds the training MILP for `train` (labels 0/1 for kStep, 0..C-1 for kArgmax, targets
// for kRegression). Throws Error{kInvalidInput} on unusable data or options.
TrainingMilp buildTrainingMilp(const data::Dataset& train, const BdnnOptions& options);

// The network parameters in a MILP point (integer weights rounded).
BdnnParams extractParams(const TrainingMilp& milp, std::span<const double> x);

// The error count the MILP point claims (classification: sum of its error indicators).
int milpErrorCount(const TrainingMilp& milp, const data::Dataset& train, std::span<const double> x);

// A full MILP point from network parameters: units from the exact forward pass, products,
// indicators. Feasible when no training point lies in a band (else the solver may reject it).
std::vector<double> startFromParams(const TrainingMilp& milp, const data::Dataset& train,
                                    const BdnnParams& params);

// The constant classifier (every hidden unit active with zero weights, the output fixed to the
// majority class) as MILP parameters: always MILP-feasible, a cheap MIP start that guarantees an
// incumbent when the solver finds none itself (classification with a two-level step).
BdnnParams constantClassifier(const data::Dataset& train, const BdnnOptions& options);

struct ExactOptions {
  double time_limit_s = 60.0;
  std::string backend = "cbc";
  std::optional<BdnnParams> start;  // MIP start (e.g. from the heuristic or a previous round)
  std::optional<std::vector<double>> start_point;  // a full MILP point instead (wins over start)
  int threads = 1;
  std::map<std::string, std::string> backend_options;  // passed to MipParams::backend_options
};

// ExactOptions with only the time limit set.
inline ExactOptions exactWithLimit(double seconds) {
  ExactOptions e;
  e.time_limit_s = seconds;
  return e;
}

struct ExactResult {
  bool has_solution = false;
  BdnnParams params;
  nn::Network net;
  mip::Termination termination = mip::Termination::kError;
  mip::Limit limit = mip::Limit::kNone;
  double objective = NAN;   // MILP objective (errors, or loss, plus penalty)
  double best_bound = NAN;  // dual bound; rounded up to an integer for error counts
  double gap = NAN;         // (objective - bound) / objective; 0 when objective = 0 is proved
  int milp_errors = -1;     // classification: errors the MILP claims
  Evaluation train_eval;    // classification: forward pass on the training set
  RegressionEvaluation train_reg;  // regression: forward pass on the training set
  bool forward_check_ok = false;   // forward-pass errors (or loss) equal the MILP's claim
  double wall_s = 0.0;
  long nodes = 0;
  int vars = 0, binaries = 0, rows = 0;
};

// Builds and solves the MILP, extracts the network and checks it by a forward pass.
ExactResult trainExact(const data::Dataset& train, const BdnnOptions& options,
                       const ExactOptions& exact = {}, const Callbacks& callbacks = {});

// Solves a built training MILP (extra valid rows allowed: symmetry, ray rows), extracts the
// network and checks it by a forward pass, as trainExact does.
ExactResult solveTrainingMilp(const TrainingMilp& milp, const data::Dataset& train,
                              const ExactOptions& exact = {}, const Callbacks& callbacks = {});

// Iterative data addition: solve on a subset, add misclassified training points, warm start
// from the previous network, until no point outside the subset is misclassified or the time
// budget is spent. The dual bound of a subset MILP is a valid lower bound for the full problem
// (it is a relaxation), so `lower_bound` is the best one seen.
struct IterativeOptions {
  int initial_points = 100;
  int add_per_round = 50;
  int max_rounds = 50;
  double time_limit_s = 600.0;       // whole procedure
  double round_time_limit_s = 60.0;  // each MILP (capped by what is left)
  uint64_t seed = 1;                 // which points form the initial subset
  std::string backend = "cbc";
  std::optional<BdnnParams> start;  // default: constantClassifier (classification)
};

struct IterativeRound {
  int subset_size = 0;
  ExactResult result;
  int full_margin_errors = -1;  // the round's network on the full training set
};

struct IterativeResult {
  BdnnParams params;  // the round network with the fewest full-data margin errors
  nn::Network net;
  Evaluation train_eval;
  double lower_bound = 0.0;  // valid for the full data set
  bool converged = false;    // the last subset contained every misclassified point
  std::vector<IterativeRound> rounds;
  double wall_s = 0.0;
};

IterativeResult trainIterative(const data::Dataset& train, const BdnnOptions& options,
                               const IterativeOptions& iter = {}, const Callbacks& callbacks = {});

}  // namespace nnmip::bdnn
