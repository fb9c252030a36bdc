// The BDNN primal engine (heuristic start, repair, LNS, full MILP with symmetry rows): on data
// small enough for the brute-force `enum` backend, its result equals the exact optimum; symmetry
// rows and ray rows leave the optimum unchanged; margin 0 (the seed's formulation) is what issue 12
// says.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <ostream>
#include <thread>
#include <vector>

#include "bdnn/engine.hpp"
#include "bdnn/exact_trainer.hpp"
#include "bdnn/step_net.hpp"
#include "support/tiny_data.hpp"

namespace nnmip::bdnn {
namespace {

BdnnOptions tinyOptions(ThresholdMode mode, int hidden) {
  BdnnOptions o;
  o.hidden = {hidden};
  o.threshold = mode;
  return o;
}

EngineOptions quickEngine(EngineStart start) {
  EngineOptions e;
  e.time_limit_s = 60.0;
  e.start = start;
  e.heuristic.restarts = 2;
  e.heuristic.time_limit_s = 5.0;
  e.lns_max_stale_rounds = 4;
  return e;
}

// The exact optimum of the sound MILP (no extra rows) by enumerating every binary (5 points,
// 2 hidden units: 15 binaries, 32768 LPs).
double enumOptimum(const data::Dataset& ds, const BdnnOptions& o) {
  ExactOptions ex;
  ex.backend = "enum";
  ex.time_limit_s = 600.0;
  const ExactResult r = trainExact(ds, o, ex);
  EXPECT_EQ(r.termination, mip::Termination::kOptimal);
  return std::round(r.objective);  // an error count (enum sums LP values)
}

struct EngineCase {
  ThresholdMode mode;
  EngineStart start;
  uint64_t seed;
  bool lns = true;  // false: the repair stage alone before the full MILP
};

// Stable test names (gtest would print the struct's bytes, padding included).
void PrintTo(const EngineCase& c, std::ostream* os) {
  *os << thresholdModeName(c.mode) << "/" << engineStartName(c.start) << "/seed" << c.seed
      << (c.lns ? "" : "/no-lns");
}

class EngineVsEnum : public ::testing::TestWithParam<EngineCase> {};

TEST_P(EngineVsEnum, ResultEqualsEnumeratedOptimum) {
  const EngineCase c = GetParam();
  const data::Dataset ds = support::randomLabelledData(5, 2, 2, c.seed);
  const BdnnOptions o = tinyOptions(c.mode, 2);
  const double opt = enumOptimum(ds, o);
  EngineOptions e = quickEngine(c.start);
  e.lns = c.lns;
  const EngineResult r = trainEngine(ds, o, e);
  // A broken repair or LNS (accepting a MILP claim) or a bound taken from the incumbent would show
  // as objective != opt or bound != objective with gap 0.
  EXPECT_EQ(r.objective, opt) << "stopped by " << r.stopped_by;
  EXPECT_EQ(r.bound, opt);
  EXPECT_EQ(r.gap, 0.0);
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_EQ(evaluate(r.net, ds, o.margin).margin_errors, static_cast<int>(opt));
  EXPECT_LE(r.wall_s, 60.0 + 5.0);
}

INSTANTIATE_TEST_SUITE_P(
    Bdnn, EngineVsEnum,
    ::testing::Values(EngineCase{ThresholdMode::kLayer, EngineStart::kHeuristic, 1},
                      EngineCase{ThresholdMode::kLayer, EngineStart::kConstant, 2},
                      EngineCase{ThresholdMode::kZero, EngineStart::kHeuristic, 3},
                      EngineCase{ThresholdMode::kZero, EngineStart::kConstant, 4},
                      EngineCase{ThresholdMode::kLayer, EngineStart::kConstant, 5},
                      EngineCase{ThresholdMode::kZero, EngineStart::kHeuristic, 6},
                      EngineCase{ThresholdMode::kLayer, EngineStart::kHeuristic, 7, false},
                      EngineCase{ThresholdMode::kZero, EngineStart::kHeuristic, 8, false},
                      EngineCase{ThresholdMode::kNeuron, EngineStart::kHeuristic, 9, false}));

// Symmetry rows W1[j][f] >= W1[j+1][f] (and ray rows) keep the optimum: enum with the rows equals
// enum without them, and a sorted start satisfies the rows.
TEST(BdnnEngine, SymmetryRowsKeepTheOptimum) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    for (ThresholdMode mode : {ThresholdMode::kLayer, ThresholdMode::kZero}) {
      const data::Dataset ds = support::randomLabelledData(5, 2, 2, 10 + seed);
      const BdnnOptions o = tinyOptions(mode, 2);
      const double plain = enumOptimum(ds, o);
      TrainingMilp m = buildTrainingMilp(ds, o);
      addSymmetryRows(m, 0);
      addRayRows(m, rayGroups(ds, o));
      ExactOptions ex;
      ex.backend = "enum";
      ex.time_limit_s = 600.0;
      const ExactResult r = solveTrainingMilp(m, ds, ex);
      ASSERT_EQ(r.termination, mip::Termination::kOptimal);
      EXPECT_NEAR(r.objective, plain, 1e-6) << "seed " << seed;
      EXPECT_TRUE(r.forward_check_ok);
    }
  }
}

