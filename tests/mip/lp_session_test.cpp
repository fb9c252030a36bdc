// LpSession ("clp", warm) against cold solves ("clp-cold" and fresh sessions).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"
#include "test_models.hpp"

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

// The shape of the bound LPs of wide networks (solver_bounds.cpp): many boxed columns, few
// rows. 240 "input" columns x_j in [l_j, l_j + w_j] (every 8th one in no row at all), 6 "output"
// columns h_i in [0, 5], 2 free columns, and 14 rows, all satisfied by one point p (x = p lies in
// the box) with slack, so the LP is feasible; every column is bounded through its box or a
// two-sided row, so every objective has a finite optimum.
Model wideBoxedLp(uint64_t seed) {
  testing::SplitMix rng(seed);
  Model m;
  std::vector<double> p;
  const int n_in = 240;
  for (int j = 0; j < n_in; ++j) {
    const double lo = rng.uniformInt(-10, 10) / 10.0;
    const double width = rng.uniformInt(0, 4) / 20.0;  // some columns fixed (width 0)
    m.addContinuous(lo, lo + width);
    p.push_back(lo + width * rng.uniformInt(0, 4) / 4.0);
  }
  for (int i = 0; i < 6; ++i) {
    m.addContinuous(0.0, 5.0);
    p.push_back(rng.uniformInt(0, 50) / 10.0);
  }
  for (int i = 0; i < 2; ++i) {
    m.addContinuous(-kInf, kInf);
    p.push_back(rng.uniformInt(-20, 20) / 10.0);
  }
  const int n = m.numVars();
  for (int i = 0; i < 14; ++i) {
    std::vector<Term> row;
    double at_p = 0.0;
    for (int j = 0; j < n_in; ++j) {
      if (j % 8 == 7) continue;  // never in a row
      const int a = rng.uniformInt(-9, 9);
      if (a == 0) continue;
      row.push_back({Var{j}, a / 10.0});
      at_p += a / 10.0 * p[static_cast<size_t>(j)];
    }
    const int h = n_in + i % 6;  // each output column in two or three rows
    row.push_back({Var{h}, 1.0});
    at_p += p[static_cast<size_t>(h)];
    if (i < 2) {  // the free columns: two-sided rows bound them
      row.push_back({Var{n_in + 6 + i}, 1.0});
      at_p += p[static_cast<size_t>(n_in + 6 + i)];
      m.addRow(at_p - rng.uniformInt(1, 10) / 10.0, at_p + rng.uniformInt(1, 10) / 10.0, row);
    } else if (i % 2 == 0) {
      m.addGe(row, at_p - rng.uniformInt(0, 10) / 10.0);
    } else {
      m.addLe(row, at_p + rng.uniformInt(0, 10) / 10.0);
    }
  }
  EXPECT_EQ(n, n_in + 8);
  return m;
}

