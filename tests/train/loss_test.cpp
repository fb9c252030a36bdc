// Loss values and gradients on hand-computed cases; architecture strings; initialisation.
#include "train/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/mlp.hpp"

namespace nnmip::train {
namespace {

TEST(Loss, SoftmaxCrossEntropyHandComputed) {
  // Two samples, three classes. Row 0: logits (0,0,0), label 2 -> log 3.
  // Row 1: logits (1,2,3), label 0 -> log(e+e^2+e^3) - 1.
  Mat z(2, 3);
  z << 0, 0, 0, 1, 2, 3;
  const std::vector<int> y = {2, 0};
  Mat g;
  const double expected =
      (std::log(3.0) + std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0) / 2.0;
  EXPECT_NEAR(softmaxCrossEntropy(z, y, &g), expected, 1e-14);
  // d/dz = (softmax - onehot) / n.
  EXPECT_NEAR(g(0, 0), (1.0 / 3) / 2, 1e-15);
  EXPECT_NEAR(g(0, 2), (1.0 / 3 - 1) / 2, 1e-15);
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(g(1, 0), (std::exp(1.0) / s - 1) / 2, 1e-15);
  EXPECT_NEAR(g(1, 2), (std::exp(3.0) / s) / 2, 1e-15);
}

TEST(Loss, SoftmaxIsStableForLargeLogits) {
  Mat z(1, 2);
  z << 1000.0, -1000.0;
  const std::vector<int> y = {1};
  EXPECT_NEAR(softmaxCrossEntropy(z, y), 2000.0, 1e-9);
}

TEST(Loss, BinaryCrossEntropyOneLogit) {
  // softplus(z) - y z: z = 0 -> log 2 for either label; z = 2, y = 1 -> log(1 + e^-2).
  Mat z(3, 1);
  z << 0.0, 2.0, -30.0;
  const std::vector<int> y = {1, 1, 0};
  Mat g;
  const double expected =
      (std::log(2.0) + std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-30.0))) / 3;
  EXPECT_NEAR(binaryCrossEntropy(z, y, &g), expected, 1e-15);
  EXPECT_NEAR(g(0, 0), (0.5 - 1) / 3, 1e-15);
  EXPECT_NEAR(g(1, 0), (1 / (1 + std::exp(-2.0)) - 1) / 3, 1e-15);
}

TEST(Loss, BinaryCrossEntropyTwoOutputsEqualsKerasFormula) {
  // Keras: mean over the two softmax outputs of -(t log p + (1-t) log(1-p)).
  Mat z(2, 2);
  z << 0.3, -1.2, 2.0, 0.5;
  const std::vector<int> y = {0, 1};
  double keras = 0;
  for (int i = 0; i < 2; ++i) {
    const double e0 = std::exp(z(i, 0)), e1 = std::exp(z(i, 1));
    const double p[2] = {e0 / (e0 + e1), e1 / (e0 + e1)};
    for (int k = 0; k < 2; ++k) {
      const double t = y[static_cast<size_t>(i)] == k ? 1.0 : 0.0;
      keras += -(t * std::log(p[k]) + (1 - t) * std::log(1 - p[k])) / 2;
    }
  }
  EXPECT_NEAR(binaryCrossEntropy(z, y), keras / 2, 1e-14);
}

TEST(Loss, RejectsBadLabels) {
  Mat z = Mat::Zero(2, 3);
  const std::vector<int> bad = {0, 3};
  EXPECT_THROW(softmaxCrossEntropy(z, bad), Error);
  const std::vector<int> short_labels = {0};
  EXPECT_THROW(softmaxCrossEntropy(z, short_labels), Error);
  EXPECT_THROW(binaryCrossEntropy(z, std::vector<int>{0, 1}), Error);  // 3 outputs
}

