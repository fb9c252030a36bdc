#pragma once
// Options and parameters of binary-activation networks (BDNN, Bah & Kurtz) trained by MILP or
// by the mountain-climbing heuristic.
//
// Network shape. Layer k (k = 1..K) has weights W^k (d_k x d_{k-1}), no bias, and an activation:
//   hidden layers: the step sigma(a) = beta if a < lambda else gamma (HiddenActivation::step),
//     or a staircase with several levels (HiddenActivation::staircase, see below);
//   the output layer: kStep   one neuron, class 1 iff a >= lambda (two classes, the seed's model);
//                     kArgmax C linear outputs, class = argmax (multiclass);
//                     kRegression one linear output plus a bias.
// Thresholds lambda are trained per layer (ThresholdMode::kLayer, the seed's "BDNN"), per
// neuron (kNeuron, equivalent to a bias) or fixed at 0 (kZero, the seed's "BDNN0").
//
// The step margin (strict inequality). The step is active iff a >= lambda (as in the seed). The
// MILP, with threshold variable lambda (0 for BDNN0), writes the strict "a < lambda" of an
// inactive unit as a <= lambda - margin: active iff a - lambda >= 0, inactive iff
// a - lambda <= -margin. The network it returns uses the threshold theta = lambda - margin/2,
// the middle of the excluded band, so a solver tolerance below margin/2 can never change the
// forward pass (LP vertices put many points exactly on a >= lambda; a threshold at lambda itself
// flips some of them on rounding). So BDNN0's stored threshold is -margin/2, and an input x = 0
// (a = 0) is active, as in the seed. BdnnParams::lambda holds theta (network thresholds).
// A network with a training point whose pre-activation lies in |a - theta| < margin/2 is not
// representable by the MILP: evaluation reports such "band points" and counts them as errors
// in the margin-consistent error count.
#include <Eigen/Dense>

#include <optional>
#include <string>
#include <vector>

namespace nnmip::bdnn {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

enum class ThresholdMode { kZero, kLayer, kNeuron };
enum class WeightDomain {
  kContinuous,  // w in [-weight_bound, weight_bound] (the seed: [-1, 1])
  kBinaryPm1,   // w in {-1, 1}
  kBinary01,    // w in {0, 1}
  kTernary,     // w in {-1, 0, 1}
};
enum class OutputMode { kStep, kArgmax, kRegression };
enum class RegressionLoss {
  kL1,          // sum |y_hat - y|                    (exact MILP)
  kLinf,        // max |y_hat - y|                    (exact MILP)
  kSquaredPwl,  // sum (y_hat - y)^2 by tangent cuts  (lower approximation, see exact_trainer.hpp)
};

const char* thresholdModeName(ThresholdMode mode);
const char* weightDomainName(WeightDomain domain);
const char* outputModeName(OutputMode mode);
const char* regressionLossName(RegressionLoss loss);

// Hidden activation as a staircase: value values[0] below lambda + offsets[0], values[t] on
// [lambda + offsets[t-1], lambda + offsets[t]), values[q] at or above lambda + offsets[q-1].
// Written as a sum of q step "units" u_t = [a >= lambda + offsets[t]]:
//   h = values[0] + sum_t (values[t+1] - values[t]) * u_t.
// The two-level step is q = 1: values {beta, gamma}, offsets {0}.
struct HiddenActivation {
  std::vector<double> values = {0.0, 1.0};
  std::vector<double> offsets = {0.0};

  static HiddenActivation step(double beta, double gamma);
  static HiddenActivation staircase(std::vector<double> values, std::vector<double> offsets);
  int units() const { return static_cast<int>(offsets.size()); }
  double maxAbsValue() const;
  // Throws Error{kInvalidInput} unless sizes match and offsets increase strictly.
  void validate() const;
};

struct BdnnOptions {
  std::vector<int> hidden = {25};  // d_1 .. d_{K-1}; at least one hidden layer
  HiddenActivation activation;     // of every hidden layer
  ThresholdMode threshold = ThresholdMode::kLayer;
  WeightDomain weights = WeightDomain::kContinuous;
  double weight_bound = 1.0;  // continuous weights of all layers but a regression output
  OutputMode output = OutputMode::kStep;
  RegressionLoss loss = RegressionLoss::kL1;
  int pwl_pieces = 16;  // tangent cuts for kSquaredPwl
  // Width of the excluded band around each threshold. 0 is the seed's formulation (a <= lambda
  // for an inactive unit): NOT a sound model of the step, since zero weights put every point on
  // the threshold where each unit may take either value; its error count is a MILP claim that the
  // forward pass of the returned network does not keep (engine.hpp).
  double margin = 1e-3;
  double l1_penalty = 0.0;       // objective += l1_penalty * sum |w| (all layers)
  int max_nonzero_weights = -1;  // sparsity limit over all weights (-1: none)
  double robust_radius = 0.0;    // r of U_i = {||delta||_inf <= r} (0: nominal training)
  // Regression only: bound on the output weights and the output bias (0: from the targets).
  double output_weight_bound = 0.0;
};

// Trained parameters in MILP terms (before expansion into an nn::Network).
struct BdnnParams {
  std::vector<Mat> weights;  // layer k: d_k x d_{k-1}
  std::vector<Vec> lambda;   // network thresholds theta per layer, size d_k; empty: linear layer
  double output_bias = 0.0;  // regression output only
};

}  // namespace nnmip::bdnn
