// The alpha tier (optimised lower slopes): hand-computed toy, validity by sampling, never looser
// than symbolic, the LP value at convergence on one hidden layer, splits, spec bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "../encode/tiny_nets.hpp"
#include "bounds/alpha.hpp"
#include "bounds/bounder.hpp"
#include "bounds/propagation.hpp"
#include "bounds/solver_bounds.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "support/paths.hpp"

namespace nnmip {
namespace {

using bounds::AlphaOptions;
using bounds::Box;
using bounds::NetworkBounds;
using encode::Domain;
using testnets::Mat;
using testnets::Vec;

// x in [-1, 2]; h0 = relu(x), h1 = relu(x); y = h0 - h1 (= 0 everywhere).
//   h0 >= alpha x, h1 <= s (x + 1) with s = 2/3, so y >= (alpha - 2/3) x - 2/3, whose minimum
//   over [-1, 2] is -2/3 at alpha = 2/3 (the triangle-LP value: min of max(0,x) - 2/3 (x+1));
//   the symbolic tier's adaptive slope (u = 2 >= -l = 1: alpha = 1) gives -1, interval -2.
//   By symmetry the upper bound is 2/3 (symbolic 1).
nn::Network cancellingPair() {
  nn::DenseLayer hidden;
  hidden.weight = (Mat(2, 1) << 1, 1).finished();
  hidden.bias = Vec::Zero(2);
  hidden.activation = nn::Activation::kRelu;
  nn::DenseLayer out;
  out.weight = (Mat(1, 2) << 1, -1).finished();
  out.bias = Vec::Zero(1);
  return nn::Network({hidden, out});
}

TEST(Alpha, CancellingPairReachesTheLpValue) {
  const nn::Network net = cancellingPair();
  const Domain domain(Box::uniform(1, -1.0, 2.0));
  const NetworkBounds sym = bounds::computeSymbolic(net, domain);
  EXPECT_NEAR(sym.layers[1].lo[0], -1.0, 1e-12);
  EXPECT_NEAR(sym.layers[1].hi[0], 1.0, 1e-12);
  AlphaOptions o;
  o.iterations = 0;  // the first pass alone is the symbolic bound
  NetworkBounds nb = bounds::computeAlpha(net, domain, nullptr, o);
  EXPECT_NEAR(nb.layers[1].lo[0], -1.0, 1e-12);
  o.iterations = 200;
  std::vector<bounds::AlphaLayerStats> stats;
  nb = bounds::computeAlpha(net, domain, &sym, o, &stats);
  EXPECT_EQ(nb.method, "alpha");
  EXPECT_DOUBLE_EQ(nb.layers[0].lo[0], -1.0);  // layer 0 exact
  EXPECT_DOUBLE_EQ(nb.layers[0].hi[1], 2.0);
  // Valid (never below the true range [0, 0] widened by the LP gap) and within 1e-3 of -2/3.
  EXPECT_LE(nb.layers[1].lo[0], -2.0 / 3.0 + 1e-12);
  EXPECT_GE(nb.layers[1].lo[0], -2.0 / 3.0 - 1e-3);
  EXPECT_GE(nb.layers[1].hi[0], 2.0 / 3.0 - 1e-12);
  EXPECT_LE(nb.layers[1].hi[0], 2.0 / 3.0 + 1e-3);
  EXPECT_EQ(stats[1].objectives, 2);  // the identity output: both sides
  EXPECT_GT(stats[1].steps, 0);
}

struct Case {
  std::vector<int> sizes;
  bool final_relu;
  double lo, hi;
};

TEST(Alpha, ValidOnSampledInputsAndNeverLooserThanSymbolic) {
  const std::vector<Case> cases = {{{3, 8, 8, 2}, false, -1.0, 1.0},
                                   {{5, 10, 10, 10, 3}, true, 0.0, 1.0},
                                   {{4, 20, 6}, false, -0.5, 2.0},
                                   {{6, 16, 16, 16, 16, 4}, false, -1.0, 1.0}};
  int tighter_cases = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      SCOPED_TRACE(testing::Message() << "case " << c << " seed " << seed);
      const Case& k = cases[c];
      const nn::Network net = testnets::randomNet(k.sizes, seed * 31 + c, k.final_relu);
      const Domain domain(Box::uniform(k.sizes[0], k.lo, k.hi));
      const NetworkBounds sym = bounds::computeSymbolic(net, domain);
      AlphaOptions o;
      o.iterations = 30;
      o.chunk_size = 6;  // several chunks per layer
      const NetworkBounds alpha = bounds::computeAlpha(net, domain, &sym, o);
      const NetworkBounds alone = bounds::computeAlpha(net, domain, nullptr, o);
      const auto pts = testnets::samplePoints(net, domain.box, seed, 2000, 200, 4);
      EXPECT_LE(testnets::maxViolation(net, alpha, pts), 1e-9);
      EXPECT_LE(testnets::maxViolation(net, alone, pts), 1e-9);
      EXPECT_TRUE(bounds::containedIn(alpha, sym, 0.0));
      EXPECT_FALSE(alpha.empty);
      // Two threads: the same chunks, so the same numbers.
      o.threads = 2;
      const NetworkBounds two = bounds::computeAlpha(net, domain, &sym, o);
      for (int l = 0; l < net.numLayers(); ++l) {
        EXPECT_EQ(two.layers[l].lo, alpha.layers[l].lo);
        EXPECT_EQ(two.layers[l].hi, alpha.layers[l].hi);
      }
      double gain = 0.0;
      for (int l = 0; l < net.numLayers(); ++l) {
        gain += (alpha.layers[l].lo - sym.layers[l].lo).sum() +
                (sym.layers[l].hi - alpha.layers[l].hi).sum();
      }
      if (gain > 1e-6) ++tighter_cases;
    }
  }
  // The optimisation must actually do something on most of these nets.
  EXPECT_GE(tighter_cases, 12);
}

