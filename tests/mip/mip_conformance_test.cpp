// Backend conformance suite (STYLE.md §2.6 item 5): one set of models with hand-computed
// optima, instantiated for every MipSolver backend ("cbc" and the "enum" oracle).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "core/error.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"
#include "test_models.hpp"

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

// Brute force over all 2^n subsets of a pure-binary maximisation with <= rows (Gray code).
double bruteForceBinaryMax(const Model& m) {
  const int n = m.numVars();
  std::vector<double> activity(static_cast<size_t>(m.numRows()), 0.0);
  std::vector<std::vector<double>> a(static_cast<size_t>(m.numRows()),
                                     std::vector<double>(static_cast<size_t>(n), 0.0));
  for (int i = 0; i < m.numRows(); ++i) {
    for (const Term& t : m.rows()[static_cast<size_t>(i)].terms) {
      a[static_cast<size_t>(i)][static_cast<size_t>(t.var.id)] += t.coef;
    }
  }
  std::vector<double> c(static_cast<size_t>(n), 0.0);
  for (const Term& t : m.objective().terms) c[static_cast<size_t>(t.var.id)] += t.coef;
  std::vector<int> x(static_cast<size_t>(n), 0);
  double value = 0.0;
  double best = 0.0;  // the empty set is feasible for these instances
  for (uint64_t k = 1; k < (uint64_t{1} << n); ++k) {
    const int j = __builtin_ctzll(k);  // Gray code: flip bit j
    const double d = x[static_cast<size_t>(j)] ? -1.0 : 1.0;
    x[static_cast<size_t>(j)] ^= 1;
    value += d * c[static_cast<size_t>(j)];
    bool feasible = true;
    for (int i = 0; i < m.numRows(); ++i) {
      activity[static_cast<size_t>(i)] += d * a[static_cast<size_t>(i)][static_cast<size_t>(j)];
      if (activity[static_cast<size_t>(i)] > m.rows()[static_cast<size_t>(i)].ub) feasible = false;
    }
    if (feasible) best = std::max(best, value);
  }
  return best;
}

TEST_P(MipConformance, TimeLimitOnHardInstanceGivesValidBound) {
  // Planted market split, 4 rows x 30 binaries (test_models.hpp): optimum exactly 7.
  // CBC (direct route, CbcStrategyDefault) does not finish it in 0.5 s on this machine
  // (1700 nodes in 1 s, no optimal solution found). The bound must stay >= 7 and the
  // incumbent, if any, <= 7.
  const Model m = testing::plantedMarketSplit(4, 30, /*seed=*/2, /*constant=*/7.0);
  MipParams p;
  p.time_limit_s = 0.5;
  if (GetParam() == "enum") {
    // 30 binaries are beyond the oracle: it must refuse rather than run for hours.
    try {
      solver_->solve(m, p);
      FAIL() << "expected kUnsupported";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    }
    return;
  }
  const MipResult r = solver_->solve(m, p);
  ASSERT_TRUE(r.termination == Termination::kLimitFeasible ||
              r.termination == Termination::kLimitNoSolution ||
              r.termination == Termination::kOptimal)
      << terminationName(r.termination) << " " << r.detail;
  if (r.termination != Termination::kOptimal) {
    EXPECT_EQ(r.limit, Limit::kTime);
    EXPECT_LT(r.stats.wall_s, 3.0);
  }
  ASSERT_TRUE(std::isfinite(r.best_bound));
  EXPECT_GE(r.best_bound, 7.0 - kMipTol);  // valid: no better than the true optimum
  EXPECT_LE(r.best_bound, 7.0 + kMipTol);  // and no weaker than the LP bound (= 7 here)
  if (r.hasSolution()) {
    EXPECT_LE(*r.objective, 7.0 + kMipTol);
    EXPECT_LE(m.maxViolation(r.values), 1e-6);
    EXPECT_NEAR(*r.objective, m.objectiveValue(r.values), 1e-9);
  }
}

