// MipParams::hard_time_limit: the solve runs in a child process killed at the limit. Checked with
// real backends (results identical to an in-process solve) and with fake backends that ignore
// the limit, throw, or die, which is what the child process must survive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"
#include "test_models.hpp"

namespace nnmip::mip {
namespace {

using support::kMipTol;

MipParams hardLimit(double seconds) {
  MipParams p;
  p.time_limit_s = seconds;
  p.hard_time_limit = true;
  return p;
}

TEST(DeadlineSolver, RealBackendsGiveTheInProcessResult) {
  for (const std::string backend : {"cbc", "enum"}) {
    SCOPED_TRACE(backend);
    const Model m = testing::knapsack(5.0);  // optimum 27 at (1,0,0,1,1)
    const MipResult in_process = makeMipSolver(backend)->solve(m);
    std::vector<ProgressEvent> events;
    Callbacks cb;
    cb.on_progress = [&events](const ProgressEvent& e) { events.push_back(e); };
    const MipResult child = makeMipSolver(backend)->solve(m, hardLimit(30.0), cb);
    ASSERT_EQ(child.termination, Termination::kOptimal) << child.detail;
    EXPECT_NEAR(*child.objective, 27.0, kMipTol);
    EXPECT_EQ(*child.objective, *in_process.objective);
    EXPECT_EQ(child.best_bound, in_process.best_bound);
    EXPECT_EQ(child.values, in_process.values);
    EXPECT_EQ(child.detail, in_process.detail);
    EXPECT_EQ(child.stats.backend, in_process.stats.backend);
    EXPECT_FALSE(events.empty());  // progress crosses the process boundary
  }
}

TEST(DeadlineSolver, InfeasibleAndUserErrorsCrossTheBoundary) {
  Model m;
  const Var x = m.addBinary("x");
  m.addRow(2.0, 3.0, {{x, 1.0}}, "impossible");
  m.setObjective(Sense::kMaximize, {{x, 1.0}});
  EXPECT_EQ(makeMipSolver("cbc")->solve(m, hardLimit(10.0)).termination, Termination::kInfeasible);
  MipParams bad = hardLimit(10.0);
  bad.backend_options["no_such_option"] = "1";
  try {
    makeMipSolver("cbc")->solve(m, bad);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_option"), std::string::npos) << e.what();
  }
}

// A backend that reports a dual bound of 5 and then ignores its time limit (as CBC can at the
// root), throws, or dies; kHangWithValues also reports its incumbent's values, the knapsack
// point (1,0,0,1,1) of value 27, before it hangs.
class FakeSolver final : public MipSolver {
 public:
  enum class Mode { kHang, kHangWithValues, kThrow, kDie };
  explicit FakeSolver(Mode mode) : mode_(mode) {}
  std::string_view name() const override { return "fake"; }
  Capabilities capabilities() const override { return {}; }
  MipResult solve(const Model&, const MipParams&, const Callbacks& cb) override {
    ProgressEvent e;
    e.incumbent = 3.0;
    e.bound = 5.0;
    e.nodes = 7;
    const std::vector<double> point{1, 0, 0, 1, 1};
    if (mode_ == Mode::kHangWithValues) {
      e.incumbent = 27.0;
      e.bound = 30.0;
      e.incumbent_values = point;
    }
    cb.progress(e);
    if (mode_ == Mode::kThrow) fail(ErrorKind::kSolver, "fake solver failed");
    if (mode_ == Mode::kDie) std::abort();
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return {};
  }

 private:
  Mode mode_;
};

TEST(DeadlineSolver, KillsASolverThatIgnoresItsLimitAndKeepsItsDualBound) {
  auto solver = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kHang));
  const Timer timer;
  const MipResult r = solver->solve(testing::knapsack(), hardLimit(0.5));
  EXPECT_LT(timer.seconds(), 3.0);
  EXPECT_EQ(r.termination, Termination::kLimitNoSolution) << r.detail;
  EXPECT_EQ(r.limit, Limit::kTime);
  EXPECT_EQ(r.best_bound, 5.0);  // the last dual bound, never the incumbent (3)
  EXPECT_EQ(r.provenBound(), 5.0);
  EXPECT_FALSE(r.hasSolution());
  EXPECT_EQ(r.stats.nodes, 7);
}

TEST(DeadlineSolver, AKilledSolveKeepsTheValuesOfItsLastIncumbent) {
  auto solver =
      detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kHangWithValues));
  const Model m = testing::knapsack(5.0);  // 10 + 8 + 4 + 5 at (1,0,0,1,1)
  const MipResult r = solver->solve(m, hardLimit(0.5));
  EXPECT_EQ(r.termination, Termination::kLimitFeasible) << r.detail;
  EXPECT_EQ(r.limit, Limit::kTime);
  ASSERT_TRUE(r.hasSolution()) << r.detail;
  EXPECT_EQ(r.values, (std::vector<double>{1, 0, 0, 1, 1}));
  EXPECT_NEAR(*r.objective, 27.0, kMipTol);  // re-evaluated on the model
  EXPECT_EQ(r.best_bound, 30.0);             // the dual bound, never the incumbent
  EXPECT_NE(r.detail.find("kept"), std::string::npos) << r.detail;
}

