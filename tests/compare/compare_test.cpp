// The comparators (compare/compare.hpp) on tiny networks (2 inputs, 2 hidden layers) against
// oracles:
//   - the enum backend (every binary pattern, one LP each) on the same MILPs: the brute-force
//     optimum; CBC's dual bound >= it >= the exactly re-evaluated value of the returned input
//     (mineps, a minimum: bound <= optimum <= value), with equality when proved for
//     maxdiff-logit, maxout and mineps;
//   - a dense grid of the box refined by pattern search, independent of every encoding:
//     bound >= the sampled maximum (maxdiff in probabilities, maxdiff-logit);
//   - N2 = N1: maxdiff-logit 0, maxdiff value 0, maxflip 0, mineps infeasible, all proved.
#include "compare/compare.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"
#include "nn/prune.hpp"

namespace nnmip::compare {
namespace {

using Vec = Eigen::VectorXd;
constexpr double kInf = std::numeric_limits<double>::infinity();

int argmaxOfForTest(const Vec& v) {
  int c = 0;
  for (int i = 1; i < v.size(); ++i) {
    if (v[i] > v[c]) c = i;
  }
  return c;
}

encode::Domain box2(double lo, double hi) {
  return encode::Domain(encode::Box::uniform(2, lo, hi));
}

// Dense grid of a 2-D box, then pattern search from the 20 best points (an independent lower
// estimate of the maximum of comparatorValue; NaN values are skipped).
double sampledMax(const nn::Network& a, const nn::Network& b, const CompareOptions& o,
                  const encode::Box& box, int grid = 201) {
  auto f = [&](const Vec& x) {
    const double v = comparatorValue(a, b, o, x, Vec(), -1);
    return std::isnan(v) ? -kInf : v;
  };
  std::vector<std::pair<double, Vec>> pts;
  for (int i = 0; i < grid; ++i) {
    for (int j = 0; j < grid; ++j) {
      Vec x(2);
      x[0] = box.lo[0] + (box.hi[0] - box.lo[0]) * i / (grid - 1);
      x[1] = box.lo[1] + (box.hi[1] - box.lo[1]) * j / (grid - 1);
      pts.push_back({f(x), x});
    }
  }
  std::partial_sort(pts.begin(), pts.begin() + 20, pts.end(),
                    [](const auto& l, const auto& r) { return l.first > r.first; });
  double best = pts.front().first;
  for (int s = 0; s < 20; ++s) {
    Vec x = pts[static_cast<size_t>(s)].second;
    double v = pts[static_cast<size_t>(s)].first;
    for (double step = (box.hi[0] - box.lo[0]) / grid; step > 1e-9;) {
      bool moved = false;
      for (int i = 0; i < 2 && !moved; ++i) {
        for (double sg : {1.0, -1.0}) {
          Vec y = x;
          y[i] = std::clamp(y[i] + sg * step, box.lo[i], box.hi[i]);
          const double w = f(y);
          if (w > v) {
            x = y;
            v = w;
            moved = true;
            break;
          }
        }
      }
      if (!moved) step *= 0.5;
    }
    best = std::max(best, v);
  }
  return best;
}

struct Pair {
  nn::Network a, b;
};

// Two different 2-3-3-3 networks, or a network and a perturbed copy (same architecture).
Pair pairFor(uint64_t seed, bool same_arch) {
  Pair p;
  p.a = testnets::randomNet({2, 3, 3, 3}, seed);
  if (same_arch) {
    p.b = p.a;
    Rng rng(seed + 100);
    for (auto& l : p.b.mutableLayers()) {
      for (Eigen::Index i = 0; i < l.weight.size(); ++i) l.weight.data()[i] += rng.normal(0, 0.3);
    }
  } else {
    p.b = testnets::randomNet({2, 4, 2, 3}, seed + 50);
  }
  return p;
}

CompareOptions baseOptions(Comparator c) {
  CompareOptions o;
  o.comparator = c;
  o.bounds.method = bounds::Method::kSymbolic;
  return o;
}

class CompareTiny : public ::testing::TestWithParam<uint64_t> {};

// maxdiff-logit over [-1,1]^2: CBC (r), the enum backend (e), CBC without differential bounds
// (nd), and the refined grid's maximum.
struct MaxDiffLogitRuns {
  CompareResult r, e, nd;
  double sampled = 0.0;
  CompareOptions o;
};
MaxDiffLogitRuns maxDiffLogitRuns(const Pair& p) {
  MaxDiffLogitRuns m;
  const encode::Domain dom = box2(-1.0, 1.0);
  m.o = baseOptions(Comparator::kMaxDiffLogit);
  m.r = compareNetworks(p.a, p.b, dom, Vec(), m.o);
  CompareOptions o = m.o;
  o.mip_backend = "enum";
  m.e = compareNetworks(p.a, p.b, dom, Vec(), o);
  o.mip_backend = "cbc";
  o.diff_bounds = false;
  m.nd = compareNetworks(p.a, p.b, dom, Vec(), o);
  m.sampled = sampledMax(p.a, p.b, o, dom.box);
  return m;
}

TEST_P(CompareTiny, MaxDiffLogitEqualsEnumerationAndSampling) {
  const Pair p = pairFor(GetParam(), false);
  const auto [r, e, nd, sampled, o] = maxDiffLogitRuns(p);
  std::printf(
      "maxdiff-logit seed %llu: value %.6f bound %.6f enum %.6f sampled %.6f trivial "
      "%.4f (no diff bounds %.4f) binaries %d\n",
      static_cast<unsigned long long>(GetParam()), r.value, r.bound, e.bound, sampled,
      r.trivial_bound, nd.trivial_bound, r.stack_binaries);
  ASSERT_TRUE(r.proven);
  ASSERT_TRUE(e.proven);
  EXPECT_NEAR(r.value, comparatorValue(p.a, p.b, o, r.x, Vec(), -1), 1e-12);
  EXPECT_NEAR(r.value, (nn::forward(p.a, r.x) - nn::forward(p.b, r.x)).cwiseAbs().sum(), 1e-12);
  EXPECT_GE(r.bound, e.bound - 1e-6);
  EXPECT_GE(e.bound + 1e-6, r.value);
  EXPECT_NEAR(r.value, r.bound, 1e-5 * (1 + r.bound));  // proved: equality
  EXPECT_GE(r.bound, sampled);
  EXPECT_NEAR(nd.bound, r.bound, 1e-5 * (1 + r.bound));  // the diff rows change no optimum
  EXPECT_LE(r.trivial_bound, nd.trivial_bound + 1e-9);   // and only tighten the ranges
  EXPECT_TRUE(r.n1.logits32.size() == 3 && r.n2.probs32.size() == 3);
  EXPECT_NEAR(r.value32, r.value, 1e-4 * (1 + r.value));
}

TEST_P(CompareTiny, MaxDiffProbabilitiesBoundAboveSampledAboveValue) {
  const Pair p = pairFor(GetParam(), false);
  const encode::Domain dom = box2(-1.0, 1.0);
  CompareOptions o = baseOptions(Comparator::kMaxDiff);
  if (GetParam() == 7) {  // the formulation: p2 with the lower side (slower)
    o.p2_sides = encode::SoftmaxSides::kLower;
    o.pwl.lower_pieces = 4;
  }
  const CompareResult r = compareNetworks(p.a, p.b, dom, Vec(), o);
  const double sampled = sampledMax(p.a, p.b, o, dom.box);
  const double at_x =
      (encode::softmax(nn::forward(p.a, r.x)) - encode::softmax(nn::forward(p.b, r.x)))
          .cwiseAbs()
          .sum();
  std::printf("maxdiff seed %llu: value %.6f sampled %.6f bound %.6f errors %.2e/%.2e proven %d\n",
              static_cast<unsigned long long>(GetParam()), r.value, sampled, r.bound, r.upper_error,
              r.lower_error, r.proven ? 1 : 0);
  EXPECT_NEAR(r.value, at_x, 1e-12);
  EXPECT_GE(r.bound, sampled);
  EXPECT_GE(r.value, sampled - 0.02);  // attack + MILP find the maximum region
  EXPECT_LE(r.bound, 2.0);
  if (r.proven) {  // the sandwich is tight enough to be useful
    EXPECT_LE(r.bound - r.value, 2.0 * 3 * (r.upper_error + r.lower_error) + 1e-4);
  }
}

TEST_P(CompareTiny, MaxOutEqualsEnumerationOrIsImpossible) {
  const Pair p = pairFor(GetParam(), false);
  const encode::Domain dom = box2(-1.0, 1.0);
  int found = 0, impossible = 0;
  for (int c1 = 0; c1 < 3; ++c1) {
    for (int c2 = 0; c2 < 3; ++c2) {
      if (c1 == c2) continue;
      CompareOptions o = baseOptions(Comparator::kMaxOut);
      o.class1 = c1;
      o.class2 = c2;
      o.margin = 1e-3;
      const CompareResult r = compareNetworks(p.a, p.b, dom, Vec(), o);
      o.mip_backend = "enum";
      o.run_attack = false;
      const CompareResult e = compareNetworks(p.a, p.b, dom, Vec(), o);
      ASSERT_TRUE(r.proven) << c1 << c2;
      if (r.status == "found") {
        ++found;
        ASSERT_EQ(e.status, "found") << c1 << c2;
        EXPECT_EQ(r.n1.cls, c1);
        EXPECT_EQ(r.n2.cls, c2);
        EXPECT_EQ(r.n1.cls32, c1);
        EXPECT_EQ(r.n2.cls32, c2);
        EXPECT_GE(r.bound, e.bound - 1e-6);
        EXPECT_GE(e.bound + 1e-5, r.value);
        EXPECT_NEAR(r.value, r.bound, 1e-5 * (1 + std::abs(r.bound)));
        EXPECT_GE(r.bound, sampledMax(p.a, p.b, o, dom.box, 101));
      } else {
        EXPECT_EQ(r.status, "impossible") << c1 << c2;
        ++impossible;
        // No grid point has both argmaxes.
        EXPECT_EQ(sampledMax(p.a, p.b, o, dom.box, 101), -kInf) << c1 << c2;
        EXPECT_NE(e.status, "found");
      }
    }
  }
  std::printf("maxout seed %llu: %d pairs found, %d impossible\n",
              static_cast<unsigned long long>(GetParam()), found, impossible);
}

TEST_P(CompareTiny, MaxFlipBoundAboveEnumerationAboveValue) {
  const Pair p = pairFor(GetParam(), true);
  const encode::Domain dom = box2(-1.0, 1.0);
  CompareOptions o = baseOptions(Comparator::kMaxFlip);
  o.margin = 1e-3;
  const CompareResult r = compareNetworks(p.a, p.b, dom, Vec(), o);
  o.mip_backend = "enum";
  const CompareResult e = compareNetworks(p.a, p.b, dom, Vec(), o);
  const double sampled = sampledMax(p.a, p.b, o, dom.box, 101);
  std::printf("maxflip seed %llu: value %.0f bound %.0f enum %.0f sampled %.0f candidates %.0f\n",
              static_cast<unsigned long long>(GetParam()), r.value, r.bound, e.bound, sampled,
              r.trivial_bound);
  ASSERT_TRUE(r.proven);
  EXPECT_EQ(r.value, comparatorValue(p.a, p.b, o, r.x, Vec(), -1));
  EXPECT_GE(r.bound, e.bound);
  EXPECT_GE(e.bound, r.value);
  EXPECT_GE(r.bound, sampled);
  EXPECT_GE(r.value, sampled);  // exact: the grid finds no more flips than the MILP's input
}

// A network and a perturbed copy: the bound before any MILP (trivial_bound; with differential
// bounds the signed-sum bound of compare.cpp, max over sign vectors s of the symbolic bound of
// s . (z1 - z2)) still lies above the sampled maximum and the enumerated optimum, and well below
// the sum of the per-output ranges used without them.
TEST_P(CompareTiny, MaxDiffLogitBoundBeforeTheMilpOnCopies) {
  const auto [r, e, nd, sampled, o] = maxDiffLogitRuns(pairFor(GetParam(), true));
  std::printf(
      "maxdiff-logit copies seed %llu: enum %.6f sampled %.6f trivial %.4f (without diff "
      "bounds %.4f)\n",
      static_cast<unsigned long long>(GetParam()), e.bound, sampled, r.trivial_bound,
      nd.trivial_bound);
  ASSERT_TRUE(r.proven);
  EXPECT_NEAR(r.bound, e.bound, 1e-5 * (1 + e.bound));
  EXPECT_GE(r.trivial_bound, e.bound - 1e-6);
  EXPECT_GE(r.trivial_bound, sampled - 1e-9);
  EXPECT_LT(r.trivial_bound, 0.6 * nd.trivial_bound);  // measured 0.41, 0.49, 0.55
}

TEST_P(CompareTiny, MinEpsEqualsEnumeration) {
  const Pair p = pairFor(GetParam(), false);
  // x0: a point N1 classifies with a clear margin; eps_max 1 around it.
  Vec x0 = (Vec(2) << 0.0, 0.0).finished();
  const encode::Domain dom(encode::Box((x0.array() - 1.0).matrix(), (x0.array() + 1.0).matrix()));
  CompareOptions o = baseOptions(Comparator::kMinEps);
  o.eps_max = 1.0;
  o.margin = 1e-3;
  const CompareResult r = compareNetworks(p.a, p.b, dom, x0, o);
  o.mip_backend = "enum";
  o.run_attack = false;
  const CompareResult e = compareNetworks(p.a, p.b, dom, x0, o);
  std::printf("mineps seed %llu: class %d status %s value %.6f bound %.6f enum %.6f (%s)\n",
              static_cast<unsigned long long>(GetParam()), r.class0, r.status.c_str(), r.value,
              r.bound, e.bound, e.status.c_str());
  ASSERT_TRUE(r.proven);
  ASSERT_TRUE(e.proven);
  if (r.status == "infeasible") {
    EXPECT_EQ(e.status, "infeasible");
    return;
  }
  EXPECT_NEAR(r.value, (r.x - x0).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_EQ(r.n1.cls, r.class0);
  EXPECT_NE(r.n2.cls, r.class0);
  EXPECT_LE(r.bound, e.bound + 1e-6);
  EXPECT_LE(e.bound, r.value + 1e-6);
  EXPECT_NEAR(r.value, r.bound, 1e-5);
}

// The thesis's single MILP (4.18)-(4.19) gives the per-class forms' minimum: equal to the
// enumeration of its own binaries (every pattern of the ReLUs and of the class binaries, one LP
// each), with and without the attack's start, and infeasible exactly where per-class is.
TEST_P(CompareTiny, MinEpsSingleMilpEqualsPerClass) {
  const Pair p = pairFor(GetParam(), false);
  const Vec x0 = Vec::Zero(2);
  const encode::Domain dom(encode::Box::uniform(2, -1.0, 1.0));
  CompareOptions o = baseOptions(Comparator::kMinEps);
  o.margin = 1e-3;
  const CompareResult per_class = compareNetworks(p.a, p.b, dom, x0, o);
  o.mineps_form = MinEpsForm::kSingle;
  const CompareResult single = compareNetworks(p.a, p.b, dom, x0, o);
  o.run_attack = false;
  const CompareResult cold = compareNetworks(p.a, p.b, dom, x0, o);
  o.mip_backend = "enum";
  const CompareResult e = compareNetworks(p.a, p.b, dom, x0, o);
  std::printf(
      "mineps single seed %llu: per-class %s %.6f, single %s %.6f, cold %s %.6f, enum %s %.6f\n",
      static_cast<unsigned long long>(GetParam()), per_class.status.c_str(), per_class.bound,
      single.status.c_str(), single.bound, cold.status.c_str(), cold.bound, e.status.c_str(),
      e.bound);
  for (const CompareResult* r : {&per_class, &single, &cold, &e}) ASSERT_TRUE(r->proven);
  EXPECT_EQ(single.status, per_class.status);
  EXPECT_EQ(cold.status, per_class.status);
  EXPECT_EQ(e.status, per_class.status);
  if (per_class.status == "infeasible") return;
  EXPECT_NEAR(single.bound, per_class.bound, 1e-5);
  EXPECT_NEAR(cold.bound, per_class.bound, 1e-5);
  EXPECT_NEAR(e.bound, per_class.bound, 1e-5);
  EXPECT_NE(cold.n2.cls, cold.class0);  // the MILP's own input separates them
  EXPECT_EQ(cold.n1.cls, cold.class0);
  EXPECT_THROW(parseMinEpsForm("both"), Error);
  EXPECT_EQ(parseMinEpsForm(minEpsFormName(MinEpsForm::kSingle)), MinEpsForm::kSingle);
}

INSTANTIATE_TEST_SUITE_P(Nets, CompareTiny, ::testing::Values(3u, 7u, 19u),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return "seed" + std::to_string(info.param);
                         });

TEST(Compare, IdenticalNetworksDifferNowhere) {
  const nn::Network a = testnets::randomNet({2, 3, 3, 3}, 5);
  const encode::Domain dom = box2(-1.0, 1.0);
  CompareOptions o = baseOptions(Comparator::kMaxDiffLogit);
  CompareResult r = compareNetworks(a, a, dom, Vec(), o);
  EXPECT_TRUE(r.proven);
  EXPECT_EQ(r.value, 0.0);
  EXPECT_LE(r.bound, 1e-5);
  // maxdiff: the sandwich's relaxation is not exact, so CBC cannot close the gap between 0 and
  // its approximation error (it ran for minutes): a time limit, and a valid bound below 2.
  o.comparator = Comparator::kMaxDiff;
  o.time_limit_s = 3.0;
  r = compareNetworks(a, a, dom, Vec(), o);
  std::printf("maxdiff N1 = N1: value %.6f bound %.6f (errors %.2e/%.2e)\n", r.value, r.bound,
              r.upper_error, r.lower_error);
  EXPECT_EQ(r.value, 0.0);
  EXPECT_LT(r.bound, 2.0);
  o.time_limit_s.reset();
  o.comparator = Comparator::kMaxFlip;
  o.margin = 1e-3;
  r = compareNetworks(a, a, dom, Vec(), o);
  EXPECT_TRUE(r.proven);
  EXPECT_EQ(r.value, 0.0);
  EXPECT_EQ(r.bound, 0.0);
  o.comparator = Comparator::kMinEps;
  r = compareNetworks(a, a, dom, Vec::Zero(2), o);
  EXPECT_TRUE(r.proven);
  EXPECT_EQ(r.status, "infeasible");
  EXPECT_EQ(r.bound, kInf);
}

TEST(Compare, UnequalDepthsAndRefusals) {
  // 2-3-3-3 against 2-5-3: the stack pads the shallow one; maxdiff-logit still matches enum.
  const nn::Network a = testnets::randomNet({2, 3, 3, 3}, 8);
  const nn::Network b = testnets::randomNet({2, 4, 3}, 9);
  const encode::Domain dom = box2(-1.0, 1.0);
  CompareOptions o = baseOptions(Comparator::kMaxDiffLogit);
  const CompareResult r = compareNetworks(a, b, dom, Vec(), o);
  o.mip_backend = "enum";
  const CompareResult e = compareNetworks(a, b, dom, Vec(), o);
  EXPECT_TRUE(r.proven);
  EXPECT_NEAR(r.bound, e.bound, 1e-5 * (1 + e.bound));
  EXPECT_NEAR(r.value, r.bound, 1e-5 * (1 + r.bound));
  o.mip_backend = "cbc";
  o.comparator = Comparator::kMaxFlip;
  EXPECT_THROW(compareNetworks(a, b, dom, Vec(), o), Error);  // architectures differ
  o.comparator = Comparator::kMaxOut;
  o.class1 = o.class2 = 1;
  EXPECT_THROW(compareNetworks(a, b, dom, Vec(), o), Error);
  o.comparator = Comparator::kMinEps;
  EXPECT_THROW(compareNetworks(a, b, dom, Vec::Zero(3), o), Error);
  EXPECT_THROW(parseComparator("maxdif"), Error);
}

}  // namespace
}  // namespace nnmip::compare