// Larger instances than enum allows: CBC's proved optimum with and without the rows agree.
TEST(BdnnEngine, SymmetryRowsKeepTheCbcOptimum) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const data::Dataset ds = support::randomLabelledData(12, 3, 2, 20 + seed);
    const BdnnOptions o = tinyOptions(ThresholdMode::kLayer, 3);
    ExactOptions ex;
    ex.time_limit_s = 120.0;
    const ExactResult plain = trainExact(ds, o, ex);
    ASSERT_EQ(plain.termination, mip::Termination::kOptimal);
    TrainingMilp m = buildTrainingMilp(ds, o);
    addSymmetryRows(m, 1);
    ex.start = sortUnits(constantClassifier(ds, o), 1);
    const ExactResult sym = solveTrainingMilp(m, ds, ex);
    ASSERT_EQ(sym.termination, mip::Termination::kOptimal);
    EXPECT_EQ(sym.objective, plain.objective) << "seed " << seed;
    // The returned network's units are ordered.
    const Mat& w1 = sym.params.weights[0];
    for (Eigen::Index j = 0; j + 1 < w1.rows(); ++j) EXPECT_GE(w1(j, 1), w1(j + 1, 1) - 1e-7);
  }
}

TEST(BdnnEngine, SortUnitsKeepsTheNetwork) {
  const data::Dataset ds = support::randomLabelledData(30, 3, 2, 7);
  const BdnnOptions o = tinyOptions(ThresholdMode::kNeuron, 4);
  HeuristicOptions h;
  h.restarts = 1;
  const HeuristicResult hr = trainHeuristic(ds, o, h);
  const BdnnParams sorted = sortUnits(hr.params, 2);
  for (Eigen::Index j = 0; j + 1 < sorted.weights[0].rows(); ++j) {
    EXPECT_GE(sorted.weights[0](j, 2), sorted.weights[0](j + 1, 2));
  }
  EXPECT_EQ(predictBdnn(toNetwork(sorted, o), ds.X), predictBdnn(hr.net, ds.X));
}

// The LNS step never returns a network the forward pass scores worse than its MILP claims, and
// the engine never ends above its start.
TEST(BdnnEngine, LnsImprovesOrKeepsTheStart) {
  const data::Dataset ds = support::overlapBoxesData(40, 4, 3);
  const BdnnOptions o = tinyOptions(ThresholdMode::kLayer, 4);
  EngineOptions e = quickEngine(EngineStart::kConstant);
  e.lns_share = 1.0;  // LNS only
  e.time_limit_s = 20.0;
  const EngineResult r = trainEngine(ds, o, e);
  ASSERT_GE(r.start_errors, 0);
  EXPECT_LE(r.objective, r.start_errors);
  EXPECT_FALSE(r.lns.empty());
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_LE(r.wall_s, 20.0 + 5.0);
}