TEST_P(MipConformance, NodeLimitGivesValidBound) {
  // 16-item, 5-dimensional knapsack; its optimum comes from the Gray-code brute force above
  // (no solver involved), its LP bound from the relaxation.
  const Model m = testing::multiKnapsack(16, 5, /*seed=*/3);
  const double opt = bruteForceBinaryMax(m);
  auto lp = makeLpSession(m.relaxed(), "clp");
  const LpResult lr = lp->solve();
  ASSERT_TRUE(lr.optimal());
  MipParams p;
  p.node_limit = 3;
  const MipResult r = solver_->solve(m, p);
  ASSERT_NE(r.termination, Termination::kError) << r.detail;
  ASSERT_NE(r.termination, Termination::kInfeasible) << r.detail;
  if (r.termination != Termination::kOptimal) {
    EXPECT_EQ(r.limit, Limit::kNodes) << r.detail;
  }
  ASSERT_TRUE(std::isfinite(r.best_bound)) << r.detail;
  EXPECT_GE(r.best_bound, opt - kMipTol);
  EXPECT_LE(r.best_bound, *lr.objective + kMipTol);
  if (r.hasSolution()) {
    EXPECT_LE(*r.objective, opt + kMipTol);
  }
  // Without limits both backends must find the brute-force optimum.
  const MipResult full = solver_->solve(m);
  ASSERT_EQ(full.termination, Termination::kOptimal) << full.detail;
  EXPECT_NEAR(*full.objective, opt, kMipTol);
}

TEST_P(MipConformance, MipStartAccepted) {
  if (!solver_->capabilities().mip_start) GTEST_SKIP() << "no MIP starts";
  // No strategy (no cuts, no heuristics) and no branching: the only way to hold the optimum
  // 22 is the start (1,0,0,1,1). The root LP (23) is fractional.
  MipParams p;
  p.start = {1, 0, 0, 1, 1};
  p.node_limit = 0;
  p.backend_options = {{"strategy", "none"}};
  const MipResult r = solver_->solve(testing::knapsack(), p);
  ASSERT_TRUE(r.hasSolution()) << r.detail;
  EXPECT_NEAR(*r.objective, 22.0, kMipTol);
  EXPECT_GE(r.best_bound, 22.0 - kMipTol);
  EXPECT_LE(r.best_bound, 23.0 + kMipTol);
}

// Regression (found by the bounds work): a MIP start that is already optimal makes CBC stop
// at the root with status 0/1 ("relaxation worse than the cutoff"); that is a proof, not an
// error. max x + y s.t. x + y <= 1, x, y binary: the LP optimum 1 equals the start's value.
TEST_P(MipConformance, OptimalMipStartIsProvenOptimal) {
  if (!solver_->capabilities().mip_start) GTEST_SKIP() << "no MIP starts";
  Model m;
  const Var x = m.addBinary("x");
  const Var y = m.addBinary("y");
  m.addLe({{x, 1.0}, {y, 1.0}}, 1.0);
  m.setObjective(Sense::kMaximize, {{x, 1.0}, {y, 1.0}});
  MipParams p;
  p.start = {1, 0};
  const MipResult r = solver_->solve(m, p);
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_NEAR(*r.objective, 1.0, kMipTol);
  EXPECT_GE(r.best_bound, 1.0 - kMipTol);  // a valid dual bound of a max problem is >= 1
}

TEST_P(MipConformance, InfeasibleMipStartIsIgnored) {
  if (!solver_->capabilities().mip_start) GTEST_SKIP() << "no MIP starts";
  MipParams p;
  p.start = {1, 1, 1, 1, 1};  // weight 20 > 10
  const MipResult r = solver_->solve(testing::knapsack(), p);
  ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_NEAR(*r.objective, 22.0, kMipTol);
}

TEST_P(MipConformance, GapStopIsLimitFeasible) {
  if (GetParam() == "enum") GTEST_SKIP() << "enum always proves optimality";
  // 60-item, 5-dim knapsack: LP bound ~1277, CBC's first incumbents are within 5% of it
  // (a 20 s run ended with incumbent 1265, bound 1275.8), so rel_gap 0.05 stops on the gap.
  const Model m = testing::multiKnapsack(60, 5, /*seed=*/1);
  MipParams p;
  p.rel_gap = 0.05;
  p.time_limit_s = 10.0;
  const MipResult r = solver_->solve(m, p);
  ASSERT_EQ(r.termination, Termination::kLimitFeasible) << r.detail;
  EXPECT_EQ(r.limit, Limit::kGap) << r.detail;
  ASSERT_TRUE(r.objective.has_value());
  EXPECT_GE(r.best_bound, *r.objective - kMipTol);
  EXPECT_LE(r.best_bound - *r.objective, 0.05 * std::max(r.best_bound, *r.objective) + 1e-6);
}