namespace nnmip::compare {
namespace {

// certifyPrune's radius mode is a proof: wherever a level is certified on a reference, no point
// of a 101x101 grid of its ball has N1 pick the label and the pruned N2 not; a level where the
// grid finds such a point is never certified. 0% pruning (N2 = N1) is certified wherever the
// ball holds no tie of N1 (the weak version counts ties).
TEST(CertifyPrune, CertifiedLevelsHoldOnAGrid) {
  const nn::Network net = testnets::randomNet({2, 4, 4, 3}, 21);
  Eigen::MatrixXd refs(3, 2);
  refs << 0.3, 0.4, 0.7, 0.2, 0.5, 0.8;
  std::vector<int> labels;
  for (int r = 0; r < 3; ++r) labels.push_back(argmaxOfForTest(nn::forward(net, refs.row(r))));
  CertifyPruneOptions o;
  o.levels = {0.0, 30.0, 60.0, 90.0};
  o.radius = 0.15;
  o.compare.bounds.method = bounds::Method::kSymbolic;
  const std::vector<CertifyLevel> res = certifyPrune(net, refs, labels, {}, {}, o);
  ASSERT_EQ(res.size(), 4u);
  int certified = 0, refuted = 0;
  for (const CertifyLevel& lv : res) {
    nn::Network pruned = net;
    nn::pruneByPercent(pruned, lv.percent, nn::PruneScope::kGlobal);
    for (int r = 0; r < 3; ++r) {
      bool separated = false;
      for (int i = 0; i <= 100 && !separated; ++i) {
        for (int j = 0; j <= 100 && !separated; ++j) {
          Vec x(2);
          x[0] = std::clamp(refs(r, 0) - o.radius + 2 * o.radius * i / 100, 0.0, 1.0);
          x[1] = std::clamp(refs(r, 1) - o.radius + 2 * o.radius * j / 100, 0.0, 1.0);
          separated = argmaxOfForTest(nn::forward(net, x)) == labels[static_cast<size_t>(r)] &&
                      argmaxOfForTest(nn::forward(pruned, x)) != labels[static_cast<size_t>(r)];
        }
      }
      const bool ok = lv.statuses[static_cast<size_t>(r)] == "infeasible";
      std::printf("level %.0f ref %d: %s, grid %s\n", lv.percent, r,
                  lv.statuses[static_cast<size_t>(r)].c_str(),
                  separated ? "separates" : "does not separate");
      EXPECT_FALSE(ok && separated) << lv.percent << " " << r;
      certified += ok;
      refuted += separated;
    }
  }
  EXPECT_GT(certified, 0);  // the test exercises both outcomes
  EXPECT_TRUE(res[0].all);  // N2 = N1 with no tie in the balls
  std::printf("certified %d, separated on the grid %d (of 12)\n", certified, refuted);
}

}  // namespace
}  // namespace nnmip::compare