// Every start ("clp" = restart after objective changes, "clp-restart", "clp-warm") gives the
// optimal values of a fresh cold solve on wide boxed LPs, for objectives on the few output
// columns (the inputs have zero cost, as in the bound LPs of layer 2) and dense ones, min and max
// alternating, and with bound changes in between (where "clp" resumes warm).
TEST(LpSession, WideBoxedLpEveryStartMatchesCold) {
  for (const uint64_t seed : {41u, 42u, 43u}) {
    SCOPED_TRACE(seed);
    Model m = wideBoxedLp(seed);
    const int n = m.numVars();
    std::vector<std::unique_ptr<LpSession>> sessions;
    const std::vector<std::string> names = {"clp", "clp-restart", "clp-warm", "clp-cold"};
    for (const std::string& name : names) sessions.push_back(makeLpSession(m, name));
    testing::SplitMix rng(seed * 7);
    for (int k = 0; k < 40; ++k) {
      SCOPED_TRACE(k);
      const Sense sense = k % 2 == 0 ? Sense::kMinimize : Sense::kMaximize;
      std::vector<Term> obj;
      if (k % 4 < 2) {  // on the output columns only (same objective, min then max)
        testing::SplitMix orng(seed * 100 + static_cast<uint64_t>(k / 2));
        for (int i = 0; i < 6; ++i) obj.push_back({Var{n - 8 + i}, orng.uniformInt(-10, 10) / 5.0});
      } else {
        obj = randomObjective(rng, n);
      }
      const double constant = k - 20.0;
      if (k % 10 == 9) {  // a bound change: tighten one input box
        const int j = rng.uniformInt(0, 239);
        const Column& c = m.columns()[static_cast<size_t>(j)];
        const double mid = (c.lb + c.ub) / 2.0;
        m.setVarBounds(Var{j}, c.lb, mid);
        for (auto& s : sessions) s->setVarBounds(Var{j}, c.lb, mid);
      }
      Model fresh = m;
      fresh.setObjective(sense, obj, constant);
      const LpResult ref = makeLpSession(fresh, "clp-cold")->solve();
      ASSERT_TRUE(ref.optimal()) << ref.detail;
      for (size_t b = 0; b < sessions.size(); ++b) {
        SCOPED_TRACE(names[b]);
        sessions[b]->setObjective(sense, obj, constant);
        const LpResult r = sessions[b]->solve();
        ASSERT_TRUE(r.optimal()) << r.detail;
        EXPECT_NEAR(*r.objective, *ref.objective, 1e-9);
        EXPECT_LE(fresh.maxViolation(r.values), 1e-7);
      }
      if (k % 10 == 9) {  // the same objective again after a bound change only: warm path
        for (size_t b = 0; b < sessions.size(); ++b) {
          const LpResult r = sessions[b]->solve();
          ASSERT_TRUE(r.optimal()) << r.detail;
          EXPECT_NEAR(*r.objective, *ref.objective, 1e-9) << names[b] << " re-solve";
        }
      }
    }
    for (size_t b = 0; b < sessions.size(); ++b) {
      ::testing::Test::RecordProperty(fmt::format("iterations_{}_seed{}", names[b], seed),
                                      static_cast<int>(sessions[b]->totalIterations()));
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

// Dual sign conventions (mip/result.hpp): y_i = d objective / d b_i and d = c - A^T y, for both
// senses. smallLp: max 3x + 2y, active r0 (dual 2) and r2 (dual 1); r1 inactive.
TEST(LpSession, DualsAreShadowPricesInBothSenses) {
  Model m = testing::smallLp();
  for (const std::string backend : {"clp", "clp-warm", "clp-restart", "clp-cold"}) {
    SCOPED_TRACE(backend);
    auto s = makeLpSession(m, backend);
    LpResult r = s->solve();
    ASSERT_TRUE(r.optimal()) << r.detail;
    ASSERT_EQ(r.row_duals.size(), 3u);
    ASSERT_EQ(r.reduced_costs.size(), 2u);
    EXPECT_NEAR(r.row_duals[0], 2.0, kLpTol);
    EXPECT_NEAR(r.row_duals[1], 0.0, kLpTol);
    EXPECT_NEAR(r.row_duals[2], 1.0, kLpTol);
    EXPECT_NEAR(r.reduced_costs[0], 0.0, kLpTol);  // 3 - (2 + 1)
    EXPECT_NEAR(r.reduced_costs[1], 0.0, kLpTol);  // 2 - 2
    EXPECT_NEAR(safeObjectiveBound(m, r.row_duals), 11.0, 1e-9);
    EXPECT_GE(safeObjectiveBound(m, r.row_duals), 11.0 - 1e-12);
    // min x - y (constant 1): optimum at (0, 3) = -2 with r1 (x + 3y <= 9) active, dual
    // d(-2)/d(9) = -1/3; reduced cost of x: 1 - (-1/3) = 4/3.
    const std::vector<Term> obj = {{Var{0}, 1.0}, {Var{1}, -1.0}};
    s->setObjective(Sense::kMinimize, obj, 1.0);
    r = s->solve();
    ASSERT_TRUE(r.optimal()) << r.detail;
    EXPECT_NEAR(*r.objective, -2.0, kLpTol);
    EXPECT_NEAR(r.row_duals[0], 0.0, kLpTol);
    EXPECT_NEAR(r.row_duals[1], -1.0 / 3.0, kLpTol);
    EXPECT_NEAR(r.row_duals[2], 0.0, kLpTol);
    EXPECT_NEAR(r.reduced_costs[0], 4.0 / 3.0, kLpTol);
    EXPECT_NEAR(r.reduced_costs[1], 0.0, kLpTol);
    const Objective o{Sense::kMinimize, obj, 1.0};
    // y's reduced cost is 0 only up to round-off (-1 + 3 * (1/3)) and y has no upper bound: no
    // finite safe bound (safe_bound.hpp). With y <= 10 (same optimum) it is tight.
    EXPECT_EQ(safeObjectiveBound(m, o, r.row_duals), -kInf);
    Model boxed = m;
    boxed.setVarBounds(Var{1}, 0.0, 10.0);
    EXPECT_NEAR(safeObjectiveBound(boxed, o, r.row_duals), -2.0, 1e-9);
    EXPECT_LE(safeObjectiveBound(boxed, o, r.row_duals), -2.0);
  }
}

// Every start of the session returns duals that make the safe bound tight on wide boxed LPs
// with bound changes in between (the bounds tier's use).
TEST(LpSession, DualsGiveTightSafeBoundsOnEveryStart) {
  for (const std::string backend : {"clp", "clp-warm", "clp-restart", "clp-cold"}) {
    SCOPED_TRACE(backend);
    Model m = randomLp(41);
    auto s = makeLpSession(m, backend);
    testing::SplitMix rng(17);
    for (int k = 0; k < 30; ++k) {
      const Sense sense = k % 2 == 0 ? Sense::kMinimize : Sense::kMaximize;
      const Objective o{sense, randomObjective(rng, m.numVars()), 0.5 * k};
      if (k % 5 == 4) {  // a bound change, mirrored in the model the bound is computed on
        const Var v{rng.uniformInt(0, m.numVars() - 1)};
        const double lb = rng.uniformInt(-10, 0) / 10.0;
        s->setVarBounds(v, lb, lb + 1.0);
        m.setVarBounds(v, lb, lb + 1.0);
      }
      s->setObjective(o.sense, o.terms, o.constant);
      const LpResult r = s->solve();
      ASSERT_TRUE(r.optimal()) << r.detail;
      const double b = safeObjectiveBound(m, o, r.row_duals);
      const double scale = 1.0 + std::abs(*r.objective);
      EXPECT_NEAR(b, *r.objective, 1e-6 * scale) << k;
      if (sense == Sense::kMinimize) {
        EXPECT_LE(b, *r.objective + 1e-9 * scale) << k;
      } else {
        EXPECT_GE(b, *r.objective - 1e-9 * scale) << k;
      }
    }
  }
}

// An infeasible solve returns a Farkas ray that certifies (x >= 3.5 against r2: x <= 3).
TEST(LpSession, InfeasibleSolveGivesCertifiedFarkasRay) {
  Model m = testing::smallLp();
  auto s = makeLpSession(m, "clp");
  ASSERT_TRUE(s->solve().optimal());
  s->setVarBounds(Var{0}, 3.5, kInf);
  m.setVarBounds(Var{0}, 3.5, kInf);
  const LpResult r = s->solve();
  ASSERT_EQ(r.termination, Termination::kInfeasible) << r.detail;
  ASSERT_EQ(r.farkas_ray.size(), 3u);
  EXPECT_TRUE(farkasCertifiesInfeasible(m, r.farkas_ray));
  EXPECT_TRUE(r.row_duals.empty());
  // The same ray does not certify once the contradiction is gone.
  m.setVarBounds(Var{0}, 0.0, kInf);
  EXPECT_FALSE(farkasCertifiesInfeasible(m, r.farkas_ray));
}

}  // namespace
}  // namespace nnmip::mip