TEST(DeadlineSolver, CbcReportsEachIncumbentWithItsValues) {
  // What the hard time limit keeps: every CBC incumbent event carries a feasible point whose
  // objective is the incumbent value reported with it.
  const Model m = testing::plantedMarketSplit(4, 30, /*seed=*/2, /*constant=*/7.0);
  int with_values = 0;
  Callbacks cb;
  cb.on_progress = [&](const ProgressEvent& e) {
    if (e.incumbent_values.empty()) return;
    ++with_values;
    const std::vector<double> x(e.incumbent_values.begin(), e.incumbent_values.end());
    ASSERT_EQ(static_cast<int>(x.size()), m.numVars());
    EXPECT_LE(m.maxViolation(x), 1e-6);
    EXPECT_NEAR(m.objectiveValue(x), e.incumbent, 1e-6 * (1.0 + std::abs(e.incumbent)));
  };
  cb.should_stop = [&] { return with_values >= 3; };
  MipParams p;
  p.time_limit_s = 20.0;
  makeMipSolver("cbc")->solve(m, p, cb);
  EXPECT_GE(with_values, 1);
}

TEST(DeadlineSolver, StopRequestKillsTheChild) {
  auto solver = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kHang));
  const Timer timer;
  Callbacks cb;
  cb.should_stop = [&timer] { return timer.seconds() > 0.3; };
  const MipResult r = solver->solve(testing::knapsack(), hardLimit(30.0), cb);
  EXPECT_LT(timer.seconds(), 5.0);  // 0.3 s, then 2 s of grace for the child to answer
  EXPECT_EQ(r.limit, Limit::kInterrupted);
  EXPECT_EQ(r.best_bound, 5.0);
}

TEST(DeadlineSolver, StopRequestLetsTheSolverReturnItsIncumbent) {
  // The verifier stops a MILP at its first promising incumbent and checks that point: the stop
  // must reach the child as a request, not a kill, so the values come back.
  const Model m = testing::plantedMarketSplit(4, 30, /*seed=*/2, /*constant=*/7.0);
  bool saw_incumbent = false;
  Callbacks cb;
  cb.on_progress = [&](const ProgressEvent& e) {
    if (std::isfinite(e.incumbent)) saw_incumbent = true;
  };
  cb.should_stop = [&] { return saw_incumbent; };
  const MipResult r = makeMipSolver("cbc")->solve(m, hardLimit(20.0), cb);
  ASSERT_TRUE(saw_incumbent);
  ASSERT_NE(r.termination, Termination::kOptimal) << r.detail;
  EXPECT_EQ(r.limit, Limit::kInterrupted) << r.detail;
  ASSERT_TRUE(r.hasSolution()) << r.detail;
  EXPECT_LE(m.maxViolation(r.values), 1e-6);
  EXPECT_LT(r.stats.wall_s, 10.0);
}

TEST(DeadlineSolver, ChildErrorsAndCrashesAreNeverResults) {
  auto throwing = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kThrow));
  try {
    throwing->solve(testing::knapsack(), hardLimit(10.0));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSolver);
    EXPECT_STREQ(e.what(), "fake solver failed");
  }
  auto dying = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kDie));
  const MipResult r = dying->solve(testing::knapsack(), hardLimit(10.0));
  EXPECT_EQ(r.termination, Termination::kError) << r.detail;
  EXPECT_TRUE(std::isnan(r.provenBound()));
}

TEST(DeadlineSolver, WithoutTheFlagOrALimitTheSolveStaysInProcess) {
  // The fake's hang would make this test time out if it ran in a child under no limit; with the
  // flag off the in-process solve is what runs: the throw proves it (same process, same error).
  auto solver = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kThrow));
  MipParams no_limit;
  no_limit.hard_time_limit = true;  // but no time_limit_s
  const pid_t me = ::getpid();
  try {
    solver->solve(testing::knapsack(), no_limit);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(::getpid(), me);
    EXPECT_EQ(e.kind(), ErrorKind::kSolver);
  }
}

TEST(DeadlineSolver, TwoThreadsForkingAtOnce) {
  // Each child inherits the other thread's pipe ends; neither parent may wait for the other's
  // child. A dying child next to a working one must still be reported as an error at once.
  std::vector<Termination> ok(40, Termination::kError);
  std::vector<double> died_after(10, 0.0);
  std::thread a([&] {
    for (auto& t : ok)
      t = makeMipSolver("cbc")->solve(testing::knapsack(), hardLimit(30.0)).termination;
  });
  std::thread b([&] {
    auto dying = detail::withHardTimeLimit(std::make_unique<FakeSolver>(FakeSolver::Mode::kDie));
    for (double& s : died_after) {
      const Timer timer;
      EXPECT_EQ(dying->solve(testing::knapsack(), hardLimit(30.0)).termination,
                Termination::kError);
      s = timer.seconds();
    }
  });
  a.join();
  b.join();
  for (Termination t : ok) EXPECT_EQ(t, Termination::kOptimal);
  for (double s : died_after) EXPECT_LT(s, 5.0);
}

TEST(DeadlineSolver, HardMarketSplitStopsOnTimeWithAValidBound) {
  // Planted optimum exactly 7; CBC cannot prove it in 1 s.
  const Model m = testing::plantedMarketSplit(4, 30, /*seed=*/2, /*constant=*/7.0);
  const Timer timer;
  const MipResult r = makeMipSolver("cbc")->solve(m, hardLimit(1.0));
  EXPECT_LT(timer.seconds(), 1.0 + 1.0 + 1.5);  // limit + grace + fork and reporting slack
  ASSERT_NE(r.termination, Termination::kError) << r.detail;
  if (r.termination != Termination::kOptimal) {
    EXPECT_EQ(r.limit, Limit::kTime);
  }
  if (std::isfinite(r.provenBound())) {
    EXPECT_GE(r.provenBound(), 7.0 - kMipTol);
  }
}

}  // namespace
}  // namespace nnmip::mip
