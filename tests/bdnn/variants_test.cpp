// Variants: regression (L1, L-inf, squared by tangent cuts), L1 penalty, sparsity limit,
// staircase activations, multiclass; saving and loading step networks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/step_net.hpp"
#include "core/rng.hpp"
#include "nn/forward.hpp"
#include "support/tiny_data.hpp"
#include "support/tolerances.hpp"

namespace nnmip::bdnn {
namespace {

data::Dataset regressionData(int n, int d, uint64_t seed) {
  Rng rng(seed);
  data::Dataset ds;
  ds.X.resize(n, d);
  ds.target.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int l = 0; l < d; ++l) ds.X(i, l) = rng.uniform(-1.0, 1.0);
    ds.target(i) = ds.X(i, 0) > 0 ? 1.0 + rng.uniform(-0.2, 0.2) : rng.uniform(-0.2, 0.2);
  }
  return ds;
}

ExactOptions quick(double seconds = 10.0) { return exactWithLimit(seconds); }

class RegressionLossTest : public ::testing::TestWithParam<RegressionLoss> {};

// The MILP objective equals the forward-pass loss (L1, L-inf); for the squared loss the tangent
// cuts give objective <= forward loss <= objective + m h^2 / 4.
TEST_P(RegressionLossTest, ObjectiveMatchesForwardLoss) {
  const data::Dataset ds = regressionData(8, 2, 3);
  BdnnOptions o;
  o.hidden = {2};
  o.weights = WeightDomain::kBinaryPm1;  // hidden layer; the output layer stays continuous
  o.threshold = ThresholdMode::kZero;
  o.output = OutputMode::kRegression;
  o.loss = GetParam();
  o.pwl_pieces = 32;
  const ExactResult r = trainExact(ds, o, quick(20.0));
  ASSERT_TRUE(r.has_solution);
  EXPECT_TRUE(r.forward_check_ok) << "objective " << r.objective << " l1 " << r.train_reg.l1
                                  << " linf " << r.train_reg.linf << " sq " << r.train_reg.squared;
  // L-inf: the objective is the largest residual.
  if (GetParam() == RegressionLoss::kLinf) {
    EXPECT_LE(r.train_reg.linf, r.objective + 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Bdnn, RegressionLossTest,
                         ::testing::Values(RegressionLoss::kL1, RegressionLoss::kLinf,
                                           RegressionLoss::kSquaredPwl));

// objective = errors + rho * ||W||_1 at the returned network.
TEST(BdnnVariants, L1PenaltyInObjective) {
  const data::Dataset ds = support::randomLabelledData(8, 2, 2, 5);
  BdnnOptions o;
  o.hidden = {2};
  o.threshold = ThresholdMode::kNeuron;
  o.l1_penalty = 0.01;
  const ExactResult r = trainExact(ds, o, quick());
  ASSERT_TRUE(r.has_solution);
  double l1 = 0.0;
  for (const Mat& w : r.params.weights) l1 += w.cwiseAbs().sum();
  EXPECT_NEAR(r.objective, r.milp_errors + 0.01 * l1, 1e-5);
  EXPECT_EQ(r.train_eval.margin_errors, r.milp_errors);
}

// At most K nonzero weights; the forward pass still matches.
TEST(BdnnVariants, SparsityLimit) {
  const data::Dataset ds = support::randomLabelledData(8, 3, 2, 6);
  BdnnOptions o;
  o.hidden = {2};
  o.threshold = ThresholdMode::kNeuron;
  o.max_nonzero_weights = 3;
  const ExactResult r = trainExact(ds, o, quick());
  ASSERT_TRUE(r.has_solution);
  int nonzero = 0;
  for (const Mat& w : r.params.weights)
    nonzero += static_cast<int>((w.array().abs() > 1e-6).count());
  EXPECT_LE(nonzero, 3);
  EXPECT_TRUE(r.forward_check_ok);
}

// Staircase activation {0, 1, 2} with steps at lambda and lambda + 0.5: the expanded network's
// forward pass reproduces the MILP's error count.
TEST(BdnnVariants, StaircaseActivation) {
  const data::Dataset ds = support::randomLabelledData(8, 2, 2, 8);
  BdnnOptions o;
  o.hidden = {2};
  o.activation = HiddenActivation::staircase({0.0, 1.0, 2.0}, {0.0, 0.5});
  o.threshold = ThresholdMode::kNeuron;
  const ExactResult r = trainExact(ds, o, quick());
  ASSERT_TRUE(r.has_solution);
  EXPECT_EQ(r.net.layer(0).outputSize(), 4);  // 2 neurons x 2 units
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_EQ(r.train_eval.errors, r.milp_errors);
}

// A staircase network equals the sum-of-steps expansion neuron by neuron.
TEST(BdnnVariants, StaircaseExpansionValues) {
  BdnnOptions o;
  o.hidden = {1};
  o.activation = HiddenActivation::staircase({-1.0, 0.5, 2.0}, {0.0, 1.0});
  o.output = OutputMode::kRegression;
  BdnnParams p;
  p.weights = {Mat::Constant(1, 1, 1.0), Mat::Constant(1, 1, 1.0)};
  p.lambda = {Vec::Constant(1, 0.0), Vec()};
  const nn::Network net = toNetwork(p, o);
  // h(a) = -1 below 0, 0.5 on [0, 1), 2 at or above 1.
  for (const auto& [x, h] : std::vector<std::pair<double, double>>{
           {-0.5, -1.0}, {0.0, 0.5}, {0.99, 0.5}, {1.0, 2.0}, {3.0, 2.0}}) {
    EXPECT_DOUBLE_EQ(nn::forward(net, Vec::Constant(1, x))(0), h) << "x = " << x;
  }
}

TEST(BdnnVariants, MulticlassForwardCheck) {
  const data::Dataset ds = support::randomLabelledData(9, 2, 3, 9);
  BdnnOptions o;
  o.hidden = {2};
  o.output = OutputMode::kArgmax;
  o.threshold = ThresholdMode::kNeuron;
  const ExactResult r = trainExact(ds, o, quick());
  ASSERT_TRUE(r.has_solution);
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_LE(r.train_eval.errors, r.milp_errors);
}

TEST(BdnnVariants, SaveLoadRoundTrip) {
  const data::Dataset ds = support::randomLabelledData(8, 2, 2, 10);
  BdnnOptions o;
  o.hidden = {2};
  o.threshold = ThresholdMode::kNeuron;
  const ExactResult r = trainExact(ds, o, quick(5.0));
  ASSERT_TRUE(r.has_solution);
  const auto dir = std::filesystem::temp_directory_path();
  for (const char* name : {"bdnn_roundtrip_test.json", "bdnn_roundtrip_test.onnx"}) {
    SCOPED_TRACE(name);
    const std::string path = (dir / name).string();
    saveNetwork(r.net, path, R"({"note": "test"})");
    const nn::Network back = loadNetwork(path);
    ASSERT_EQ(back.numLayers(), r.net.numLayers());
    for (int l = 0; l < back.numLayers(); ++l) {
      EXPECT_EQ(back.layer(l).weight, r.net.layer(l).weight);
      EXPECT_EQ(back.layer(l).activation, r.net.layer(l).activation);
      EXPECT_EQ(back.layer(l).step.lambda, r.net.layer(l).step.lambda);
    }
    EXPECT_EQ(predictBdnn(back, ds.X), predictBdnn(r.net, ds.X));
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace nnmip::bdnn