// Repair and LNS rounds are limited by CBC nodes, not wall seconds, so a seeded run takes the
// same rounds with the same results twice, and again while two busy threads load the machine: a
// round limited by the wall clock would show as a different node count, error sequence or
// network. Node limits small enough that rounds end on them (30 random-label points, 4 units).
TEST(BdnnEngine, NodeLimitedRoundsAreDeterministic) {
  const data::Dataset ds = support::randomLabelledData(30, 3, 2, 5);
  for (ThresholdMode mode : {ThresholdMode::kLayer, ThresholdMode::kZero}) {
    const BdnnOptions o = tinyOptions(mode, 4);
    EngineOptions e = quickEngine(EngineStart::kHeuristic);
    e.heuristic.restarts = 1;
    e.heuristic.time_limit_s = 600.0;  // the restarts end it, not the clock
    e.time_limit_s = 600.0;
    e.max_rounds = 6;
    e.repair_lns_every = 2;  // LNS rounds too
    e.repair_round_nodes = 20;
    e.lns_round_nodes = 5;
    e.full_milp = false;
    auto run = [&] { return trainEngine(ds, o, e); };
    const EngineResult a = run();
    EngineResult c;
    {
      std::atomic<bool> stop{false};
      std::vector<std::thread> hogs;
      for (int t = 0; t < 2; ++t) {
        hogs.emplace_back([&stop] {
          volatile double x = 0.0;
          while (!stop.load(std::memory_order_relaxed)) x = x + 1.0;
        });
      }
      c = run();
      stop = true;
      for (auto& h : hogs) h.join();
    }
    const EngineResult b = run();
    ASSERT_EQ(a.lns.size(), 6u) << thresholdModeName(mode);
    for (const EngineResult* r : std::vector<const EngineResult*>{&b, &c}) {
      ASSERT_EQ(r->lns.size(), a.lns.size());
      for (size_t k = 0; k < a.lns.size(); ++k) {
        EXPECT_EQ(r->lns[k].repair, a.lns[k].repair) << "round " << k;
        EXPECT_EQ(r->lns[k].target, a.lns[k].target) << "round " << k;
        EXPECT_EQ(r->lns[k].freed, a.lns[k].freed) << "round " << k;
        EXPECT_EQ(r->lns[k].nodes, a.lns[k].nodes) << "round " << k;
        EXPECT_EQ(r->lns[k].lp_iterations, a.lns[k].lp_iterations) << "round " << k;
        EXPECT_EQ(r->lns[k].errors_after, a.lns[k].errors_after) << "round " << k;
        EXPECT_FALSE(r->lns[k].time_limited) << "round " << k;
      }
      EXPECT_EQ(r->objective, a.objective);
      EXPECT_EQ(r->params.weights[0], a.params.weights[0]);
      EXPECT_EQ(r->params.weights[1], a.params.weights[1]);
      EXPECT_TRUE(r->forward_check_ok);
    }
    // The node limits bind in some round (the test would not test them otherwise).
    long most = 0;
    for (const LnsRound& lr : a.lns) most = std::max(most, lr.nodes);
    EXPECT_GE(most, 5) << thresholdModeName(mode);
  }
}

