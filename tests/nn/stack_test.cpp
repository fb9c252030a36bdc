// nn::stackNetworks: the stack's forward pass is [f(x); g(x)] (logits; a final softmax dropped)
// on random inputs, for equal and unequal depths, and the refusals (memory limit, shapes).
#include "nn/stack.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"

namespace nnmip::nn {
namespace {

Vec logits(const Network& net, const Vec& x) {
  const ForwardTrace t = forwardTrace(net, x);
  return net.layers().back().activation == Activation::kSoftmax ? t.pre.back() : t.post.back();
}

void expectStackEqualsPair(const Network& a, const Network& b, uint64_t seed) {
  const StackedNetwork s = stackNetworks(a, b);
  ASSERT_EQ(s.net.outputSize(), a.outputSize() + b.outputSize());
  ASSERT_EQ(s.net.numLayers(), std::max(a.numLayers(), b.numLayers()));
  Rng rng(seed);
  for (int t = 0; t < 200; ++t) {
    Vec x(a.inputSize());
    for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = rng.uniform(-2.0, 2.0);
    const Vec y = forward(s.net, x);
    const Vec fa = logits(a, x), fb = logits(b, x);
    // Padding is relu(I h) = h on h >= 0 and block-diagonal products add exact zeros: the same
    // floating-point operations up to the order of additions of zeros.
    EXPECT_LE((y.head(a.outputSize()) - fa).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LE((y.tail(b.outputSize()) - fb).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(Stack, EqualDepths) {
  const Network a = testnets::randomNet({3, 5, 4, 3}, 1);
  const Network b = testnets::randomNet({3, 2, 6, 3}, 2);
  expectStackEqualsPair(a, b, 7);
  const StackedNetwork s = stackNetworks(a, b);
  EXPECT_EQ(s.offset_b, (std::vector<int>{5, 4, 3}));
  EXPECT_EQ(s.layer_a, (std::vector<int>{0, 1, 2}));
}

TEST(Stack, UnequalDepthsBothWays) {
  const Network deep = testnets::randomNet({2, 4, 3, 5, 6, 2}, 3);
  const Network shallow = testnets::randomNet({2, 7, 4}, 4);
  expectStackEqualsPair(deep, shallow, 8);
  expectStackEqualsPair(shallow, deep, 9);
  const StackedNetwork s = stackNetworks(shallow, deep);
  // shallow: hidden layer 0, padding at stack layers 1..3 (width 7), output at 4.
  EXPECT_EQ(s.layer_a, (std::vector<int>{0, -1, -1, -1, 1}));
  EXPECT_EQ(s.offset_b, (std::vector<int>{7, 7, 7, 7, 4}));
  // A padding layer is the identity on block a, zero bias.
  EXPECT_EQ(s.net.layer(2).weight.block(0, 0, 7, 7), Mat::Identity(7, 7));
  EXPECT_EQ(s.net.layer(2).bias.head(7), Vec::Zero(7));
}

TEST(Stack, FinalSoftmaxIsDroppedAndRecorded) {
  Network a = testnets::randomNet({2, 4, 3}, 5);
  a.mutableLayers().back().activation = Activation::kSoftmax;
  const Network b = testnets::randomNet({2, 3, 3, 3}, 6);
  const StackedNetwork s = stackNetworks(a, b);
  EXPECT_TRUE(s.softmax_a);
  EXPECT_FALSE(s.softmax_b);
  EXPECT_EQ(s.net.layers().back().activation, Activation::kIdentity);
  expectStackEqualsPair(a, b, 10);
}

TEST(Stack, RefusesOverMemoryLimitAndBadShapes) {
  // 3000x1 against 100x10: 3000 padded neurons through 9 layers, ~700 MB dense.
  const Network wide = testnets::randomNet({4, 3000, 10}, 1);
  const Network deep =
      testnets::randomNet({4, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 10}, 2);
  const int64_t bytes = stackedBytes(wide, deep);
  EXPECT_GT(bytes, int64_t{600} << 20);
  EXPECT_LT(bytes, int64_t{800} << 20);
  try {
    stackNetworks(wide, deep);
    FAIL() << "no refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  EXPECT_THROW(stackNetworks(testnets::randomNet({2, 3, 2}, 1), testnets::randomNet({3, 3, 2}, 1)),
               Error);
  EXPECT_THROW(stackNetworks(testnets::randomNet({2, 3}, 1), testnets::randomNet({2, 3, 3}, 1)),
               Error);  // no hidden layer to pad after
  EXPECT_THROW(
      stackNetworks(testnets::randomNet({2, 3, 2}, 1, true), testnets::randomNet({2, 3, 2}, 1)),
      Error);  // a final relu on one side only
}

}  // namespace
}  // namespace nnmip::nn
