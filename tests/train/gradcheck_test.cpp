// The backward pass equals central finite differences (h = 1e-6, relative error < 1e-5) on
// random small networks, at points whose distance from every ReLU kink (and, with L1, from
// every w = 0) is at least 1e-3.
#include "train/gradcheck.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/mlp.hpp"

namespace nnmip::train {
namespace {

constexpr double kH = 1e-6;
constexpr double kMaxRelError = 1e-5;
constexpr double kMinKinkDistance = 1e-3;

struct Case {
  std::string name;
  std::vector<int> hidden;
  int outputs;
  LossKind loss;
  Regularization reg;
  double lambda;
  bool bias;
};

std::string caseName(const testing::TestParamInfo<Case>& info) { return info.param.name; }

class GradCheck : public testing::TestWithParam<Case> {};

// Draws networks and batches until the point is at least kMinKinkDistance from every kink.
void drawPoint(const Case& c, uint64_t seed, nn::Network& net, Mat& X, std::vector<int>& y) {
  constexpr int kInputs = 4;
  constexpr int kRows = 6;
  const Objective objective{c.loss, c.reg, c.lambda};
  Rng rng(seed);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    net = makeMlp(kInputs, c.hidden, c.outputs, c.bias, rng);
    X.resize(kRows, kInputs);
    for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-1.0, 1.0);
    y.resize(kRows);
    const int classes = c.outputs == 1 ? 2 : c.outputs;
    for (int& v : y) v = static_cast<int>(rng.below(static_cast<uint64_t>(classes)));
    if (kinkDistance(net, X, objective) >= kMinKinkDistance) return;
  }
  FAIL() << "no point away from the kinks found";
}

TEST_P(GradCheck, MatchesCentralDifferences) {
  const Case& c = GetParam();
  const Objective objective{c.loss, c.reg, c.lambda};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    nn::Network net;
    Mat X;
    std::vector<int> y;
    drawPoint(c, seed, net, X, y);
    const GradCheckResult r = checkGradient(net, X, y, objective, kH);
    EXPECT_LT(r.max_rel_error, kMaxRelError) << "seed " << seed;
    // The check is not vacuous: every weight gradient is non-zero.
    Gradients g;
    objectiveAndGradient(net, X, y, objective, &g);
    for (const Mat& w : g.weight) EXPECT_GT(w.norm(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Nets, GradCheck,
    testing::Values(
        Case{"Softmax3_NoReg_Bias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kNone,
             0,
             true},
        Case{"Softmax3_NoReg_NoBias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kNone,
             0,
             false},
        Case{"Softmax3_L1_Bias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kL1,
             0.01,
             true},
        Case{"Softmax3_L1_NoBias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kL1,
             0.01,
             false},
        Case{"Softmax3_L2_Bias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kL2,
             0.01,
             true},
        Case{"Softmax3_L2_NoBias",
             {5, 4},
             3,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kL2,
             0.01,
             false},
        Case{"Deep_L1_Bias",
             {3, 3, 3},
             4,
             LossKind::kSoftmaxCrossEntropy,
             Regularization::kL1,
             0.003,
             true},
        Case{"Linear_L2", {}, 3, LossKind::kSoftmaxCrossEntropy, Regularization::kL2, 0.01, true},
        Case{
            "Bce1_L1_Bias", {6}, 1, LossKind::kBinaryCrossEntropy, Regularization::kL1, 0.01, true},
        Case{"Bce1_NoReg_NoBias",
             {6},
             1,
             LossKind::kBinaryCrossEntropy,
             Regularization::kNone,
             0,
             false},
        Case{"Bce2_L2_NoBias",
             {6},
             2,
             LossKind::kBinaryCrossEntropy,
             Regularization::kL2,
             0.01,
             false}),
    caseName);

TEST(GradCheckLayers, IdentityHiddenAndSoftmaxOutput) {
  // A hidden identity layer and a softmax output layer (its pre-activations are the logits).
  Rng rng(11);
  nn::Network net = makeMlp(3, {4, 4}, 3, true, rng);
  net.mutableLayers()[1].activation = nn::Activation::kIdentity;
  net.mutableLayers()[2].activation = nn::Activation::kSoftmax;
  Mat X(5, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-1.0, 1.0);
  const std::vector<int> y = {0, 1, 2, 1, 0};
  const Objective objective{LossKind::kSoftmaxCrossEntropy, Regularization::kL2, 0.02};
  ASSERT_GE(kinkDistance(net, X, objective), kMinKinkDistance);
  EXPECT_LT(checkGradient(net, X, y, objective, kH).max_rel_error, kMaxRelError);
}

TEST(GradCheckLayers, RejectsStepLayers) {
  Rng rng(3);
  nn::Network net = makeMlp(3, {4}, 2, true, rng);
  net.mutableLayers()[0].activation = nn::Activation::kStep;
  net.mutableLayers()[0].step.lambda = Vec::Zero(4);
  Gradients g;
  EXPECT_THROW(objectiveAndGradient(net, Mat::Zero(2, 3), std::vector<int>{0, 1}, {}, &g), Error);
}

TEST(GradCheckHelpers, FlattenRoundTrip) {
  Rng rng(5);
  nn::Network net = makeMlp(3, {4}, 2, true, rng);
  const Vec theta = flattenParameters(net);
  ASSERT_EQ(theta.size(), net.parameterCount());
  nn::Network copy = makeMlp(3, {4}, 2, true, rng);
  setParameters(copy, theta);
  for (int l = 0; l < net.numLayers(); ++l) {
    EXPECT_EQ(copy.layer(l).weight, net.layer(l).weight);
    EXPECT_EQ(copy.layer(l).bias, net.layer(l).bias);
  }
  // Central differences of a quadratic are exact up to rounding.
  const Vec x = Vec::LinSpaced(4, -1.0, 2.0);
  const Vec g = centralDifferences([](const Vec& v) { return v.squaredNorm(); }, x, 1e-4);
  EXPECT_LT(relativeError(g, 2.0 * x), 1e-9);
}

}  // namespace
}  // namespace nnmip::train
