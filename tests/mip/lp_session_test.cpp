// LpSession ("clp", warm) against cold solves ("clp-cold" and fresh sessions).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mip/solver.hpp"
#include "test_models.hpp"
#include "support/tolerances.hpp"

namespace nnmip::mip {
namespace {

using support::kLpTol;

TEST(LpSession, SmallLpOptimum) {
  const Model m = testing::smallLp();  // optimum 11 at (3,1)
  auto s = makeLpSession(m, "clp");
  const LpResult r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 11.0, kLpTol);
  EXPECT_NEAR(r.values[0], 3.0, kLpTol);
  EXPECT_NEAR(r.values[1], 1.0, kLpTol);
  EXPECT_GT(s->totalIterations(), 0);
}

TEST(LpSession, UnknownBackendThrows) {
  try {
    makeLpSession(testing::smallLp(), "soplex");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

// A random bounded LP: 40 variables in [-1, 2], 25 rows sum a_ij x_j <= b_i with a_ij in
// [-5, 5] and b_i in [1, 10] (x = 0 is feasible), so every objective has a finite optimum.
Model randomLp(uint64_t seed) {
  testing::SplitMix rng(seed);
  Model m;
  std::vector<Var> x;
  for (int j = 0; j < 40; ++j) x.push_back(m.addContinuous(-1.0, 2.0));
  for (int i = 0; i < 25; ++i) {
    std::vector<Term> row;
    for (int j = 0; j < 40; ++j) {
      const int a = rng.uniformInt(-5, 5);
      if (a != 0) row.push_back({x[static_cast<size_t>(j)], static_cast<double>(a)});
    }
    m.addLe(row, rng.uniformInt(1, 10));
  }
  return m;
}

std::vector<Term> randomObjective(testing::SplitMix& rng, int n) {
  std::vector<Term> obj;
  for (int j = 0; j < n; ++j) obj.push_back({Var{j}, rng.uniformInt(-100, 100) / 10.0});
  return obj;
}

TEST(LpSession, WarmResolvesMatchColdSolves) {
  const Model m = randomLp(11);
  auto warm = makeLpSession(m, "clp");
  auto cold = makeLpSession(m, "clp-cold");
  testing::SplitMix rng(5);
  for (int k = 0; k < 20; ++k) {
    SCOPED_TRACE(k);
    const Sense sense = k % 2 == 0 ? Sense::kMinimize : Sense::kMaximize;
    const std::vector<Term> obj = randomObjective(rng, m.numVars());
    const double constant = k - 10.0;
    warm->setObjective(sense, obj, constant);
    cold->setObjective(sense, obj, constant);
    // A brand-new session on a model that carries this objective is the reference.
    Model fresh_model = m;
    fresh_model.setObjective(sense, obj, constant);
    const LpResult a = warm->solve();
    const LpResult b = cold->solve();
    const LpResult c = makeLpSession(fresh_model, "clp")->solve();
    ASSERT_TRUE(a.optimal() && b.optimal() && c.optimal()) << a.detail << b.detail << c.detail;
    EXPECT_NEAR(*a.objective, *c.objective, 1e-9);
    EXPECT_NEAR(*b.objective, *c.objective, 1e-9);
    EXPECT_LE(m.maxViolation(a.values), 1e-7);
  }
  // Iteration counts are recorded for information only: on dense random objectives the warm
  // basis is often far from the new optimum, and the comparison is a benchmark question.
  ::testing::Test::RecordProperty("warm_iterations", static_cast<int>(warm->totalIterations()));
  ::testing::Test::RecordProperty("cold_iterations", static_cast<int>(cold->totalIterations()));
}

TEST(LpSession, WarmBoundsLoopMatchesCold) {
  // The LP-bounds pattern: min and max of every variable in turn, one-entry objectives.
  const Model m = randomLp(12);
  auto warm = makeLpSession(m, "clp");
  auto cold = makeLpSession(m, "clp-cold");
  for (int j = 0; j < m.numVars(); ++j) {
    for (Sense sense : {Sense::kMinimize, Sense::kMaximize}) {
      SCOPED_TRACE(j);
      const std::vector<Term> obj = {{Var{j}, 1.0}};
      warm->setObjective(sense, obj);
      cold->setObjective(sense, obj);
      const LpResult a = warm->solve();
      const LpResult b = cold->solve();
      ASSERT_TRUE(a.optimal() && b.optimal()) << a.detail << b.detail;
      EXPECT_NEAR(*a.objective, *b.objective, 1e-9);
    }
  }
  ::testing::Test::RecordProperty("warm_iterations", static_cast<int>(warm->totalIterations()));
  ::testing::Test::RecordProperty("cold_iterations", static_cast<int>(cold->totalIterations()));
}

TEST(LpSession, BoundChangesMatchColdSolves) {
  // smallLp: max 3x + 2y, x + y <= 4, x + 3y <= 9, x <= 3.
  const Model m = testing::smallLp();
  auto s = makeLpSession(m, "clp");
  ASSERT_NEAR(*s->solve().objective, 11.0, kLpTol);
  s->setVarBounds(Var{0}, 0.0, 2.0);  // x <= 2: optimum (2,2) = 10
  LpResult r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 10.0, kLpTol);
  s->setVarBounds(Var{0}, 0.0, kInf);  // back to 11
  r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 11.0, kLpTol);
  s->setRowBounds(Row{0}, -kInf, 4.5);  // dual of r0 is 2: 11 + 2 * 0.5 = 12
  r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 12.0, kLpTol);
  s->setVarBounds(Var{1}, 2.0, 2.0);  // y fixed at 2: x <= min(3, 2.5, 3) = 2.5 -> 11.5
  r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 11.5, kLpTol);
  EXPECT_NEAR(r.values[0], 2.5, kLpTol);
}