// With the layer-0 bounds fixed, the optimised-slope bound of a one-hidden-layer net converges to
// the triangle-LP optimum (the lp tier over the same prior), and never exceeds it.
TEST(Alpha, OneHiddenLayerMatchesLpTier) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    const nn::Network net = testnets::randomNet({6, 14, 4}, 100 + seed);
    const Box box = Box::uniform(6, -1.0, 1.0);
    const NetworkBounds ia = bounds::computeInterval(net, box);
    const bounds::BoundsResult lp = bounds::computeLpBounds(net, ia);
    AlphaOptions o;
    o.iterations = 400;
    o.learning_rate = 0.05;
    o.lr_decay = 0.99;
    const NetworkBounds alpha = bounds::computeAlpha(net, Domain(box), &ia, o);
    const bounds::LayerBounds& a = alpha.layers[1];
    const bounds::LayerBounds& l = lp.bounds.layers[1];
    for (int j = 0; j < a.size(); ++j) {
      const double scale = 1.0 + std::abs(l.lo[j]) + std::abs(l.hi[j]);
      // Never tighter than the LP (weak duality; the lp tier widens by 1e-7).
      EXPECT_LE(a.lo[j], l.lo[j] + 1e-6) << j;
      EXPECT_GE(a.hi[j], l.hi[j] - 1e-6) << j;
      // And at convergence equal to it (measured: within 4e-4 * scale after 400 steps).
      EXPECT_NEAR(a.lo[j], l.lo[j], 1e-3 * scale) << j;
      EXPECT_NEAR(a.hi[j], l.hi[j], 1e-3 * scale) << j;
    }
  }
}

