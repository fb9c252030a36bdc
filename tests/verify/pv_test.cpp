// PV (verify/pv.hpp) on tiny networks against independent oracles:
//   - logit objectives: the enum backend (every activation/sign pattern, one LP each), the
//     milp tier of linearBound (margin), and a dense grid of the 2-D box refined by pattern
//     search (the exact maximum lies at or above every sampled value);
//   - softmax-l1: dual bound >= the maximum found by dense sampling + local ascent >= the value
//     of the returned input, recomputed here by hand.
#include "verify/pv.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bounds/linear_bound.hpp"
#include "core/error.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"

namespace nnmip::verify {
namespace {

using Vec = Eigen::VectorXd;

// Objective by hand (no pv.cpp code): logits are the last pre-activations.
double handObjective(const nn::Network& net, PvObjective obj, const Vec& x, const Vec& z0) {
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  const Vec z = t.pre.back();
  int c = 0;
  for (int j = 1; j < z0.size(); ++j) {
    if (z0[j] > z0[c]) c = j;
  }
  if (obj == PvObjective::kLogitL1) return (z - z0).cwiseAbs().sum();
  if (obj == PvObjective::kMargin) {
    double m = -1e300;
    for (int j = 0; j < z.size(); ++j) {
      if (j != c) m = std::max(m, z[j] - z[c]);
    }
    return m;
  }
  auto sm = [](const Vec& v) {
    Vec e(v.size());
    double s = 0;
    for (int i = 0; i < v.size(); ++i) s += (e[i] = std::exp(v[i] - v.maxCoeff()));
    return Vec(e / s);
  };
  return (sm(z) - sm(z0)).cwiseAbs().sum();
}

// Dense grid of a 2-D box, then pattern search from the 30 best grid points.
double sampledMax(const nn::Network& net, PvObjective obj, const encode::Box& box, const Vec& z0,
                  int grid = 301) {
  std::vector<std::pair<double, Vec>> pts;
  for (int a = 0; a < grid; ++a) {
    for (int b = 0; b < grid; ++b) {
      Vec x(2);
      x[0] = box.lo[0] + (box.hi[0] - box.lo[0]) * a / (grid - 1);
      x[1] = box.lo[1] + (box.hi[1] - box.lo[1]) * b / (grid - 1);
      pts.push_back({handObjective(net, obj, x, z0), x});
    }
  }
  std::partial_sort(pts.begin(), pts.begin() + 30, pts.end(),
                    [](const auto& l, const auto& r) { return l.first > r.first; });
  double best = pts.front().first;
  for (int s = 0; s < 30; ++s) {
    Vec x = pts[static_cast<size_t>(s)].second;
    double v = pts[static_cast<size_t>(s)].first;
    double step = (box.hi[0] - box.lo[0]) / (grid - 1);
    while (step > 1e-9) {
      bool moved = false;
      for (int i = 0; i < 2 && !moved; ++i) {
        for (double sgn : {1.0, -1.0}) {
          Vec y = x;
          y[i] = std::clamp(y[i] + sgn * step, box.lo[i], box.hi[i]);
          const double w = handObjective(net, obj, y, z0);
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

encode::Domain boxAround(const Vec& x0, double r) {
  return encode::Domain(
      encode::Box(Vec((x0.array() - r).matrix()), Vec((x0.array() + r).matrix())));
}

struct Case {
  uint64_t seed;
  std::vector<int> sizes;
};

class PvTiny : public ::testing::TestWithParam<Case> {};

TEST_P(PvTiny, LogitL1EqualsEnumerationAndSampling) {
  const nn::Network net = testnets::randomNet(GetParam().sizes, GetParam().seed);
  const Vec x0 = (Vec(2) << 0.1, -0.2).finished();
  const encode::Domain dom = boxAround(x0, 0.6);
  PvOptions o;
  o.objective = PvObjective::kLogitL1;
  o.bounds.method = bounds::Method::kInterval;
  const PvResult cbc = solvePv(net, dom, x0, o);
  o.mip_backend = "enum";
  const PvResult en = solvePv(net, dom, x0, o);
  const double sampled = sampledMax(net, o.objective, dom.box, cbc.z0);
  ASSERT_TRUE(cbc.proven);
  EXPECT_NEAR(cbc.value, handObjective(net, o.objective, cbc.x, cbc.z0), 1e-12);
  EXPECT_TRUE(dom.box.contains(cbc.x));
  EXPECT_NEAR(cbc.bound, en.bound, 1e-5 * (1 + en.bound));
  EXPECT_NEAR(cbc.value, cbc.bound, 1e-5 * (1 + cbc.bound));
  EXPECT_GE(cbc.bound, sampled - 1e-9);
  EXPECT_GE(cbc.value, sampled - 1e-7);                  // exact: not below any sampled value
  EXPECT_LE(cbc.value - sampled, 2e-3 * (1 + sampled));  // and the sampling gets there
}

TEST_P(PvTiny, MarginEqualsLinearBoundMilpAndSampling) {
  const nn::Network net = testnets::randomNet(GetParam().sizes, GetParam().seed);
  const Vec x0 = (Vec(2) << -0.3, 0.25).finished();
  const encode::Domain dom = boxAround(x0, 0.5);
  PvOptions o;
  o.objective = PvObjective::kMargin;
  o.bounds.method = bounds::Method::kLp;
  const PvResult r = solvePv(net, dom, x0, o);
  // Oracle: the milp tier of linearBound on z_j - z_c, per j.
  double oracle = -1e300;
  for (int j = 0; j < net.outputSize(); ++j) {
    if (j == r.class0) continue;
    bounds::LinearObjective lo;
    lo.coef = Vec::Zero(net.outputSize());
    lo.coef[j] = 1;
    lo.coef[r.class0] = -1;
    const bounds::LinearBoundResult lb = bounds::linearBound(net, dom, lo, bounds::Method::kMilp);
    ASSERT_TRUE(lb.exact);
    oracle = std::max(oracle, lb.hi);
  }
  const double sampled = sampledMax(net, o.objective, dom.box, r.z0);
  ASSERT_TRUE(r.proven);
  EXPECT_NEAR(r.value, handObjective(net, o.objective, r.x, r.z0), 1e-12);
  EXPECT_NEAR(r.value, oracle, 1e-5 * (1 + std::abs(oracle)));
  EXPECT_NEAR(r.bound, oracle, 1e-5 * (1 + std::abs(oracle)));
  EXPECT_GE(r.value, sampled - 1e-7);
  EXPECT_LE(r.value - sampled, 2e-3 * (1 + std::abs(sampled)));
}

TEST_P(PvTiny, SoftmaxL1BoundAboveSampledMaximumAboveValue) {
  const nn::Network net = testnets::randomNet(GetParam().sizes, GetParam().seed, false, 3.0);
  const Vec x0 = (Vec(2) << 0.05, 0.1).finished();
  const encode::Domain dom = boxAround(x0, 0.7);
  PvOptions o;
  o.objective = PvObjective::kSoftmaxL1;
  o.bounds.method = bounds::Method::kLp;
  const PvResult r = solvePv(net, dom, x0, o);
  const double sampled = sampledMax(net, o.objective, dom.box, r.z0);
  const double at_x = handObjective(net, o.objective, r.x, r.z0);
  RecordProperty("bound", std::to_string(r.bound));
  RecordProperty("sampled", std::to_string(sampled));
  std::printf(
      "softmax-l1 seed %llu: value %.6f sampled %.6f bound %.6f approx_error %.2e "
      "observed %.2e proven %d\n",
      static_cast<unsigned long long>(GetParam().seed), r.value, sampled, r.bound, r.approx_error,
      r.observed_error, r.proven ? 1 : 0);
  EXPECT_NEAR(r.value, at_x, 1e-12);
  EXPECT_TRUE(dom.box.contains(r.x));
  EXPECT_GE(r.bound, sampled);
  EXPECT_GE(sampled + 1e-6, r.value - 1e-3);  // the returned value is a real, sampled-size value
  EXPECT_GE(r.value, sampled - 0.02);         // attack + MILP start find the maximum region
  EXPECT_LE(r.bound, 2.0);
  EXPECT_LE(r.observed_error, r.approx_error + 1e-6);
  // The relaxation is tight enough to be useful: within 2 K times its a-priori error (the three
  // tiny MILPs close within their limit, so the check always runs).
  ASSERT_TRUE(r.proven);
  EXPECT_LE(r.bound - r.value, 2.0 * net.outputSize() * r.approx_error + 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Nets, PvTiny,
                         ::testing::Values(Case{3, {2, 5, 5, 3}}, Case{11, {2, 6, 4}},
                                           Case{29, {2, 4, 4, 4}}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return "seed" + std::to_string(info.param.seed);
                         });

// A final softmax layer: same logits, same answers as the identity-ended copy.
TEST(Pv, SoftmaxLayerAndIdentityLogitsAgree) {
  nn::Network ident = testnets::randomNet({2, 5, 3}, 7, false, 3.0);
  nn::Network soft = ident;
  soft.mutableLayers().back().activation = nn::Activation::kSoftmax;
  const Vec x0 = (Vec(2) << 0.2, 0.3).finished();
  const encode::Domain dom = boxAround(x0, 0.5);
  for (PvObjective obj : {PvObjective::kSoftmaxL1, PvObjective::kLogitL1, PvObjective::kMargin}) {
    PvOptions o;
    o.objective = obj;
    o.bounds.method = bounds::Method::kSymbolic;
    const PvResult a = solvePv(ident, dom, x0, o);
    const PvResult b = solvePv(soft, dom, x0, o);
    EXPECT_NEAR(a.bound, b.bound, 1e-6) << pvObjectiveName(obj);
    EXPECT_NEAR(a.value, b.value, 1e-6) << pvObjectiveName(obj);
    EXPECT_GE(a.bound, sampledMax(ident, obj, dom.box, a.z0, 151)) << pvObjectiveName(obj);
  }
}

// Bound tiers: every tier (and bounds over a larger box) gives the same exact logit optimum.
TEST(Pv, TiersAgreeOnExactObjective) {
  const nn::Network net = testnets::randomNet({2, 6, 6, 3}, 5);
  const Vec x0 = (Vec(2) << 0.0, 0.0).finished();
  const encode::Domain dom = boxAround(x0, 0.4);
  double first = NAN;
  for (bounds::Method m :
       {bounds::Method::kNaive, bounds::Method::kInterval, bounds::Method::kSymbolic,
        bounds::Method::kAlpha, bounds::Method::kLp, bounds::Method::kMilp}) {
    for (bool full : {false, true}) {
      PvOptions o;
      o.objective = PvObjective::kLogitL1;
      o.bounds.method = m;
      if (full) o.bounds_box = encode::Box::uniform(2, -1.0, 1.0);
      const PvResult r = solvePv(net, dom, x0, o);
      ASSERT_TRUE(r.proven) << bounds::methodName(m);
      if (std::isnan(first)) first = r.bound;
      EXPECT_NEAR(r.bound, first, 1e-5 * (1 + first)) << bounds::methodName(m) << full;
      EXPECT_NEAR(r.value, first, 1e-5 * (1 + first)) << bounds::methodName(m) << full;
      EXPECT_EQ(r.bounds_over, full ? "box" : "query");
    }
  }
  PvOptions o;
  o.bounds_box = encode::Box::uniform(2, -0.1, 0.1);  // does not contain the query box
  EXPECT_THROW(solvePv(net, dom, x0, o), Error);
}

// A MILP stopped by its time limit still gives a valid bound (its dual bound, not its
// incumbent): the bound stays above every sampled value.
TEST(Pv, TimeLimitedBoundStaysValid) {
  const nn::Network net = testnets::randomNet({2, 16, 16, 16, 4}, 13, false, 3.0);
  const Vec x0 = (Vec(2) << 0.0, 0.0).finished();
  const encode::Domain dom = boxAround(x0, 0.8);
  for (PvObjective obj : {PvObjective::kSoftmaxL1, PvObjective::kLogitL1}) {
    PvOptions o;
    o.objective = obj;
    o.bounds.method = bounds::Method::kInterval;
    o.time_limit_s = 0.5;
    const PvResult r = solvePv(net, dom, x0, o);
    const double sampled = sampledMax(net, obj, dom.box, r.z0, 201);
    EXPECT_GE(r.bound, sampled) << pvObjectiveName(obj);
    EXPECT_GE(r.bound, r.value) << pvObjectiveName(obj);
    EXPECT_LT(r.wall_s, 5.0);
  }
}

// bounds_time_limit_s gives the bound tier its own budget and starts the time limit after it:
// a run that fits both budgets gives the untimed answer, and the attack + MILP phases (which
// start after the bounds) use at most about time_limit_s.
TEST(Pv, BoundsTimeLimitIsItsOwnBudget) {
  const nn::Network net = testnets::randomNet({2, 6, 6, 3}, 5);
  const Vec x0 = (Vec(2) << 0.0, 0.0).finished();
  const encode::Domain dom = boxAround(x0, 0.4);
  PvOptions o;
  o.objective = PvObjective::kLogitL1;
  o.bounds.method = bounds::Method::kMilp;
  const PvResult untimed = solvePv(net, dom, x0, o);
  o.bounds_time_limit_s = 30.0;
  o.time_limit_s = 30.0;
  const PvResult timed = solvePv(net, dom, x0, o);
  ASSERT_TRUE(untimed.proven);
  ASSERT_TRUE(timed.proven);
  EXPECT_NEAR(timed.bound, untimed.bound, 1e-6 * (1 + untimed.bound));

  const nn::Network big = testnets::randomNet({2, 16, 16, 16, 4}, 13, false, 3.0);
  PvOptions b;
  b.objective = PvObjective::kSoftmaxL1;
  b.bounds.method = bounds::Method::kInterval;
  b.bounds_time_limit_s = 5.0;
  b.time_limit_s = 0.5;
  const PvResult r = solvePv(big, boxAround(x0, 0.8), x0, b);
  EXPECT_LT(r.wall_s - r.bounds_s, 5.0);
  EXPECT_GE(r.bound, r.value);
}

// Side rows: an empty domain gives -inf for value and bound (proved by the LP tier or by the
// MILP); a feasible half-plane is honoured by the returned input, and the logit-l1 optimum
// over it is below the optimum over the whole box.
TEST(Pv, SideRowsHonouredAndEmptyDomain) {
  const nn::Network net = testnets::randomNet({2, 5, 5, 3}, 3);
  const Vec x0 = (Vec(2) << 0.1, -0.2).finished();
  encode::Domain dom = boxAround(x0, 0.6);
  PvOptions o;
  o.objective = PvObjective::kLogitL1;
  o.bounds.method = bounds::Method::kLp;
  const PvResult whole = solvePv(net, dom, x0, o);
  encode::LinearRow row;
  row.coef = (Vec(2) << 1.0, 1.0).finished();
  row.hi = -0.1;  // x0 + x1 <= -0.1
  dom.input_rows.push_back(row);
  const PvResult half = solvePv(net, dom, x0, o);
  ASSERT_TRUE(half.proven);
  EXPECT_LE(half.x.sum(), -0.1 + 1e-7);
  EXPECT_LE(half.bound, whole.bound + 1e-6);
  EXPECT_NEAR(half.value, half.bound, 1e-5 * (1 + half.bound));
  dom.input_rows[0].hi = -10.0;  // outside the box: empty
  for (bounds::Method m : {bounds::Method::kInterval, bounds::Method::kLp}) {
    o.bounds.method = m;
    const PvResult empty = solvePv(net, dom, x0, o);
    EXPECT_EQ(empty.bound, -std::numeric_limits<double>::infinity()) << bounds::methodName(m);
    EXPECT_EQ(empty.value, -std::numeric_limits<double>::infinity()) << bounds::methodName(m);
  }
}

}  // namespace
}  // namespace nnmip::verify
