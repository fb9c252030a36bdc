// The mountain-climbing heuristic against the MILP's proved bounds (same margin, same boxes).
#include <gtest/gtest.h>

#include <cmath>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "core/rng.hpp"
#include "support/tiny_data.hpp"
#include "support/tolerances.hpp"

namespace nnmip::bdnn {
namespace {

// A heuristic network without band points is a feasible MILP point, so its error count can never
// be below the MILP's dual bound (rounded up), nor below a proved optimum.
TEST(BdnnHeuristic, NeverBelowMilpBound) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (ThresholdMode mode :
         {ThresholdMode::kZero, ThresholdMode::kLayer, ThresholdMode::kNeuron}) {
      SCOPED_TRACE(::testing::Message()
                   << "seed " << seed << " threshold " << thresholdModeName(mode));
      const data::Dataset ds = support::overlapBoxesData(8, 2, seed);
      BdnnOptions o;
      o.hidden = {2};
      o.threshold = mode;
      HeuristicOptions ho;
      ho.restarts = 3;
      ho.seed = seed;
      const HeuristicResult h = trainHeuristic(ds, o, ho);
      const ExactResult m = trainExact(ds, o, exactWithLimit(20.0));
      ASSERT_EQ(m.termination, mip::Termination::kOptimal);
      EXPECT_GE(h.train_eval.margin_errors, m.best_bound - support::kMipTol);
      if (h.train_eval.band_points == 0) {
        EXPECT_GE(h.train_eval.errors, m.objective - support::kMipTol);
      }
      // The reported count is the forward pass's.
      const Evaluation again = evaluate(h.net, ds, o.margin);
      EXPECT_EQ(again.margin_errors, h.train_eval.margin_errors);
    }
  }
}

// As a MIP start the heuristic's network is accepted: the MILP's incumbent is never worse.
TEST(BdnnHeuristic, WarmStartNeverWorse) {
  const data::Dataset ds = support::overlapBoxesData(20, 3, 4);
  BdnnOptions o;
  o.hidden = {3};
  o.threshold = ThresholdMode::kNeuron;
  const HeuristicResult h = trainHeuristic(ds, o);
  ASSERT_EQ(h.train_eval.band_points, 0);
  ExactOptions ex;
  ex.time_limit_s = 5.0;
  ex.start = h.params;
  const ExactResult m = trainExact(ds, o, ex);
  ASSERT_TRUE(m.has_solution);
  EXPECT_LE(m.objective, h.train_eval.margin_errors + support::kMipTol);
  EXPECT_TRUE(m.forward_check_ok);
}

// Separable data (classes in disjoint boxes) is fitted without error, with an argmax output too.
TEST(BdnnHeuristic, SeparableDataFitted) {
  Rng rng(3);
  data::Dataset ds;
  const int n = 60;
  ds.X.resize(n, 4);
  for (int i = 0; i < n; ++i) {
    const int y = i % 3;
    for (int l = 0; l < 4; ++l) ds.X(i, l) = rng.uniform(0.0, 0.3) + (l == y ? 0.7 : 0.0);
    ds.y.push_back(y);
  }
  ds.num_classes = 3;
  BdnnOptions o;
  o.hidden = {4};
  o.output = OutputMode::kArgmax;
  o.threshold = ThresholdMode::kNeuron;
  const HeuristicResult h = trainHeuristic(ds, o);
  EXPECT_EQ(h.train_eval.errors, 0);
  EXPECT_GT(h.lp_solves, 0);
}

}  // namespace
}  // namespace nnmip::bdnn