// The repair step (fixed output layer) never loses a point the incumbent classifies correctly:
// a broken step (a missing keep-correct row, a wrong sign of the output row or of the threshold
// shift) would show as a correct point turned wrong or a band point.
TEST(BdnnEngine, RepairKeepsEveryCorrectPoint) {
  for (ThresholdMode mode : {ThresholdMode::kLayer, ThresholdMode::kZero, ThresholdMode::kNeuron}) {
    const data::Dataset ds = support::randomLabelledData(40, 3, 2, 11);
    const BdnnOptions o = tinyOptions(mode, 4);
    HeuristicOptions h;
    h.restarts = 1;
    const HeuristicResult hr = trainHeuristic(ds, o, h);
    const std::vector<int> before = predictBdnn(hr.net, ds.X);
    Rng rng(3);
    int tried = 0, checked = 0;
    for (int target = 0; target < ds.size() && tried < 4; ++target) {
      if (before[static_cast<size_t>(target)] == ds.y[static_cast<size_t>(target)]) continue;
      ++tried;
      const std::vector<int> freed = pickRepairUnits(ds, o, hr.params, target, 2, rng);
      ASSERT_EQ(freed.size(), 2u);
      const std::optional<BdnnParams> cand = solveRepair(ds, o, hr.params, freed, 30.0, {}).params;
      if (!cand) continue;
      const nn::Network net = toNetwork(*cand, o);
      const Evaluation ev = evaluate(net, ds, o.margin);
      if (ev.band_points > 0) continue;  // the engine rejects such a candidate by its count
      ++checked;
      EXPECT_LE(ev.margin_errors, hr.train_eval.margin_errors);
      const std::vector<int> after = predictBdnn(net, ds.X);
      for (int i = 0; i < ds.size(); ++i) {
        if (before[static_cast<size_t>(i)] == ds.y[static_cast<size_t>(i)]) {
          EXPECT_EQ(after[static_cast<size_t>(i)], ds.y[static_cast<size_t>(i)])
              << "point " << i << " mode " << thresholdModeName(mode);
        }
      }
      // Only the freed units' first-layer rows may change; the output layer is fixed.
      EXPECT_EQ(cand->weights[1], hr.params.weights[1]);
      for (int j = 0; j < 4; ++j) {
        if (std::find(freed.begin(), freed.end(), j) == freed.end()) {
          EXPECT_EQ(cand->weights[0].row(j), hr.params.weights[0].row(j));
        }
      }
    }
    EXPECT_GT(checked, 0) << "no band-free repair to check, mode " << thresholdModeName(mode);
  }
}

// A repair that must fix a point, on hand-made data: one feature x and a constant 1 (a bias
// input), zero thresholds; unit 1 (output weight -1) is active everywhere, unit 0 (output weight
// +1) nowhere, so every point is class 0 (a2 = -1). With the label-1 point at the end (x = 0.9),
// freeing unit 0 must make it active on x >= ~0.7 only: 0 errors. With the label-1 point in the
// middle (x = 0.5) no halfspace picks it alone: the repair must keep its 1 error, not claim 0.
TEST(BdnnEngine, RepairFixesWhatOneUnitCanReach) {
  const BdnnOptions o = tinyOptions(ThresholdMode::kZero, 2);
  BdnnParams p;
  p.weights = {Mat(2, 2), Mat(1, 2)};
  p.weights[0] << 0.0, -1.0, 0.0, 1.0;  // unit 0: a = -1 (off), unit 1: a = 1 (on)
  p.weights[1] << 1.0, -1.0;
  p.lambda = {Vec::Constant(2, -o.margin / 2.0), Vec::Constant(1, -o.margin / 2.0)};
  for (int middle = 0; middle < 2; ++middle) {
    data::Dataset ds;
    ds.X.resize(3, 2);
    ds.X << 0.2, 1.0, 0.5, 1.0, 0.9, 1.0;
    ds.y = middle ? std::vector<int>{0, 1, 0} : std::vector<int>{0, 0, 1};
    ds.num_classes = 2;
    ASSERT_EQ(evaluate(toNetwork(p, o), ds, o.margin).margin_errors, 1);
    const std::optional<BdnnParams> cand = solveRepair(ds, o, p, {0}, 30.0, {}).params;
    ASSERT_TRUE(cand.has_value());
    EXPECT_EQ(evaluate(toNetwork(*cand, o), ds, o.margin).margin_errors, middle ? 1 : 0);
  }
}

