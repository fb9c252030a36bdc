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

TEST(Forward, SizeMismatchThrows) { EXPECT_THROW(forward(tinyNet(), Vec::Zero(3)), Error); }

}  // namespace
}  // namespace nnmip::nn
