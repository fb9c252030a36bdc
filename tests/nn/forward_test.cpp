// Forward pass on hand-computed tiny networks; batched and single agree.
#include "nn/forward.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace nnmip::nn {
namespace {

//   x = (2, 1)
//   layer 0 (ReLU):  W = [[1, 2], [-1, 1]], b = (0.5, 0)
//                    a = (2 + 2 + 0.5, -2 + 1) = (4.5, -1)          h = (4.5, 0)
//   layer 1 (step, lambda = (0.5, 3), beta = -1, gamma = 1):
//                    W = [[1, -1], [0.5, 2]], b = (-4, 0)
//                    a = (4.5 - 4, 2.25) = (0.5, 2.25)
//                    0.5 < 0.5 is false -> gamma = 1;  2.25 < 3 -> beta = -1;  h = (1, -1)
//   layer 2 (identity): W = [[2, 3]], b = (0.25)    y = 2 - 3 + 0.25 = -0.75
Network tinyNet() {
  Network net;
  DenseLayer l0;
  l0.weight = (Mat(2, 2) << 1, 2, -1, 1).finished();
  l0.bias = (Vec(2) << 0.5, 0).finished();
  l0.activation = Activation::kRelu;
  net.addLayer(l0);
  DenseLayer l1;
  l1.weight = (Mat(2, 2) << 1, -1, 0.5, 2).finished();
  l1.bias = (Vec(2) << -4, 0).finished();
  l1.activation = Activation::kStep;
  l1.step.lambda = (Vec(2) << 0.5, 3).finished();
  l1.step.beta = -1;
  l1.step.gamma = 1;
  net.addLayer(l1);
  DenseLayer l2;
  l2.weight = (Mat(1, 2) << 2, 3).finished();
  l2.bias = (Vec(1) << 0.25).finished();
  net.addLayer(l2);
  return net;
}

TEST(Forward, HandComputedTinyNetWithStep) {
  const Network net = tinyNet();
  const Vec x = (Vec(2) << 2, 1).finished();
  const ForwardTrace t = forwardTrace(net, x);
  ASSERT_EQ(t.pre.size(), 3u);
  EXPECT_EQ(t.pre[0], (Vec(2) << 4.5, -1).finished());
  EXPECT_EQ(t.post[0], (Vec(2) << 4.5, 0).finished());
  EXPECT_EQ(t.pre[1], (Vec(2) << 0.5, 2.25).finished());
  EXPECT_EQ(t.post[1], (Vec(2) << 1, -1).finished());  // at the threshold: gamma
  EXPECT_EQ(t.output()(0), -0.75);
  EXPECT_EQ(forward(net, x)(0), -0.75);
}

TEST(Forward, SoftmaxLastLayer) {
  // logits (0, ln 3) -> probabilities (1/4, 3/4).
  Network net;
  DenseLayer l;
  l.weight = Mat::Zero(2, 1);
  l.bias = (Vec(2) << 0, std::log(3.0)).finished();
  l.activation = Activation::kSoftmax;
  net.addLayer(l);
  const Vec p = forward(net, Vec::Zero(1));
  EXPECT_NEAR(p(0), 0.25, 1e-15);
  EXPECT_NEAR(p(1), 0.75, 1e-15);
}

TEST(Forward, BatchedEqualsSingle) {
  Rng rng(5);
  Network net = tinyNet();
  // Add a wider random ReLU layer in front, so the step layer sees varied inputs.
  DenseLayer front;
  front.weight = Mat(2, 6);
  for (Eigen::Index i = 0; i < front.weight.size(); ++i) front.weight.data()[i] = rng.normal();
  front.bias = Vec::Zero(2);
  front.activation = Activation::kRelu;
  std::vector<DenseLayer> layers{front};
  for (const auto& l : net.layers()) layers.push_back(l);
  const Network big(layers);
  Mat X(50, 6);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-2, 2);
  const Mat Y = forwardBatch(big, X);
  const BatchTrace bt = forwardBatchTrace(big, X);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const ForwardTrace t = forwardTrace(big, X.row(i).transpose());
    EXPECT_EQ(Y.row(i).transpose(), t.output());
    for (size_t l = 0; l < t.pre.size(); ++l) {
      EXPECT_EQ(bt.pre[l].row(i).transpose(), t.pre[l]);
      EXPECT_EQ(bt.post[l].row(i).transpose(), t.post[l]);
    }
  }
}

TEST(Forward, PredictClassesTiesToLowestIndex) {
  Network net;
  DenseLayer l;
  l.weight = Mat::Identity(3, 3);
  l.bias = Vec::Zero(3);
  net.addLayer(l);
  Mat X(3, 3);
  X << 1, 2, 2,  //
      5, 5, 0,   //
      0, 0, 1;
  EXPECT_EQ(predictClasses(net, X), (std::vector<int>{1, 0, 2}));
}