// The constant classifier (every unit active, equal output weights) has nothing 2 of 3 freed units
// can repair: no candidate, rather than the start handed back as a tie.
TEST(BdnnEngine, RepairOfTheConstantClassifierReturnsNothing) {
  const data::Dataset ds = support::randomLabelledData(20, 3, 2, 4);
  const BdnnOptions o = tinyOptions(ThresholdMode::kLayer, 3);
  EXPECT_FALSE(solveRepair(ds, o, constantClassifier(ds, o), {0, 1}, 10.0, {}).params.has_value());
}

// The wall clock is enforced: a MILP far too big for the limit is ended at the deadline (its
// process is killed), the engine returns its start network, forward-checked, with a valid bound.
TEST(BdnnEngine, WallClockLimitIsEnforced) {
  const data::Dataset ds = support::overlapBoxesData(400, 30, 9);
  const BdnnOptions o = tinyOptions(ThresholdMode::kLayer, 20);
  EngineOptions e = quickEngine(EngineStart::kConstant);
  e.lns = false;
  e.time_limit_s = 4.0;
  const EngineResult r = trainEngine(ds, o, e);
  EXPECT_LE(r.wall_s, 4.0 + 1.5);
  EXPECT_TRUE(r.milp_run);
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_LE(r.bound, r.objective);
  EXPECT_LE(r.objective, 200.0);  // never worse than the constant classifier (200 errors)
}

// Zero thresholds: x and 2x share every unit, and all-zero points too.
TEST(BdnnEngine, RayBoundCountsMixedRays) {
  data::Dataset ds;
  ds.X.resize(6, 2);
  ds.X << 1, 2, 2, 4, 0, 0, 0, 0, 1, 0, 3, 1;
  ds.y = {0, 1, 0, 1, 1, 1};
  ds.num_classes = 2;
  EXPECT_EQ(rayLowerBound(ds, tinyOptions(ThresholdMode::kZero, 2)), 2);   // {0,1} and {2,3}
  EXPECT_EQ(rayLowerBound(ds, tinyOptions(ThresholdMode::kLayer, 2)), 1);  // only {2,3} equal
  ExactOptions ex;
  ex.time_limit_s = 60.0;
  const ExactResult r = trainExact(ds, tinyOptions(ThresholdMode::kZero, 2), ex);
  ASSERT_EQ(r.termination, mip::Termination::kOptimal);
  EXPECT_GE(r.objective, 2.0);
}

// The seed's margin 0: the MILP claims 0 errors on random labels (zero weights put every point on
// the threshold), and the forward pass of what it returns does not keep that claim.
TEST(BdnnEngine, MarginZeroClaimsWhatTheForwardPassDenies) {
  const data::Dataset ds = support::randomLabelledData(10, 2, 2, 5);
  BdnnOptions o = tinyOptions(ThresholdMode::kLayer, 2);
  o.margin = 0.0;
  ExactOptions ex;
  ex.time_limit_s = 60.0;
  ex.start = constantClassifier(ds, o);
  const ExactResult r = trainExact(ds, o, ex);
  ASSERT_TRUE(r.has_solution);
  EXPECT_EQ(r.objective, 0.0);
  EXPECT_EQ(r.gap, 0.0);
  // The sound MILP on the same data needs errors (random labels, 2 hidden units).
  const ExactResult sound = trainExact(ds, tinyOptions(ThresholdMode::kLayer, 2), ex);
  ASSERT_EQ(sound.termination, mip::Termination::kOptimal);
  EXPECT_GT(sound.objective, 0.0);
  EXPECT_GT(r.train_eval.errors, 0);
  EXPECT_FALSE(r.forward_check_ok);
}

}  // namespace
}  // namespace nnmip::bdnn
