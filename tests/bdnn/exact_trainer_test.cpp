// Exact BDNN training: the MILP optimum against exhaustive search over binary weights, and
// the forward-pass check of MILP-trained networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/step_net.hpp"
#include "core/rng.hpp"
#include "support/tiny_data.hpp"
#include "support/tolerances.hpp"

namespace nnmip::bdnn {
namespace {

// n points, d features in [-1, 1] (generic coordinates, so no pre-activation is exactly 0 for
// weights in {-1, 0, 1} unless all of them are 0), random labels 0..classes-1.
// Calls f on every matrix rows x cols with entries from `values`.
void forEachMatrix(int rows, int cols, const std::vector<double>& values,
                   const std::function<void(const Mat&)>& f) {
  const int cells = rows * cols;
  std::vector<int> idx(static_cast<size_t>(cells), 0);
  Mat m(rows, cols);
  while (true) {
    for (int c = 0; c < cells; ++c)
      m(c / cols, c % cols) = values[static_cast<size_t>(idx[static_cast<size_t>(c)])];
    f(m);
    int c = 0;
    while (c < cells && ++idx[static_cast<size_t>(c)] == static_cast<int>(values.size()))
      idx[static_cast<size_t>(c++)] = 0;
    if (c == cells) return;
  }
}

// Thresholds worth trying for pre-activation values `a` under the margin (inactive needs
// a <= lambda - margin, active a >= lambda): lambda = a[k+1] for every gap a[k+1] - a[k] >= margin
// between consecutive sorted values, and one value below/above all. Every feasible lambda gives
// the same units as one of these.
std::vector<double> thresholdCandidates(std::vector<double> a, double margin) {
  std::sort(a.begin(), a.end());
  std::vector<double> cand{a.front() - 1.0, a.back() + 1.0};
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] - a[i - 1] >= margin) cand.push_back(a[i]);
  }
  return cand;
}

bool inBand(double a, double lambda, double margin) { return a < lambda && a > lambda - margin; }

// Exhaustive minimum of the margin-consistent error count over one-hidden-layer step networks
// with weights from `values` and thresholds fixed at 0 (learn = false) or trained per layer.
int exhaustiveMinimum(const data::Dataset& ds, int hidden, const std::vector<double>& values,
                      bool learn, OutputMode output, double margin) {
  const int n = ds.size(), d = ds.features();
  const int out_dim = output == OutputMode::kArgmax ? ds.num_classes : 1;
  int best = std::numeric_limits<int>::max();
  forEachMatrix(hidden, d, values, [&](const Mat& w1) {
    const Mat a1 = ds.X * w1.transpose();  // n x hidden
    std::vector<double> l1_cands{0.0};
    if (learn)
      l1_cands = thresholdCandidates(std::vector<double>(a1.data(), a1.data() + a1.size()), margin);
    for (double l1 : l1_cands) {
      bool feasible = true;
      Mat h(n, hidden);
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < hidden; ++j) {
          if (inBand(a1(i, j), l1, margin)) feasible = false;
          h(i, j) = a1(i, j) >= l1 ? 1.0 : 0.0;
        }
      }
      if (!feasible) continue;
      forEachMatrix(out_dim, hidden, values, [&](const Mat& w2) {
        const Mat a2 = h * w2.transpose();
        if (output == OutputMode::kArgmax) {
          int errors = 0;
          for (int i = 0; i < n; ++i) {
            const int y = ds.y[static_cast<size_t>(i)];
            for (int c = 0; c < out_dim; ++c) {
              if (c != y && a2(i, y) - a2(i, c) < margin) {
                ++errors;
                break;
              }
            }
          }
          best = std::min(best, errors);
          return;
        }
        std::vector<double> l2_cands{0.0};
        if (learn)
          l2_cands =
              thresholdCandidates(std::vector<double>(a2.data(), a2.data() + a2.size()), margin);
        for (double l2 : l2_cands) {
          int errors = 0;
          bool ok = true;
          for (int i = 0; i < n; ++i) {
            if (inBand(a2(i, 0), l2, margin)) ok = false;
            errors += (a2(i, 0) >= l2) != (ds.y[static_cast<size_t>(i)] == 1);
          }
          if (ok) best = std::min(best, errors);
        }
      });
    }
  });
  return best;
}

struct ExhaustiveCase {
  const char* name;
  WeightDomain domain;
  std::vector<double> values;
  ThresholdMode threshold;
  OutputMode output;
  int points, features, hidden, classes;
};

