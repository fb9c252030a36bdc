// verify::Spec, the one owner of a VNN-LIB unsafe region, on a hand-made two-disjunct property.
//   d0: y0 - y1 <= 0.5  AND  y1 <= 2     margin t0 = min(0.5 - y0 + y1, 2 - y1)
//   d1: -y0 <= -1                        margin t1 = y0 - 1
#include "verify/spec.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "mip/solver.hpp"
#include "verify/witness.hpp"

namespace nnmip {
namespace {

using Vec = Eigen::VectorXd;

std::vector<verify::Atoms> twoDisjuncts() {
  data::LinearAtom a0{{1.0, -1.0}, 0.5};
  data::LinearAtom a1{{0.0, 1.0}, 2.0};
  data::LinearAtom b0{{-1.0, 0.0}, -1.0};
  return {{a0, a1}, {b0}};
}

TEST(Spec, RowsAndMarginRange) {
  const std::vector<verify::Atoms> d = twoDisjuncts();
  const verify::Spec s(d, 2);
  EXPECT_EQ(s.numDisjuncts(), 2);
  EXPECT_EQ(s.rowsOf({1, 0}), (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(s.disjunct_of, (std::vector<int>{0, 0, 1}));
  // y in [0, 1] x [0, 3]: atom 0 slack 0.5 - y0 + y1 in [-0.5, 3.5], atom 1 2 - y1 in [-1, 2].
  encode::LayerBounds y;
  y.lo = Vec::Zero(2);
  y.hi = (Vec(2) << 1.0, 3.0).finished();
  const verify::MarginRange r0 = s.marginRange(0, y);
  EXPECT_DOUBLE_EQ(r0.lo, -1.0);
  EXPECT_DOUBLE_EQ(r0.hi, 2.0);
  const verify::MarginRange r1 = s.marginRange(1, y);
  EXPECT_DOUBLE_EQ(r1.lo, -1.0);
  EXPECT_DOUBLE_EQ(r1.hi, 0.0);
  // Lower bounds on coef . y - rhs per atom (rows of d1 then d0) -> upper bounds on margins.
  const std::vector<double> ub = s.marginUpper({1, 0}, (Vec(3) << 0.25, -3.0, 0.5).finished());
  ASSERT_EQ(ub.size(), 2u);
  EXPECT_DOUBLE_EQ(ub[0], -0.25);  // d1: its one atom
  EXPECT_DOUBLE_EQ(ub[1], -0.5);   // d0: min(3, -0.5)
  // The matrix rows C y + c0 = coef . y - rhs.
  EXPECT_DOUBLE_EQ(s.rowsMatrix({2})(0, 0), -1.0);
  EXPECT_DOUBLE_EQ(s.rowsConstant({2})[0], 1.0);
}

TEST(Spec, MarginVariableMaximisesToTheMargin) {
  const std::vector<verify::Atoms> d = twoDisjuncts();
  const verify::Spec s(d, 2);
  // y fixed at (0.2, 2.5) through affine outputs y0 = 0.1 + v0, y1 = 2 v1 with v = (0.1, 1.25).
  mip::Model m;
  const mip::Var v0 = m.addContinuous(0.1, 0.1);
  const mip::Var v1 = m.addContinuous(1.25, 1.25);
  const std::vector<encode::AffineExpr> outputs{{{{v0, 1.0}}, 0.1}, {{{v1, 2.0}}, 0.0}};
  const mip::Var t = s.addMarginVar(m, 0, outputs, -10.0, 10.0, "t0");
  m.setObjective(mip::Sense::kMaximize, {{t, 1.0}});
  auto session = mip::makeLpSession(m);
  const mip::LpResult r = session->solve();
  ASSERT_TRUE(r.optimal());
  const Vec y = (Vec(2) << 0.2, 2.5).finished();
  EXPECT_NEAR(*r.objective, -0.5, 1e-9);  // min(0.5 - 0.2 + 2.5, 2 - 2.5)
  EXPECT_NEAR(*r.objective, verify::disjunctMargin(d[0], y), 1e-9);
}

TEST(Spec, ObjectiveIsTheLargestMarginWithItsGradient) {
  const std::vector<verify::Atoms> d = twoDisjuncts();
  const verify::Spec s(d, 2);
  const auto f = s.objective();
  nn::Mat Y(2, 2);
  Y << 0.2, 2.5,  // t0 = -0.5, t1 = -0.8: d0 binds, through atom 1 (gradient -(0, 1))
      3.0, 0.0;   // t0 = -2.5, t1 = 2: d1 binds (gradient (1, 0))
  nn::Vec value;
  nn::Mat grad;
  f(Y, value, &grad);
  EXPECT_NEAR(value[0], -0.5, 1e-12);
  EXPECT_NEAR(value[1], 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(grad(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(grad(0, 1), -1.0);
  EXPECT_DOUBLE_EQ(grad(1, 0), 1.0);
  EXPECT_DOUBLE_EQ(grad(1, 1), 0.0);
  const auto only_d0 = s.objective({0});
  only_d0(Y, value, nullptr);
  EXPECT_NEAR(value[1], -2.5, 1e-12);
}

}  // namespace
}  // namespace nnmip
