// The Rounder (thesis Algorithm 2) and percent pruning on hand-made networks.
#include "nn/prune.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "core/error.hpp"

namespace nnmip::nn {
namespace {

// Layer 0: 2 inputs -> 3 ReLU neurons, layer 1: 3 -> 2 outputs.
//   W0 = [ 0.5  -0.001 ]      W1 = [ 0.0001  -0.05  2.0 ]
//        [ 0     0.02  ]           [ -0.01    0     0.2 ]
//        [-0.3   0.01  ]
// The biases are tiny on purpose: the Rounder never touches biases.
Network handNet() {
  DenseLayer a;
  a.weight = Mat{{0.5, -0.001}, {0.0, 0.02}, {-0.3, 0.01}};
  a.bias = Vec{{1e-6, -1e-6, 0.0}};
  a.activation = Activation::kRelu;
  DenseLayer b;
  b.weight = Mat{{0.0001, -0.05, 2.0}, {-0.01, 0.0, 0.2}};
  b.bias = Vec{{1e-9, 0.0}};
  Network net;
  net.addLayer(a);
  net.addLayer(b);
  return net;
}

TEST(Rounder, ZeroesExactlyTheWeightsWithinEps) {
  // |w| in layer 0: 0.5 0.001 0 0.02 0.3 0.01; layer 1: 0.0001 0.05 2 0.01 0 0.2.
  Network net = handNet();
  const PruneReport r = roundWeights(net, 0.01);  // |w| <= 0.01 (inclusive)
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].total, 6);
  EXPECT_EQ(r.layers[0].zero_before, 1);
  EXPECT_EQ(r.layers[0].zero_after, 3);  // 0.001 and 0.01 go, 0 stays
  EXPECT_EQ(r.layers[0].zeroed(), 2);
  EXPECT_EQ(r.layers[1].zero_before, 1);
  EXPECT_EQ(r.layers[1].zero_after, 3);  // 0.0001 and 0.01 go
  EXPECT_EQ(r.zeroed(), 4);
  EXPECT_EQ(r.total(), 12);
  EXPECT_DOUBLE_EQ(r.zeroFraction(), 0.5);
  EXPECT_EQ(net.layer(0).weight, (Mat{{0.5, 0.0}, {0.0, 0.02}, {-0.3, 0.0}}));
  EXPECT_EQ(net.layer(1).weight, (Mat{{0.0, -0.05, 2.0}, {0.0, 0.0, 0.2}}));
  EXPECT_EQ(net.layer(0).bias, handNet().layer(0).bias);  // biases untouched
  EXPECT_EQ(net.layer(1).bias, handNet().layer(1).bias);
}

TEST(Rounder, ShareAtMostCountsWhatRoundingWouldZeroWithoutRounding) {
  // |w| <= 0.01: layer 0 has 0.001, 0, 0.01; layer 1 has 0.0001, 0.01, 0 (6 of 12 weights).
  const Network net = handNet();
  EXPECT_DOUBLE_EQ(shareOfWeightsAtMost(net, 0.01), 0.5);
  EXPECT_DOUBLE_EQ(shareOfWeightsAtMost(net, 0.0), 2.0 / 12.0);  // the two exact zeros
  EXPECT_DOUBLE_EQ(shareOfWeightsAtMost(net, 2.0), 1.0);
  EXPECT_EQ(net.layer(0).weight, handNet().layer(0).weight);  // nothing rounded
  Network rounded = net;
  EXPECT_DOUBLE_EQ(shareOfWeightsAtMost(net, 0.02), roundWeights(rounded, 0.02).zeroFraction());
  EXPECT_DOUBLE_EQ(shareOfWeightsAtMost(Network(), 0.1), 0.0);
}

TEST(Rounder, EpsZeroKeepsEverythingAndBadEpsThrows) {
  Network net = handNet();
  const PruneReport r = roundWeights(net, 0.0);
  EXPECT_EQ(r.zeroed(), 0);
  EXPECT_EQ(r.zeroAfter(), 2);
  EXPECT_THROW(roundWeights(net, -0.1), Error);
  EXPECT_THROW(roundWeights(net, std::numeric_limits<double>::quiet_NaN()), Error);
}

TEST(Rounder, PercentThresholdIsTheQuantile) {
  const std::vector<double> m = {0.5, 0.1, 0.3, 0.2, 0.4, 0.9, 0.8, 0.7, 0.6, 1.0};
  EXPECT_EQ(percentThreshold(m, 0), -1.0);
  EXPECT_EQ(percentThreshold(m, 10), 0.1);
  EXPECT_EQ(percentThreshold(m, 50), 0.5);
  EXPECT_EQ(percentThreshold(m, 90), 0.9);  // 0.9*10 computed in floating point is 9
  EXPECT_EQ(percentThreshold(m, 91), 1.0);  // ceil(9.1) = 10
  EXPECT_EQ(percentThreshold(m, 100), 1.0);
  EXPECT_THROW(percentThreshold(m, 101), Error);
}

TEST(Rounder, PercentGlobalAndPerLayer) {
  // Global: 12 magnitudes sorted: 0 0 0.0001 0.001 0.01 0.01 0.02 0.05 0.2 0.3 0.5 2.
  // 50% -> k = 6 -> eps = 0.01 -> same as roundWeights(0.01): 6 zeros.
  Network g = handNet();
  const PruneReport rg = pruneByPercent(g, 50, PruneScope::kGlobal);
  EXPECT_EQ(rg.zeroAfter(), 6);
  EXPECT_DOUBLE_EQ(rg.layers[0].eps, 0.01);
  EXPECT_DOUBLE_EQ(rg.layers[1].eps, 0.01);
  // Per layer, 50% of 6 = 3 per layer: layer 0 eps = 0.01 (0, 0.001, 0.01),
  // layer 1 eps = 0.01 (0, 0.0001, 0.01).
  Network l = handNet();
  const PruneReport rl = pruneByPercent(l, 50, PruneScope::kLayer);
  EXPECT_EQ(rl.layers[0].zero_after, 3);
  EXPECT_EQ(rl.layers[1].zero_after, 3);
  // 67% per layer: k = ceil(4.02) = 5 -> layer 0 eps = 0.3, layer 1 eps = 0.2.
  Network l2 = handNet();
  const PruneReport r2 = pruneByPercent(l2, 67, PruneScope::kLayer);
  EXPECT_DOUBLE_EQ(r2.layers[0].eps, 0.3);
  EXPECT_DOUBLE_EQ(r2.layers[1].eps, 0.2);
  EXPECT_EQ(r2.layers[0].zero_after, 5);
  EXPECT_EQ(r2.layers[1].zero_after, 5);
  EXPECT_EQ(l2.layer(0).weight(0, 0), 0.5);
  EXPECT_EQ(l2.layer(1).weight(0, 2), 2.0);
  // 0% prunes nothing, 100% everything.
  Network z = handNet();
  EXPECT_EQ(pruneByPercent(z, 0, PruneScope::kGlobal).zeroed(), 0);
  EXPECT_EQ(pruneByPercent(z, 100, PruneScope::kGlobal).zeroAfter(), 12);
}

}  // namespace
}  // namespace nnmip::nn