class ExhaustiveTest : public ::testing::TestWithParam<ExhaustiveCase> {};

TEST_P(ExhaustiveTest, MilpOptimumEqualsEnumeration) {
  const ExhaustiveCase& tc = GetParam();
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    const data::Dataset ds = support::randomLabelledData(tc.points, tc.features, tc.classes, seed);
    BdnnOptions o;
    o.hidden = {tc.hidden};
    o.weights = tc.domain;
    o.threshold = tc.threshold;
    o.output = tc.output;
    o.margin = 1e-3;
    ExactOptions ex;
    ex.time_limit_s = 60;
    const ExactResult r = trainExact(ds, o, ex);
    ASSERT_EQ(r.termination, mip::Termination::kOptimal);
    const int expected = exhaustiveMinimum(
        ds, tc.hidden, tc.values, tc.threshold != ThresholdMode::kZero, tc.output, o.margin);
    EXPECT_NEAR(r.objective, expected, support::kMipTol);
    EXPECT_EQ(r.milp_errors, expected);
    // Forward-pass check: the trained network makes exactly the claimed errors, no band point.
    EXPECT_TRUE(r.forward_check_ok);
    EXPECT_EQ(r.train_eval.margin_errors, r.milp_errors);
    EXPECT_LE(r.train_eval.errors, r.milp_errors);
    if (tc.output == OutputMode::kStep) {
      EXPECT_EQ(r.train_eval.errors, r.milp_errors);
    }
    EXPECT_EQ(r.train_eval.band_points, 0);
    EXPECT_DOUBLE_EQ(r.gap, 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Bdnn, ExhaustiveTest,
                         ::testing::Values(ExhaustiveCase{"pm1_zero_6x2x2",
                                                          WeightDomain::kBinaryPm1,
                                                          {-1.0, 1.0},
                                                          ThresholdMode::kZero,
                                                          OutputMode::kStep,
                                                          6,
                                                          2,
                                                          2,
                                                          2},
                                           ExhaustiveCase{"pm1_zero_8x3x2",
                                                          WeightDomain::kBinaryPm1,
                                                          {-1.0, 1.0},
                                                          ThresholdMode::kZero,
                                                          OutputMode::kStep,
                                                          8,
                                                          3,
                                                          2,
                                                          2},
                                           ExhaustiveCase{"01_layer_6x2x2",
                                                          WeightDomain::kBinary01,
                                                          {0.0, 1.0},
                                                          ThresholdMode::kLayer,
                                                          OutputMode::kStep,
                                                          6,
                                                          2,
                                                          2,
                                                          2},
                                           ExhaustiveCase{"pm1_layer_7x2x2",
                                                          WeightDomain::kBinaryPm1,
                                                          {-1.0, 1.0},
                                                          ThresholdMode::kLayer,
                                                          OutputMode::kStep,
                                                          7,
                                                          2,
                                                          2,
                                                          2},
                                           ExhaustiveCase{"ternary_zero_6x2x2",
                                                          WeightDomain::kTernary,
                                                          {-1.0, 0.0, 1.0},
                                                          ThresholdMode::kZero,
                                                          OutputMode::kStep,
                                                          6,
                                                          2,
                                                          2,
                                                          2},
                                           ExhaustiveCase{"pm1_argmax3_6x2x2",
                                                          WeightDomain::kBinaryPm1,
                                                          {-1.0, 1.0},
                                                          ThresholdMode::kZero,
                                                          OutputMode::kArgmax,
                                                          6,
                                                          2,
                                                          2,
                                                          3}),
                         [](const ::testing::TestParamInfo<ExhaustiveCase>& info) {
                           return std::string(info.param.name);
                         });

// Continuous weights, learned thresholds: the forward pass reproduces the MILP's error count.
TEST(BdnnExact, ForwardPassMatchesMilpContinuous) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(seed);
    data::Dataset ds = support::randomLabelledData(10, 3, 2, 100 + seed);
    for (ThresholdMode mode :
         {ThresholdMode::kZero, ThresholdMode::kLayer, ThresholdMode::kNeuron}) {
      SCOPED_TRACE(thresholdModeName(mode));
      BdnnOptions o;
      o.hidden = {2};
      o.threshold = mode;
      // 10 points, 2 hidden units: solved at the root; the limit only guards a hang.
      const ExactResult r = trainExact(ds, o, exactWithLimit(30.0));
      ASSERT_EQ(r.termination, mip::Termination::kOptimal);
      ASSERT_TRUE(r.has_solution);
      EXPECT_TRUE(r.forward_check_ok);
      EXPECT_EQ(r.train_eval.errors, r.milp_errors);
      EXPECT_EQ(r.train_eval.band_points, 0);
      EXPECT_NEAR(r.objective, r.milp_errors, support::kMipTol);
    }
  }
}

