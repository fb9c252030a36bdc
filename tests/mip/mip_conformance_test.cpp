// Backend conformance suite (STYLE.md §2.6 item 5): one set of models with hand-computed
// optima, instantiated for every MipSolver backend ("cbc" and the "enum" oracle).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "core/error.hpp"
#include "mip/solver.hpp"
#include "test_models.hpp"
#include "support/tolerances.hpp"

namespace nnmip::mip {
namespace {

using support::kLpTol;
using support::kMipTol;

class MipConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { solver_ = makeMipSolver(GetParam()); }
  std::unique_ptr<MipSolver> solver_;
};

TEST_P(MipConformance, KnapsackOptimum) {
  const Model m = testing::knapsack();  // optimum 22 at (1,0,0,1,1), see test_models.hpp
  const MipResult r = solver_->solve(m);
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_EQ(r.limit, Limit::kNone);
  ASSERT_TRUE(r.objective.has_value());
  EXPECT_NEAR(*r.objective, 22.0, kMipTol);
  EXPECT_NEAR(r.best_bound, 22.0, kMipTol);
  ASSERT_EQ(r.values.size(), 5u);
  const double expected[] = {1, 0, 0, 1, 1};
  for (int j = 0; j < 5; ++j) EXPECT_NEAR(r.values[static_cast<size_t>(j)], expected[j], kMipTol);
  EXPECT_LE(m.maxViolation(r.values), 1e-6);
  EXPECT_FALSE(r.stats.backend.empty());
  EXPECT_NEAR(r.gap(), 0.0, 1e-9);
}

TEST_P(MipConformance, KnapsackAsMinimisation) {
  // min -(10x0 + 13x1 + 7x2 + 8x3 + 4x4) over the same set: optimum -22.
  Model m = testing::knapsack();
  std::vector<Term> neg = m.objective().terms;
  for (Term& t : neg) t.coef = -t.coef;
  m.setObjective(Sense::kMinimize, neg);
  const MipResult r = solver_->solve(m);
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_NEAR(*r.objective, -22.0, kMipTol);
  EXPECT_NEAR(r.best_bound, -22.0, kMipTol);
}

TEST_P(MipConformance, MaxWithObjectiveConstant) {
  // Knapsack + constant: 22 - 30 = -8, and 22 + 100 = 122. A backend that drops the constant,
  // or applies it with COIN's offset sign convention (c.x - offset), gets 22, -52 or 78.
  for (double constant : {-30.0, 100.0}) {
    SCOPED_TRACE(constant);
    const MipResult r = solver_->solve(testing::knapsack(constant));
    ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
    EXPECT_NEAR(*r.objective, 22.0 + constant, kMipTol);
    EXPECT_NEAR(r.best_bound, 22.0 + constant, kMipTol);
  }
}

TEST_P(MipConformance, LpWithKnownDual) {
  // No integer variables: the backend solves the LP (optimum 11 at (3,1), see test_models.hpp).
  const MipResult r = solver_->solve(testing::smallLp());
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_NEAR(*r.objective, 11.0, kLpTol);
  EXPECT_NEAR(r.best_bound, 11.0, kLpTol);
  EXPECT_NEAR(r.values[0], 3.0, kLpTol);
  EXPECT_NEAR(r.values[1], 1.0, kLpTol);
  // The dual of r0 is 2: moving its rhs from 4 to 4.5 raises the optimum by 2 * 0.5.
  const MipResult r2 = solver_->solve(testing::smallLp(4.5));
  ASSERT_EQ(r2.termination, Termination::kOptimal) << r2.detail;
  EXPECT_NEAR((*r2.objective - *r.objective) / 0.5, 2.0, 1e-6);
}

TEST_P(MipConformance, InfeasibleRelaxation) {
  // x, y binary with x + y >= 3: even the LP relaxation is infeasible.
  Model m;
  const Var x = m.addBinary("x");
  const Var y = m.addBinary("y");
  m.addGe(std::vector<Term>{{x, 1.0}, {y, 1.0}}, 3.0);
  m.setObjective(Sense::kMaximize, {{x, 1.0}, {y, 1.0}});
  const MipResult r = solver_->solve(m);
  EXPECT_EQ(r.termination, Termination::kInfeasible) << r.detail;
  EXPECT_FALSE(r.hasSolution());
  EXPECT_FALSE(r.objective.has_value());
}

TEST_P(MipConformance, IntegerInfeasible) {
  // 2x = 1 with x integer in [0, 5]: the LP has x = 0.5, no integer point exists.
  Model m;
  const Var x = m.addVar(0.0, 5.0, VarType::kInteger, "x");
  const Var z = m.addContinuous(0.0, 10.0, "z");
  m.addEq(std::vector<Term>{{x, 2.0}}, 1.0);
  m.setObjective(Sense::kMinimize, {{x, 1.0}, {z, 1.0}});
  const MipResult r = solver_->solve(m);
  EXPECT_EQ(r.termination, Termination::kInfeasible) << r.detail;
  EXPECT_FALSE(r.hasSolution());
}

TEST_P(MipConformance, Unbounded) {
  // max x + y with x binary, y >= 0 unbounded above and x + y >= 1.
  Model m;
  const Var x = m.addBinary("x");
  const Var y = m.addContinuous(0.0, kInf, "y");
  m.addGe(std::vector<Term>{{x, 1.0}, {y, 1.0}}, 1.0);
  m.setObjective(Sense::kMaximize, {{x, 1.0}, {y, 1.0}});
  const MipResult r = solver_->solve(m);
  EXPECT_EQ(r.termination, Termination::kUnbounded) << r.detail;
  EXPECT_FALSE(r.objective.has_value());
}

TEST_P(MipConformance, InterruptedBeforeStart) {
  Callbacks cb;
  cb.should_stop = [] { return true; };
  const MipResult r = solver_->solve(testing::knapsack(), {}, cb);
  EXPECT_TRUE(r.termination == Termination::kLimitNoSolution ||
              r.termination == Termination::kLimitFeasible)
      << terminationName(r.termination);
  EXPECT_EQ(r.limit, Limit::kInterrupted);
}

TEST_P(MipConformance, UnknownBackendOptionThrows) {
  MipParams p;
  p.backend_options["no_such_option"] = "1";
  try {
    solver_->solve(testing::knapsack(), p);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, MipConformance, ::testing::Values("cbc", "enum"),
                         [](const auto& info) { return info.param; });

TEST(MipRegistry, KnownAndUnknownNames) {
  const auto names = mipBackendNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "cbc"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "enum"), names.end());
  EXPECT_EQ(makeMipSolver("cbc")->name(), "cbc");
  EXPECT_EQ(makeMipSolver("enum")->name(), "enum");
  try {
    makeMipSolver("gurobi");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace nnmip::mip