// The predicted-class rule, branch by branch. A rule that took argmax for one output would
// give class 0 everywhere; one that thresholded a step output at 0 (beta = -1 is below 0,
// gamma = 2 above) or at 0.5 would disagree on the rows marked below.
TEST(PredictedClass, ArgmaxForSeveralOutputsTiesToLowestIndex) {
  DenseLayer last;
  last.weight = Mat::Identity(3, 3);
  last.bias = Vec::Zero(3);
  EXPECT_EQ(predictedClass(last, (Vec(3) << 1, 2, 2).finished()), 1);
  EXPECT_EQ(predictedClass(last, (Vec(3) << 5, 5, 0).finished()), 0);
  EXPECT_EQ(predictedClass(last, (Vec(3) << -3, -2, -1).finished()), 2);
  last.activation = Activation::kSoftmax;  // probabilities: same rule
  EXPECT_EQ(predictedClass(last, (Vec(3) << 0.2, 0.2, 0.6).finished()), 2);
}

TEST(PredictedClass, OneIdentityOutputIsClassOneIffLogitIsNonNegative) {
  DenseLayer last;
  last.weight = Mat::Ones(1, 2);
  last.bias = Vec::Zero(1);
  const Mat Y = (Mat(5, 1) << -0.75, 0.0, 1e-300, -1e-300, 3.0).finished();
  EXPECT_EQ(predictedClasses(last, Y), (std::vector<int>{0, 1, 1, 0, 1}));
  EXPECT_EQ(predictedClass(last, Y.row(1).transpose()), 1);
}

TEST(PredictedClass, OneStepOutputIsClassOneIffOutputEqualsGamma) {
  DenseLayer last;
  last.weight = Mat::Ones(1, 2);
  last.bias = Vec::Zero(1);
  last.activation = Activation::kStep;
  last.step.lambda = Vec::Constant(1, 0.5);
  last.step.beta = -1;
  last.step.gamma = 2;
  // beta (-1) -> 0; gamma (2) -> 1; 0.7 is neither (a threshold at 0 or 0.5 would say 1).
  const Mat Y = (Mat(3, 1) << -1.0, 2.0, 0.7).finished();
  EXPECT_EQ(predictedClasses(last, Y), (std::vector<int>{0, 1, 0}));
  // Through a whole network: tinyNet with its output turned into a step at lambda = 0.
  Network net = tinyNet();
  DenseLayer& out = net.mutableLayers().back();
  out.activation = Activation::kStep;
  out.step.lambda = Vec::Constant(1, -1.0);  // y = -0.75 >= -1 -> gamma
  out.step.beta = 0;
  out.step.gamma = 1;
  const Mat X = (Mat(1, 2) << 2, 1).finished();
  EXPECT_EQ(predictClasses(net, X), (std::vector<int>{1}));
  out.step.lambda = Vec::Constant(1, 0.0);  // -0.75 < 0 -> beta
  EXPECT_EQ(predictClasses(net, X), (std::vector<int>{0}));
}

TEST(PredictedClass, OneReluOrSoftmaxOutputIsRefused) {
  DenseLayer last;
  last.weight = Mat::Ones(1, 2);
  last.bias = Vec::Zero(1);
  last.activation = Activation::kRelu;
  EXPECT_THROW(predictedClass(last, Vec::Zero(1)), Error);
  last.activation = Activation::kSoftmax;
  EXPECT_THROW(predictedClasses(last, Mat::Ones(2, 1)), Error);
}

// tinyNet's identity output is -0.75 at (2, 1): class 0; the chunked, threaded batch path
// agrees with the single-sample rule on 5000 rows (three chunks of 2048).
TEST(PredictedClass, BatchedAndThreadedAgreeWithSingle) {
  const Network net = tinyNet();
  EXPECT_EQ(predictClasses(net, (Mat(1, 2) << 2, 1).finished()), (std::vector<int>{0}));
  Rng rng(5);
  Mat X(5000, 2);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-3, 3);
  const std::vector<int> one = predictClasses(net, X, 1);
  EXPECT_EQ(predictClasses(net, X, 3), one);
  long ones = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const int c = predictedClass(net.layers().back(), forward(net, X.row(i).transpose()));
    EXPECT_EQ(one[static_cast<size_t>(i)], c) << "row " << i;
    ones += c;
  }
  EXPECT_GT(ones, 0);
  EXPECT_LT(ones, 5000);
}

TEST(Forward, SizeMismatchThrows) { EXPECT_THROW(forward(tinyNet(), Vec::Zero(3)), Error); }

}  // namespace
}  // namespace nnmip::nn