TEST(LpSession, RandomBoundChangesMatchFreshSessions) {
  Model m = randomLp(21);
  testing::SplitMix rng(9);
  auto s = makeLpSession(m, "clp");
  const std::vector<Term> obj = randomObjective(rng, m.numVars());
  s->setObjective(Sense::kMaximize, obj);
  m.setObjective(Sense::kMaximize, obj);
  for (int k = 0; k < 20; ++k) {
    SCOPED_TRACE(k);
    const int j = rng.uniformInt(0, m.numVars() - 1);
    const double lo = rng.uniformInt(-10, 5) / 10.0;
    const double hi = lo + rng.uniformInt(0, 15) / 10.0;
    s->setVarBounds(Var{j}, lo, hi);
    m.setVarBounds(Var{j}, lo, hi);
    const LpResult a = s->solve();
    const LpResult b = makeLpSession(m, "clp")->solve();
    ASSERT_EQ(a.termination, b.termination) << a.detail << " vs " << b.detail;
    if (a.optimal()) {
      EXPECT_NEAR(*a.objective, *b.objective, 1e-9);
    }
  }
}

TEST(LpSession, InfeasibleAfterBoundChangeThenRecovers) {
  auto s = makeLpSession(testing::smallLp(), "clp");
  ASSERT_TRUE(s->solve().optimal());
  s->setVarBounds(Var{0}, 3.5, kInf);  // x >= 3.5 contradicts row r2: x <= 3
  LpResult r = s->solve();
  EXPECT_EQ(r.termination, Termination::kInfeasible) << r.detail;
  EXPECT_FALSE(r.objective.has_value());
  s->setVarBounds(Var{1}, 1.0, 0.0);  // crossed bounds are infeasible too
  EXPECT_EQ(s->solve().termination, Termination::kInfeasible);
  s->setVarBounds(Var{0}, 0.0, kInf);
  s->setVarBounds(Var{1}, 0.0, kInf);
  r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 11.0, kLpTol);
}

TEST(LpSession, UnboundedAndObjectiveConstant) {
  auto s = makeLpSession(testing::smallLp(), "clp");
  s->setObjective(Sense::kMinimize, std::vector<Term>{{Var{1}, -1.0}}, 5.0);  // min 5 - y: y <= 3
  LpResult r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 2.0, kLpTol);
  s->setRowBounds(Row{0}, -kInf, kInf);
  s->setRowBounds(Row{1}, -kInf, kInf);  // y now unbounded above
  r = s->solve();
  EXPECT_EQ(r.termination, Termination::kUnbounded) << r.detail;
  EXPECT_FALSE(r.objective.has_value());
}

TEST(LpSession, IterationLimitIsNotOptimal) {
  const Model m = randomLp(31);
  testing::SplitMix rng(3);
  auto s = makeLpSession(m, "clp");
  s->setObjective(Sense::kMaximize, randomObjective(rng, m.numVars()));
  LpParams p;
  p.iteration_limit = 1;
  LpResult r = s->solve(p);
  EXPECT_FALSE(r.optimal()) << r.detail;
  EXPECT_FALSE(r.objective.has_value());
  EXPECT_EQ(r.limit, Limit::kIterations);
  r = s->solve();  // no limit: recovers
  ASSERT_TRUE(r.optimal()) << r.detail;
}

TEST(LpSession, IgnoresIntegrality) {
  // The knapsack's LP relaxation is 23 (test_models.hpp).
  auto s = makeLpSession(testing::knapsack(), "clp");
  const LpResult r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 23.0, kLpTol);
}

}  // namespace
}  // namespace nnmip::mip