// Two hidden layers: the rows of layer 2 read u^{i,1} through s (the slides' typo corrected).
TEST(BdnnExact, TwoHiddenLayersForwardCheck) {
  const data::Dataset ds = support::randomLabelledData(8, 2, 2, 7);
  BdnnOptions o;
  o.hidden = {2, 2};
  const ExactResult r = trainExact(ds, o, exactWithLimit(5.0));
  ASSERT_TRUE(r.has_solution);
  EXPECT_TRUE(r.forward_check_ok);
  EXPECT_EQ(r.train_eval.errors, r.milp_errors);
  EXPECT_EQ(r.net.numLayers(), 3);
}

// XOR needs the hidden layer: 4 points, zero training error with 2 hidden units.
TEST(BdnnExact, XorIsLearnedExactly) {
  data::Dataset ds;
  ds.X.resize(4, 2);
  ds.X << 0, 0, 0, 1, 1, 0, 1, 1;
  ds.y = {0, 1, 1, 0};
  ds.num_classes = 2;
  BdnnOptions o;
  o.hidden = {2};
  o.threshold = ThresholdMode::kNeuron;
  const ExactResult r = trainExact(ds, o, exactWithLimit(60.0));
  ASSERT_EQ(r.termination, mip::Termination::kOptimal);
  EXPECT_NEAR(r.objective, 0.0, support::kMipTol);
  EXPECT_EQ(r.train_eval.errors, 0);
}

// A MIP start built from a network is feasible and reproduces that network's error count.
TEST(BdnnExact, StartFromParamsIsFeasible) {
  const data::Dataset ds = support::randomLabelledData(10, 3, 2, 11);
  BdnnOptions o;
  o.hidden = {2};
  o.threshold = ThresholdMode::kNeuron;
  const TrainingMilp m = buildTrainingMilp(ds, o);
  BdnnParams p;
  p.weights = {Mat(2, 3), Mat(1, 2)};
  p.weights[0] << 0.5, -0.25, 0.75, -1, 0.5, 0.125;
  p.weights[1] << 1, -1;
  p.lambda = {Vec::Constant(2, 0.0625), Vec::Constant(1, 0.5)};
  const std::vector<double> x = startFromParams(m, ds, p);
  const nn::Network net = toNetwork(p, o);
  const Evaluation ev = evaluate(net, ds, o.margin);
  ASSERT_EQ(ev.band_points, 0);
  EXPECT_LE(m.model.maxViolation(x), 1e-9);
  EXPECT_NEAR(m.model.objectiveValue(x), ev.errors, 1e-9);
  EXPECT_EQ(milpErrorCount(m, ds, x), ev.errors);
}

// Iterative data addition ends with a network evaluated on all points and a valid lower bound.
TEST(BdnnExact, IterativeAdditionLowerBound) {
  const data::Dataset ds = support::randomLabelledData(16, 2, 2, 5);
  BdnnOptions o;
  o.hidden = {2};
  o.weights = WeightDomain::kBinaryPm1;  // solves in well under a second
  o.threshold = ThresholdMode::kZero;
  IterativeOptions it;
  it.initial_points = 6;
  it.add_per_round = 3;
  it.time_limit_s = 30;
  it.round_time_limit_s = 10;
  const IterativeResult r = trainIterative(ds, o, it);
  ASSERT_FALSE(r.rounds.empty());
  EXPECT_EQ(r.train_eval.points, 16);
  EXPECT_LE(r.lower_bound, r.train_eval.margin_errors + support::kMipTol);
  const ExactResult full = trainExact(ds, o, exactWithLimit(60.0));
  ASSERT_EQ(full.termination, mip::Termination::kOptimal);
  EXPECT_LE(r.lower_bound, full.objective + support::kMipTol);
  EXPECT_GE(r.train_eval.margin_errors, full.objective - support::kMipTol);
}

}  // namespace
}  // namespace nnmip::bdnn