TEST_P(MipConformance, CutoffPrunesEverything) {
  if (!solver_->capabilities().cutoff) GTEST_SKIP() << "no cutoff";
  MipParams p;
  p.cutoff = 22.5;  // max problem: only solutions better than 22.5 count; none exists
  const MipResult r = solver_->solve(testing::knapsack(), p);
  EXPECT_EQ(r.termination, Termination::kInfeasible) << r.detail;
  p.cutoff = 21.5;
  const MipResult r2 = solver_->solve(testing::knapsack(), p);
  ASSERT_EQ(r2.termination, Termination::kOptimal) << r2.detail;
  EXPECT_NEAR(*r2.objective, 22.0, kMipTol);
}

TEST_P(MipConformance, InterruptedDuringSearch) {
  // Planted market split 4x30: not solved within the first 50 callback polls.
  std::atomic<int> polls{0};
  Callbacks cb;
  cb.should_stop = [&polls] { return ++polls > 50; };
  MipParams p;
  p.time_limit_s = 10.0;
  const Model m = testing::plantedMarketSplit(4, GetParam() == "enum" ? 18 : 30, 2, 7.0);
  const MipResult r = solver_->solve(m, p, cb);
  ASSERT_TRUE(r.termination == Termination::kLimitFeasible ||
              r.termination == Termination::kLimitNoSolution)
      << terminationName(r.termination) << " " << r.detail;
  EXPECT_EQ(r.limit, Limit::kInterrupted);
  EXPECT_LT(r.stats.wall_s, 5.0);
}

TEST_P(MipConformance, ProgressEventsInUserSense) {
  std::vector<ProgressEvent> events;
  Callbacks cb;
  cb.on_progress = [&events](const ProgressEvent& e) { events.push_back(e); };
  const MipResult r = solver_->solve(testing::knapsack(100.0), {}, cb);
  ASSERT_EQ(r.termination, Termination::kOptimal);
  ASSERT_FALSE(events.empty());
  double last = -kInf;
  for (const ProgressEvent& e : events) {
    if (std::isnan(e.incumbent)) continue;
    // Max problem with constant 100: incumbents are feasible values in [100, 122].
    EXPECT_GE(e.incumbent, 100.0 - kMipTol);
    EXPECT_LE(e.incumbent, 122.0 + kMipTol);
    EXPECT_GE(e.incumbent, last - kMipTol);  // a max problem's incumbents never get worse
    last = e.incumbent;
    if (!std::isnan(e.bound)) {
      EXPECT_GE(e.bound, e.incumbent - kMipTol);
    }
  }
  EXPECT_NEAR(last, 122.0, kMipTol);
}

// report_root_lp: the root LP's value comes before CBC's root cut loop, so that a solve killed
// during that loop (hard_time_limit) keeps a dual bound. The knapsack's relaxation is 23
// (test_models.hpp).
TEST(CbcBackend, FirstBoundIsTheRootLpValue) {
  std::vector<ProgressEvent> events;
  Callbacks cb;
  cb.on_progress = [&events](const ProgressEvent& e) { events.push_back(e); };
  MipParams params;
  params.report_root_lp = true;
  const MipResult r = makeMipSolver("cbc")->solve(testing::knapsack(100.0), params, cb);
  ASSERT_EQ(r.termination, Termination::kOptimal);
  EXPECT_NEAR(*r.objective, 122.0, kMipTol);
  ASSERT_FALSE(events.empty());
  const auto first = events.begin();
  EXPECT_NEAR(first->bound, 123.0, kLpTol);
  EXPECT_EQ(first->nodes, 0);
  // Before the root's heuristics: CBC's own first event comes with its rounding heuristic's 122.
  EXPECT_TRUE(std::isnan(first->incumbent)) << first->incumbent;
}