TEST(Loss, PenaltyOnWeightsOnly) {
  // W0 = [[1,-2]], b0 = [5]; W1 = [[0.5]], b1 = [-7].
  nn::Network net;
  nn::DenseLayer a;
  a.weight = Mat{{1.0, -2.0}};
  a.bias = Vec::Constant(1, 5.0);
  a.activation = nn::Activation::kRelu;
  net.addLayer(a);
  nn::DenseLayer b;
  b.weight = Mat{{0.5}};
  b.bias = Vec::Constant(1, -7.0);
  net.addLayer(b);
  EXPECT_DOUBLE_EQ(penaltyValue(net, Regularization::kL1, 0.1), 0.1 * 3.5);
  EXPECT_DOUBLE_EQ(penaltyValue(net, Regularization::kL2, 0.1), 0.1 * 5.25);
  EXPECT_DOUBLE_EQ(penaltyValue(net, Regularization::kNone, 0.1), 0.0);
  Mat w{{0.0, -3.0, 2.0}};
  Mat g = Mat::Zero(1, 3);
  addPenaltyGradient(w, Regularization::kL1, 0.5, g);
  EXPECT_EQ(g, (Mat{{0.0, -0.5, 0.5}}));  // subgradient 0 at w = 0
  g.setZero();
  addPenaltyGradient(w, Regularization::kL2, 0.5, g);
  EXPECT_EQ(g, (Mat{{0.0, -3.0, 2.0}}));
}

TEST(Arch, Parse) {
  EXPECT_EQ(parseArch("200x5"), (std::vector<int>{200, 200, 200, 200, 200}));
  EXPECT_EQ(parseArch("25"), (std::vector<int>{25}));
  EXPECT_EQ(parseArch("800x2"), (std::vector<int>{800, 800}));
  EXPECT_EQ(parseArch("64,32"), (std::vector<int>{64, 32}));
  EXPECT_EQ(parseArch("15x2,7"), (std::vector<int>{15, 15, 7}));
  EXPECT_TRUE(parseArch("none").empty());
  EXPECT_EQ(archName(parseArch("3000x1")), "3000x1");
  EXPECT_EQ(archName({64, 32}), "64-32");
  for (const char* bad : {"x5", "200x", "200x0", "0", "-3", "2e2", "200xx5", "1,,2", "a"}) {
    EXPECT_THROW(parseArch(bad), Error) << bad;
  }
}

TEST(Init, PyTorchLinearBoundsAndNoBias) {
  Rng rng(7);
  const nn::Network net = makeMlp(100, {25}, 2, true, rng);
  ASSERT_EQ(net.numLayers(), 2);
  EXPECT_EQ(net.layer(0).activation, nn::Activation::kRelu);
  EXPECT_EQ(net.layer(1).activation, nn::Activation::kIdentity);
  EXPECT_LE(net.layer(0).weight.cwiseAbs().maxCoeff(), 0.1);    // 1/sqrt(100)
  EXPECT_GT(net.layer(0).weight.cwiseAbs().maxCoeff(), 0.099);  // and fills the range
  EXPECT_LE(net.layer(1).weight.cwiseAbs().maxCoeff(), 0.2);    // 1/sqrt(25)
  EXPECT_LE(net.layer(1).bias.cwiseAbs().maxCoeff(), 0.2);
  EXPECT_GT(net.layer(1).bias.cwiseAbs().maxCoeff(), 0.0);
  // Mean of U(-b,b) over 2500 draws is ~0 (sd b/sqrt(3*2500) = 0.0012).
  EXPECT_NEAR(net.layer(0).weight.mean(), 0.0, 0.005);
  Rng rng2(7);
  const nn::Network nobias = makeMlp(100, {25}, 2, false, rng2);
  EXPECT_EQ(nobias.layer(0).weight, net.layer(0).weight);  // same draws for the first weight
  EXPECT_TRUE(nobias.layer(0).bias.isZero(0.0));
  EXPECT_TRUE(nobias.layer(1).bias.isZero(0.0));
}

}  // namespace
}  // namespace nnmip::train