TEST(Alpha, SplitsClampAndEmptyDomains) {
  const nn::Network net = testnets::randomNet({4, 10, 10, 3}, 7);
  const Box box = Box::uniform(4, -1.0, 1.0);
  const NetworkBounds sym = bounds::computeSymbolic(net, box);
  // Split two unstable neurons of the first layer, one each way.
  std::vector<int> unstable;
  for (int j = 0; j < 10; ++j) {
    if (sym.layers[0].lo[j] < 0.0 && sym.layers[0].hi[j] > 0.0) unstable.push_back(j);
  }
  ASSERT_GE(unstable.size(), 2u);
  Domain domain(box);
  domain.splits[{0, unstable[0]}] = encode::Phase::kInactive;
  domain.splits[{0, unstable[1]}] = encode::Phase::kActive;
  const NetworkBounds alpha = bounds::computeAlpha(net, domain, nullptr);
  ASSERT_FALSE(alpha.empty);
  EXPECT_EQ(alpha.layers[0].hi[unstable[0]], 0.0);
  EXPECT_EQ(alpha.layers[0].lo[unstable[1]], 0.0);
  // Valid on the points of the domain (sampled points filtered by the splits).
  std::vector<Vec> inside;
  for (const Vec& x : testnets::samplePoints(net, box, 3, 4000, 300, 3)) {
    if (domain.satisfiedBy(net, x)) inside.push_back(x);
  }
  ASSERT_GT(inside.size(), 20u);
  EXPECT_LE(testnets::maxViolation(net, alpha, inside), 1e-9);
  // With the box-only bounds as prior: never looser than them, still valid on the domain.
  const NetworkBounds box_alpha = bounds::computeAlpha(net, Domain(box), nullptr);
  const NetworkBounds seeded = bounds::computeAlpha(net, domain, &box_alpha);
  EXPECT_TRUE(bounds::containedIn(seeded, box_alpha, 0.0));
  EXPECT_LE(testnets::maxViolation(net, seeded, inside), 1e-9);

  // a = x - 5 on [0, 1] is never active: an "active" split empties the domain.
  nn::DenseLayer hidden;
  hidden.weight = (Mat(1, 1) << 1).finished();
  hidden.bias = Vec::Constant(1, -5.0);
  hidden.activation = nn::Activation::kRelu;
  nn::DenseLayer out;
  out.weight = (Mat(1, 1) << 1).finished();
  out.bias = Vec::Zero(1);
  const nn::Network dead({hidden, out});
  Domain never(Box::uniform(1, 0.0, 1.0));
  never.splits[{0, 0}] = encode::Phase::kActive;
  const NetworkBounds e = bounds::computeAlpha(dead, never, nullptr);
  EXPECT_TRUE(e.empty);
  ASSERT_EQ(e.numLayers(), 2);                               // shapes kept
  EXPECT_TRUE(bounds::computeAlpha(dead, never, &e).empty);  // an empty prior stays empty
  EXPECT_TRUE(bounds::computeSymbolic(dead, never).empty);
  const Vec spec = bounds::alphaSpecLowerBounds(dead, never, e, Mat::Ones(1, 1), Vec::Zero(1));
  EXPECT_EQ(spec[0], std::numeric_limits<double>::infinity());
}

TEST(Alpha, SpecLowerBoundsValidAndNeverLooserThanSymbolic) {
  for (const bool final_relu : {false, true}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE(testing::Message() << "final_relu " << final_relu << " seed " << seed);
      const nn::Network net = testnets::randomNet({5, 12, 12, 4}, 40 + seed, final_relu);
      const Domain domain(Box::uniform(5, -1.0, 1.0));
      const NetworkBounds nb = bounds::computeAlpha(net, domain, nullptr);
      // Margins y_j - y_0 (what a verifier asks) and two random rows.
      Mat c = Mat::Zero(5, 4);
      Vec c0 = Vec::Zero(5);
      for (int j = 1; j < 4; ++j) {
        c(j - 1, j) = 1.0;
        c(j - 1, 0) = -1.0;
      }
      Rng rng(seed);
      for (int r = 3; r < 5; ++r) {
        for (int j = 0; j < 4; ++j) c(r, j) = rng.normal(0.0, 1.0);
        c0[r] = rng.normal(0.0, 1.0);
      }
      AlphaOptions o;
      o.iterations = 40;
      const Vec lb = bounds::alphaSpecLowerBounds(net, domain, nb, c, c0, o);
      AlphaOptions first;
      first.iterations = 0;
      const Vec lb0 = bounds::alphaSpecLowerBounds(net, domain, nb, c, c0, first);
      for (int r = 0; r < c.rows(); ++r) EXPECT_GE(lb[r], lb0[r]);
      if (!final_relu) {
        const Vec sym = bounds::symbolicLowerBounds(net, nb, net.numLayers() - 1, c, c0);
        for (int r = 0; r < c.rows(); ++r) {
          EXPECT_NEAR(lb0[r], sym[r], 1e-9 * (1.0 + std::abs(sym[r])));
        }
      }
      double worst = 0.0;
      for (const Vec& x : testnets::samplePoints(net, domain.box, seed, 3000, 300, 2)) {
        const Vec y = nn::forward(net, x);
        const Vec v = c * y + c0;
        worst = std::max(worst, (lb - v).maxCoeff());
      }
      EXPECT_LE(worst, 1e-9);
    }
  }
  // Stop early at 0: a row proved >= 0 is not optimised further but stays valid.
  const nn::Network net = testnets::randomNet({3, 8, 2}, 9);
  const Domain domain(Box::uniform(3, -1.0, 1.0));
  const NetworkBounds nb = bounds::computeAlpha(net, domain, nullptr);
  AlphaOptions o;
  o.stop_at = -1e9;  // every row stops after the first pass
  const Mat c = Mat::Identity(2, 2);
  const Vec at0 = bounds::alphaLowerBounds(net, domain, nb, 1, c, Vec::Zero(2), o);
  o.iterations = 0;
  const Vec first = bounds::alphaLowerBounds(net, domain, nb, 1, c, Vec::Zero(2), o);
  EXPECT_EQ(at0, first);
  EXPECT_THROW(bounds::alphaLowerBounds(net, domain, nb, 1, Mat::Identity(3, 3), Vec::Zero(3)),
               Error);
  EXPECT_THROW(bounds::alphaLowerBounds(net, domain, nb, 2, c, Vec::Zero(2)), Error);
}