TEST(CbcBackend, OptionsChangeTheRouteNotTheAnswer) {
  auto cbc = makeMipSolver("cbc");
  const Model m = testing::multiKnapsack(12, 3, 3);
  const double opt = bruteForceBinaryMax(m);
  for (const auto& opts : std::vector<std::map<std::string, std::string>>{
           {{"strategy", "none"}},
           {{"cuts", "off"}},
           {{"cbc.heuristics", "off"}, {"strong", "0"}},
           {{"integer_tolerance", "1e-9"}, {"cutoff_increment", "1e-9"}}}) {
    MipParams p;
    p.backend_options = opts;
    const MipResult r = cbc->solve(m, p);
    ASSERT_EQ(r.termination, Termination::kOptimal) << r.detail;
    EXPECT_NEAR(*r.objective, opt, kMipTol);
  }
  MipParams bad;
  bad.backend_options = {{"cuts", "maybe"}};
  EXPECT_THROW(cbc->solve(m, bad), Error);
}

// iteration_limit (a load-independent work limit, used by the BDNN engine's rounds): CBC stops
// between nodes once the search has used that many LP iterations, reports Limit::kIterations and
// a valid bound; the same limit twice gives the same search (nodes, iterations, incumbent).
TEST(CbcBackend, IterationLimitStopsWithValidBound) {
  auto cbc = makeMipSolver("cbc");
  const Model m = testing::multiKnapsack(16, 5, /*seed=*/3);
  const double opt = bruteForceBinaryMax(m);
  MipParams p;
  p.iteration_limit = 1;
  p.backend_options = {{"strategy", "none"}};  // no root cuts or heuristics: branching needed
  const MipResult r = cbc->solve(m, p);
  ASSERT_NE(r.termination, Termination::kError) << r.detail;
  if (r.termination != Termination::kOptimal) {
    EXPECT_EQ(r.limit, Limit::kIterations) << r.detail;
  }
  ASSERT_TRUE(std::isfinite(r.best_bound)) << r.detail;
  EXPECT_GE(r.best_bound, opt - kMipTol);
  p.iteration_limit = 200;
  const MipResult a = cbc->solve(m, p);
  const MipResult b = cbc->solve(m, p);
  EXPECT_EQ(a.stats.nodes, b.stats.nodes);
  EXPECT_EQ(a.stats.lp_iterations, b.stats.lp_iterations);
  EXPECT_EQ(a.objective, b.objective);
  EXPECT_GE(a.best_bound, opt - kMipTol);
}

TEST(CbcBackend, SilentUnlessSolverLogRequested) {
  auto cbc = makeMipSolver("cbc");
  const Model m = testing::multiKnapsack(12, 3, 3);
  std::vector<std::string> lines;
  Callbacks cb;
  cb.on_log = [&lines](Level, std::string_view line) { lines.emplace_back(line); };
  ::testing::internal::CaptureStdout();
  cbc->solve(m, {}, cb);
  const std::string quiet = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(quiet, "");
  EXPECT_TRUE(lines.empty());
  MipParams p;
  p.solver_log = true;
  ::testing::internal::CaptureStdout();
  cbc->solve(m, p, cb);
  const std::string loud = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(loud, "") << "solver output must go through on_log, not stdout";
  EXPECT_FALSE(lines.empty());
}

TEST(CbcBackend, ParallelSolvesMatchSequential) {
  // 8 MILPs solved sequentially, then by 2 std::threads (4 each, one CbcModel per solve).
  std::vector<Model> models;
  for (uint64_t seed = 1; seed <= 8; ++seed) models.push_back(testing::multiKnapsack(10, 3, seed));
  auto solveOne = [](const Model& m) { return makeMipSolver("cbc")->solve(m); };
  std::vector<MipResult> sequential;
  for (const Model& m : models) sequential.push_back(solveOne(m));
  std::vector<MipResult> parallel(models.size());
  std::thread t0([&] {
    for (size_t k = 0; k < models.size(); k += 2) parallel[k] = solveOne(models[k]);
  });
  std::thread t1([&] {
    for (size_t k = 1; k < models.size(); k += 2) parallel[k] = solveOne(models[k]);
  });
  t0.join();
  t1.join();
  for (size_t k = 0; k < models.size(); ++k) {
    SCOPED_TRACE(k);
    ASSERT_EQ(sequential[k].termination, Termination::kOptimal);
    ASSERT_EQ(parallel[k].termination, Termination::kOptimal);
    EXPECT_NEAR(*parallel[k].objective, *sequential[k].objective, 1e-9);
    EXPECT_NEAR(parallel[k].best_bound, sequential[k].best_bound, 1e-9);
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
