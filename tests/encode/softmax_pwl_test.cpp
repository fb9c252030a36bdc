// The softmax sandwich (encode/softmax_pwl.hpp) as a formulation, on fixed logits:
//   - the true point (setSoftmaxPwlStart) satisfies every row (maxViolation <= 1e-9);
//   - with the logits fixed, CBC's max of p_k over the upper side lies in
//     [softmax_k(z), softmax_k(z) + upper_error] and its min over the lower side in
//     [softmax_k(z) - lower_error, softmax_k(z)]: the rows are sound and as tight as claimed;
//   - a capped range (d above log C) keeps the lower side sound.
#include "encode/softmax_pwl.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.hpp"
#include "mip/solver.hpp"

namespace nnmip::encode {
namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

struct Built {
  mip::Model model;
  std::vector<mip::Var> z;
  SoftmaxPwl pwl;
};

// Logit columns fixed at z; ranges of z_j - z_k: [d - below, d + above].
Built build(const Vec& z, double below, double above, SoftmaxSides sides,
            const SoftmaxPwlOptions& o = {}) {
  Built b;
  const int k = static_cast<int>(z.size());
  for (int j = 0; j < k; ++j) b.z.push_back(b.model.addContinuous(z[j], z[j]));
  Mat dlo(k, k), dhi(k, k);
  for (int j = 0; j < k; ++j) {
    for (int kk = 0; kk < k; ++kk) {
      // Antisymmetric ranges: [d - below, d + above] for j < k.
      const double d = z[j] - z[kk];
      dlo(j, kk) = j < kk ? d - below : d - above;
      dhi(j, kk) = j < kk ? d + above : d + below;
    }
  }
  SoftmaxPwlOptions po = o;
  po.sum_to_one = true;
  b.pwl = encodeSoftmaxPwl(b.model, b.z, dlo, dhi, po, sides, "t_");
  return b;
}

double solveP(Built& b, int k, mip::Sense sense) {
  b.model.setObjective(sense, {{b.pwl.classes[static_cast<size_t>(k)].p, 1.0}});
  const mip::MipResult r = mip::makeMipSolver("cbc")->solve(b.model, {});
  EXPECT_EQ(r.termination, mip::Termination::kOptimal);
  return r.objective.value_or(NAN);
}

TEST(SoftmaxPwl, TruePointSatisfiesEveryRow) {
  Rng rng(3);
  for (int t = 0; t < 20; ++t) {
    const int k = 2 + t % 4;
    Vec z(k);
    for (int j = 0; j < k; ++j) z[j] = rng.normal(0.0, 3.0);
    Built b = build(z, rng.uniform(0.0, 6.0), rng.uniform(0.0, 6.0), SoftmaxSides::kBoth);
    std::vector<double> start(static_cast<size_t>(b.model.numVars()), 0.0);
    for (int j = 0; j < k; ++j) start[static_cast<size_t>(b.z[j].id)] = z[j];
    setSoftmaxPwlStart(b.pwl, z, start);
    EXPECT_LE(b.model.maxViolation(start), 1e-9) << "case " << t;
  }
}

TEST(SoftmaxPwl, BothSidesSandwichSoftmaxWithinTheirErrors) {
  Rng rng(11);
  for (int t = 0; t < 6; ++t) {
    const int k = 3 + t % 2;
    Vec z(k);
    for (int j = 0; j < k; ++j) z[j] = rng.normal(0.0, 2.0);
    const Vec p = softmax(z);
    Built up = build(z, 3.0, 2.0, SoftmaxSides::kUpper);
    Built lo = build(z, 3.0, 2.0, SoftmaxSides::kLower);
    for (int c = 0; c < k; ++c) {
      const double hi_p = solveP(up, c, mip::Sense::kMaximize);
      const double lo_p = solveP(lo, c, mip::Sense::kMinimize);
      std::printf(
          "case %d class %d: p %.6f  upper-side max %.6f (err %.2e)  lower-side min %.6f "
          "(err %.2e)\n",
          t, c, p[c], hi_p, up.pwl.upper_error, lo_p, lo.pwl.lower_error);
      EXPECT_GE(hi_p, p[c] - 1e-7);
      EXPECT_LE(hi_p, p[c] + up.pwl.upper_error + 1e-7);
      EXPECT_LE(lo_p, p[c] + 1e-7);
      EXPECT_GE(lo_p, p[c] - lo.pwl.lower_error - 1e-7);
    }
    // The a-priori errors on ranges 5 wide (upper: tangent step 0.25, 16 pieces of 1/p; lower:
    // 8 chord pieces of 0.625, whose chords exceed exp by up to 5%).
    EXPECT_LT(up.pwl.upper_error, 0.01);
    EXPECT_LT(lo.pwl.lower_error, 0.06);
  }
}

// Ranges far above log C: the lower side's tangents stop at (1 + C)/2, so a capped pair keeps
// the true point feasible (the case the cap could break).
TEST(SoftmaxPwl, CappedRangesStaySound) {
  SoftmaxPwlOptions o;
  o.cap = 50.0;
  for (double gap : {2.0, 4.5, 6.0, 9.0}) {
    const Vec z = (Vec(3) << gap, 0.0, -1.0).finished();
    const Vec p = softmax(z);
    Built lo = build(z, 2.0, 8.0, SoftmaxSides::kLower, o);
    std::vector<double> start(static_cast<size_t>(lo.model.numVars()), 0.0);
    for (int j = 0; j < 3; ++j) start[static_cast<size_t>(lo.z[j].id)] = z[j];
    setSoftmaxPwlStart(lo.pwl, z, start);
    EXPECT_LE(lo.model.maxViolation(start), 1e-9) << gap;
    for (int c = 0; c < 3; ++c) {
      const double lo_p = solveP(lo, c, mip::Sense::kMinimize);
      EXPECT_LE(lo_p, p[c] + 1e-7) << gap << " class " << c;
      EXPECT_GE(lo_p, p[c] - lo.pwl.lower_error - 1e-7) << gap << " class " << c;
    }
  }
}

TEST(SoftmaxPwl, RejectsCrossedRanges) {
  mip::Model m;
  std::vector<mip::Var> z{m.addContinuous(0, 1), m.addContinuous(0, 1)};
  Mat dlo = Mat::Zero(2, 2), dhi = Mat::Zero(2, 2);
  dlo(0, 1) = 1.0;
  dhi(0, 1) = -1.0;
  EXPECT_ANY_THROW(encodeSoftmaxPwl(m, z, dlo, dhi, {}, SoftmaxSides::kBoth));
}

}  // namespace
}  // namespace nnmip::encode