TEST(Alpha, BoundsChainAndTimeLimit) {
  const nn::Network net = testnets::randomNet({5, 12, 12, 3}, 11);
  const Box box = Box::uniform(5, 0.0, 1.0);
  bounds::BoundsOptions o;
  o.method = bounds::parseMethod("alpha");
  EXPECT_EQ(o.method, bounds::Method::kAlpha);
  EXPECT_STREQ(bounds::methodName(o.method), "alpha");
  const bounds::BoundsResult r = bounds::computeBounds(net, box, o);
  EXPECT_EQ(r.bounds.method, "alpha");
  ASSERT_EQ(r.stats.size(), 3u);
  o.method = bounds::Method::kSymbolic;
  const bounds::BoundsResult s = bounds::computeBounds(net, box, o);
  EXPECT_TRUE(bounds::containedIn(r.bounds, s.bounds, 0.0));
  // A zero time limit still gives the first pass (valid, never looser than the prior).
  AlphaOptions zero;
  zero.time_limit_s = 0.0;
  const NetworkBounds z = bounds::computeAlpha(net, Domain(box), &s.bounds, zero);
  EXPECT_TRUE(bounds::containedIn(z, s.bounds, 0.0));
  const auto pts = testnets::samplePoints(net, box, 5, 1000, 100, 2);
  EXPECT_LE(testnets::maxViolation(net, z, pts), 1e-9);
}

// mnist-net_256x2 over prop_0_0.03's box: valid on sampled and attacked inputs, never looser than
// symbolic, and about the lp tier's unstable counts (symbolic [8, 15], lp [8, 10]).
TEST(Alpha, MnistNetValidAndTighter) {
  NNMIP_SKIP_WITHOUT_DATA();
  const nn::Network net =
      nn::readOnnx(support::sharedPath("vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx"));
  const data::VnnlibProperty p =
      data::readVnnlib(support::sharedPath("vnncomp/mnist_fc/vnnlib/prop_0_0.03.vnnlib"));
  const Box box(p.input_lo, p.input_hi);
  bounds::BoundsOptions o;
  o.method = bounds::Method::kSymbolic;
  const bounds::BoundsResult sym = bounds::computeBounds(net, box, o);
  o.method = bounds::Method::kAlpha;
  o.alpha.iterations = 20;
  const bounds::BoundsResult alpha = bounds::computeBounds(net, box, o);
  EXPECT_TRUE(bounds::containedIn(alpha.bounds, sym.bounds, 0.0));
  const auto pts = testnets::samplePoints(net, box, 1, 300, 100, 3, 10);
  EXPECT_LE(testnets::maxViolation(net, alpha.bounds, pts), 1e-9);
  ASSERT_EQ(alpha.stats.size(), 3u);
  EXPECT_EQ(sym.stats[1].unstable, 15);
  // The lp tier's count is 10, and no slope choice beats the LP when the earlier bounds are
  // exact (layer 1 is): alpha reaches it (measured 10).
  EXPECT_GE(alpha.stats[1].unstable, 10);
  EXPECT_LE(alpha.stats[1].unstable, 11);
  EXPECT_EQ(alpha.stats[0].unstable, 8);  // layer 1 is exact by interval
}

}  // namespace
}  // namespace nnmip
