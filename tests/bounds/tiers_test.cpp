// Solver-free tiers: hand-computed toy values, validity by sampling, order, bounds files.
#include <gtest/gtest.h>

#include <filesystem>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounds_io.hpp"
#include "bounds/propagation.hpp"
#include "core/error.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using testnets::Vec;

// y = relu(x0 - x1) + relu(x0 + x1), x in [-1,1]^2.
// naive: ||W0||_inf = 2, ||x||_inf = 1 -> |a1| <= 2; ||W1||_inf = 2 -> |y| <= 2*2 = 4.
// interval: a1 in [-2,2]^2, h in [0,2]^2, y in [0, 4].
// symbolic: h_i <= a_i/2 + 1 and h_i >= a_i (u = -l), so y <= (a0+a1)/2 + 2 = x0 + 2 <= 3
//           and y >= a0 + a1 = 2 x0 >= -2, intersected with interval: [0, 3].
TEST(Tiers, TwoReluToyLiterals) {
  const nn::Network net = testnets::twoReluToy();
  const Box box = Box::uniform(2, -1.0, 1.0);
  const auto naive = bounds::computeNaive(net, box);
  EXPECT_DOUBLE_EQ(naive.layers[0].lo[0], -2.0);
  EXPECT_DOUBLE_EQ(naive.layers[0].hi[1], 2.0);
  EXPECT_DOUBLE_EQ(naive.layers[1].lo[0], -4.0);
  EXPECT_DOUBLE_EQ(naive.layers[1].hi[0], 4.0);
  const auto ia = bounds::computeInterval(net, box);
  EXPECT_DOUBLE_EQ(ia.layers[0].lo[0], -2.0);
  EXPECT_DOUBLE_EQ(ia.layers[0].hi[0], 2.0);
  EXPECT_DOUBLE_EQ(ia.layers[1].lo[0], 0.0);
  EXPECT_DOUBLE_EQ(ia.layers[1].hi[0], 4.0);
  const auto sym = bounds::computeSymbolic(net, box);
  EXPECT_DOUBLE_EQ(sym.layers[1].lo[0], 0.0);
  EXPECT_DOUBLE_EQ(sym.layers[1].hi[0], 3.0);
  const auto stats = bounds::describeBounds(net, ia);
  EXPECT_EQ(stats[0].unstable, 2);
  EXPECT_DOUBLE_EQ(stats[0].mean_width, 4.0);
  EXPECT_FALSE(stats[1].relu);
}

// Naive bounds with a bias and an input box away from 0 (Proposition 2.1):
// W0 = [[1, -2], [0.5, 0.5]], b0 = [1, -3], x in [0, 2]^2: ||W0|| = 3, ||x|| = 2, ||b0|| = 3
// -> |a1| <= 9; W1 = [[1, 1]], b1 = [0.5]: |a2| <= 2*9 + 0.5 = 18.5.
TEST(Tiers, NaivePropositionLiterals) {
  nn::DenseLayer l0;
  l0.weight = (testnets::Mat(2, 2) << 1, -2, 0.5, 0.5).finished();
  l0.bias = Vec{{1.0, -3.0}};
  l0.activation = nn::Activation::kRelu;
  nn::DenseLayer l1;
  l1.weight = (testnets::Mat(1, 2) << 1, 1).finished();
  l1.bias = Vec{{0.5}};
  const nn::Network net({l0, l1});
  const auto nb = bounds::computeNaive(net, Box::uniform(2, 0.0, 2.0));
  EXPECT_DOUBLE_EQ(nb.layers[0].hi[0], 9.0);
  EXPECT_DOUBLE_EQ(nb.layers[0].lo[1], -9.0);
  EXPECT_DOUBLE_EQ(nb.layers[1].hi[0], 18.5);
}

struct Case {
  std::vector<int> sizes;
  bool final_relu;
  double lo, hi;
};

TEST(Tiers, ValidOnSampledInputsAndOrdered) {
  const std::vector<Case> cases = {{{3, 8, 8, 2}, false, -1.0, 1.0},
                                   {{5, 10, 10, 10, 3}, true, 0.0, 1.0},
                                   {{4, 20, 6}, false, -0.5, 2.0}};
  for (size_t c = 0; c < cases.size(); ++c) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(testing::Message() << "case " << c << " seed " << seed);
      const Case& k = cases[c];
      const nn::Network net = testnets::randomNet(k.sizes, seed * 31 + c, k.final_relu);
      const Box box = Box::uniform(k.sizes[0], k.lo, k.hi);
      const auto naive = bounds::computeNaive(net, box);
      const auto ia = bounds::computeInterval(net, box);
      const auto sym = bounds::computeSymbolic(net, box);
      const auto pts = testnets::samplePoints(net, box, seed, 2000, 200, 4);
      EXPECT_LE(testnets::maxViolation(net, naive, pts), 1e-9);
      EXPECT_LE(testnets::maxViolation(net, ia, pts), 1e-9);
      EXPECT_LE(testnets::maxViolation(net, sym, pts), 1e-9);
      EXPECT_TRUE(bounds::containedIn(ia, naive, 1e-7));
      EXPECT_TRUE(bounds::containedIn(sym, ia, 1e-7));
    }
  }
}

TEST(Tiers, RejectsBadDomainsAndUnsupportedNets) {
  const nn::Network net = testnets::twoReluToy();
  Box bad = Box::uniform(2, 0.0, 1.0);
  bad.lo[0] = 2.0;  // inverted after construction
  EXPECT_THROW(bounds::computeInterval(net, bad), Error);
  bad.lo[0] = std::nan("");
  EXPECT_THROW(bounds::computeSymbolic(net, bad), Error);
  EXPECT_THROW(bounds::computeNaive(net, Box::uniform(3, 0.0, 1.0)), Error);
  nn::Network step = net;
  step.mutableLayers()[0].activation = nn::Activation::kStep;
  try {
    bounds::computeInterval(step, Box::uniform(2, 0.0, 1.0));
    FAIL() << "step activation accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
  }
}

TEST(BoundsFile, RoundTripAndWrongNetwork) {
  const nn::Network net = testnets::randomNet({3, 5, 2}, 5);
  const Box box = Box::uniform(3, 0.0, 1.0);
  auto sym = bounds::computeSymbolic(net, box);
  const std::string path =
      (std::filesystem::temp_directory_path() / "nnmip_bounds_io_test.json").string();
  bounds::writeBoundsJson(path, net, sym, "box:0,1", bounds::describeBounds(net, sym));
  const auto back = bounds::readBoundsJson(path, net);
  EXPECT_EQ(back.method, "symbolic");
  ASSERT_EQ(back.numLayers(), 2);
  for (int l = 0; l < 2; ++l) {
    EXPECT_EQ(back.layers[l].lo, sym.layers[l].lo);  // bit-exact round trip
    EXPECT_EQ(back.layers[l].hi, sym.layers[l].hi);
  }
  EXPECT_EQ(back.input.lo, box.lo);
  // Same shape, one weight changed: another network.
  nn::Network other = net;
  other.mutableLayers()[0].weight(0, 0) += 1e-12;
  EXPECT_NE(bounds::fingerprint(other).hash, bounds::fingerprint(net).hash);
  try {
    bounds::readBoundsJson(path, other);
    FAIL() << "wrong network accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("another network"), std::string::npos);
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  EXPECT_THROW(bounds::readBoundsJson(path, testnets::randomNet({3, 6, 2}, 5)), Error);
  EXPECT_THROW(bounds::readBoundsJson(path + ".missing", net), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nnmip
