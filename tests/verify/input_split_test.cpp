// The input-splitting engine against brute force on tiny networks (tests/verify/brute_force.hpp:
// activation-pattern enumeration, exact) and a dense grid (a lower bound of the largest margin),
// its soundness rules, the engine choice, and one real ACAS Xu instance of each answer.
#include "verify/input_split.hpp"
#include "verify/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "support/paths.hpp"
#include "verify/brute_force.hpp"
#include "verify/witness.hpp"

namespace nnmip {
namespace {

using testverify::bruteForceMargin;
using testverify::randomProperty;
using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Largest margin over a grid of `per_dim` points per input (corners included) of every box.
double gridMargin(const nn::Network& net, const data::VnnlibProperty& p, int per_dim) {
  double best = -kInf;
  const int n = net.inputSize();
  long total = 1;
  for (int i = 0; i < n; ++i) total *= per_dim;
  for (const data::InputBox& box : p.input_boxes) {
    Mat X(total, n);
    for (long k = 0; k < total; ++k) {
      long r = k;
      for (int i = 0; i < n; ++i) {
        const double t = static_cast<double>(r % per_dim) / (per_dim - 1);
        r /= per_dim;
        const size_t ii = static_cast<size_t>(i);
        X(k, i) = box.lo[ii] + t * (box.hi[ii] - box.lo[ii]);
      }
    }
    const Mat Y = nn::forwardBatch(net, X);
    for (long k = 0; k < total; ++k) {
      for (const auto& atoms : p.unsafe_disjuncts) {
        best = std::max(best, verify::disjunctMargin(atoms, Vec(Y.row(k).transpose())));
      }
    }
  }
  return best;
}

void expectValidCounterexample(const nn::Network& net, const data::VnnlibProperty& p,
                               const verify::Result& r) {
  ASSERT_TRUE(r.counterexample.has_value());
  const verify::Counterexample& c = *r.counterexample;
  const data::InputBox& box = p.input_boxes[static_cast<size_t>(c.box)];
  for (size_t i = 0; i < c.x.size(); ++i) {
    EXPECT_GE(c.x[i], box.lo[i]);
    EXPECT_LE(c.x[i], box.hi[i]);
  }
  const Vec y = nn::forward(net, Eigen::Map<const Vec>(c.x.data(), net.inputSize()));
  EXPECT_GE(verify::disjunctMargin(p.unsafe_disjuncts[static_cast<size_t>(c.disjunct)], y), -1e-9);
}

struct Tally {
  int sat = 0, unsat = 0, open = 0, truth_sat = 0, grid_sat = 0;
  double brute_s = 0.0, verify_s = 0.0;
};

// n_props random networks (2-5 inputs, two or three hidden layers) and properties (1-2 boxes,
// 1-3 disjuncts of 1-2 atoms); the options cycle through threads, bounds, rules and the attack.
void checkAgainstBruteForce(int n_props, uint64_t seed0, Tally& t) {
  for (int k = 0; k < n_props; ++k) {
    const uint64_t seed = seed0 + static_cast<uint64_t>(k);
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const int n_in = 2 + static_cast<int>(rng.below(4));
    std::vector<int> sizes{n_in};
    const int depth = 2 + static_cast<int>(rng.below(2));
    // Widths 3-6 (two hidden layers) or 3-4 (three): brute force stays cheap.
    for (int l = 0; l < depth; ++l) {
      sizes.push_back(3 + static_cast<int>(rng.below(depth == 2 ? 4 : 2)));
    }
    sizes.push_back(2 + static_cast<int>(rng.below(2)));
    const nn::Network net = testnets::randomNet(sizes, seed * 31 + 7);
    const data::VnnlibProperty p = randomProperty(net, rng);
    const Timer tb;
    const double truth = bruteForceMargin(net, p);
    t.brute_s += tb.seconds();
    const double grid = gridMargin(net, p, n_in <= 3 ? 25 : 9);
    // The grid only sees points of the boxes: it can never exceed the exact maximum.
    ASSERT_LE(grid, truth + 1e-6) << "brute force below a sampled point";
    verify::VerifyOptions o;
    o.threads = 1 + static_cast<int>(k % 2);
    o.time_limit_s = 3;  // margins within 1e-6 of 0 may need more; they are not asserted
    o.attack_time_s = k % 3 == 0 ? 0.02 : 0.0;  // mostly the split's own candidates
    verify::InputSplitOptions s;
    s.bound = k % 4 < 2 ? verify::SplitBound::kAlpha : verify::SplitBound::kSymbolic;
    s.rule = k % 5 == 0   ? verify::SplitRule::kWidest
             : k % 5 == 1 ? verify::SplitRule::kGradient
                          : verify::SplitRule::kSmear;
    s.batch = 1 + static_cast<int>(k % 8);
    const Timer tv;
    const verify::Result r = verify::verifyByInputSplit(net, p, o, {}, s);
    t.verify_s += tv.seconds();
    t.truth_sat += truth >= 0;
    t.grid_sat += grid >= 0;
    switch (r.status) {
      case verify::Status::kSat:
        ++t.sat;
        EXPECT_GE(truth, -1e-6) << "sat, but brute force says the largest margin is " << truth;
        expectValidCounterexample(net, p, r);
        break;
      case verify::Status::kUnsat:
        ++t.unsat;
        EXPECT_LT(truth, 0.0) << "unsat, but brute force finds margin " << truth;
        EXPECT_LT(grid, 0.0) << "unsat, but a grid point has margin " << grid;
        break;
      case verify::Status::kUnknown:
      case verify::Status::kTimeout:
        ++t.open;
        std::printf("seed %llu open (truth %.3g): %s\n", static_cast<unsigned long long>(seed),
                    truth, r.reason.c_str());
        break;
    }
    // Complete on these nets: a clear margin gives the verdict.
    if (truth > 1e-3) {
      EXPECT_EQ(r.status, verify::Status::kSat) << truth << ": " << r.reason;
    }
    if (truth < -1e-3) {
      EXPECT_EQ(r.status, verify::Status::kUnsat) << truth << ": " << r.reason;
    }
  }
}

TEST(InputSplit, AgreesWithBruteForceOnTinyNets) {
  Tally t;
  checkAgainstBruteForce(300, 20000, t);
  std::printf(
      "input split: sat %d unsat %d open %d (brute-force sat %d, grid sat %d); %.1f s brute "
      "force, %.1f s input split\n",
      t.sat, t.unsat, t.open, t.truth_sat, t.grid_sat, t.brute_s, t.verify_s);
  EXPECT_GT(t.sat, 60);
  EXPECT_GT(t.unsat, 60);
  EXPECT_EQ(t.sat + t.unsat + t.open, 300);
}

// y = relu(x0 - x1) + relu(x0 + x1) on [-1, 1]^2: y = 2 x0 where x0 >= |x1|, x0 + |x1| where
// |x0| < |x1|, 0 where x0 <= -|x1|; so max y = 2 (at x0 = 1). Unsafe y >= 1.5: sat (e.g.
// x = (1, 0)); unsafe y >= 2.5: unsat with largest margin 2 - 2.5 = -0.5.
TEST(InputSplit, TwoReluToyHandComputed) {
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p;
  p.num_inputs = 2;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{-1, -1}, {1, 1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -1.5}}};  // -y <= -1.5
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;  // the counterexample must come from the split
  verify::Result r = verify::verifyByInputSplit(net, p, o);
  ASSERT_EQ(r.status, verify::Status::kSat) << r.reason;
  expectValidCounterexample(net, p, r);
  EXPECT_GE(r.counterexample->y_double[0], 1.5);
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -2.5}}};
  r = verify::verifyByInputSplit(net, p, o);
  ASSERT_EQ(r.status, verify::Status::kUnsat) << r.reason;
  // The reported bound is the largest closing bound over the leaves: between the true -0.5 and 0.
  EXPECT_LE(r.boxes[0].disjuncts[0].upper_bound, 0.0);
  EXPECT_GE(r.boxes[0].disjuncts[0].upper_bound, -0.5 - 1e-9);
}

// A property whose counterexample region is tiny is never unsat: the threshold is set so that
// the exact largest margin (brute force) is +1e-7, reached near one point only.
TEST(InputSplit, KnownCounterexampleIsNeverUnsat) {
  int sat = 0;
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    SCOPED_TRACE(seed);
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, seed);
    data::VnnlibProperty p;
    p.num_inputs = 3;
    p.num_outputs = 2;
    p.input_boxes = {data::InputBox{{-1, -1, -1}, {1, 1, 1}}};
    // Unsafe: y0 - y1 >= max over the box - 1e-7, written -(y0 - y1) <= -(max - 1e-7).
    p.unsafe_disjuncts = {{data::LinearAtom{{-1.0, 1.0}, 0.0}}};
    const double max_diff = bruteForceMargin(net, p);  // max of y0 - y1
    p.unsafe_disjuncts[0][0].rhs = -(max_diff - 1e-7);
    verify::VerifyOptions o;
    o.time_limit_s = 0.25;
    o.attack_time_s = seed % 2 == 0 ? 0.0 : 0.05;
    verify::InputSplitOptions s;
    s.bound = seed % 3 == 0 ? verify::SplitBound::kAlpha : verify::SplitBound::kSymbolic;
    const verify::Result r = verify::verifyByInputSplit(net, p, o, {}, s);
    EXPECT_NE(r.status, verify::Status::kUnsat) << r.reason;
    sat += r.status == verify::Status::kSat;
  }
  std::printf("tiny counterexample regions: %d of 24 found\n", sat);
}

// twoReluToy (y = 2 x0 where x0 >= |x1|) over x0 in [0, 0.75], |x1| <= 0.1, unsafe where
// y >= threshold: sup y = 1.5, reached only on the face x0 = 0.75.
data::VnnlibProperty faceProperty(double threshold) {
  data::VnnlibProperty p;
  p.num_inputs = 2;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{0.0, -0.1}, {0.75, 0.1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -threshold}}};
  return p;
}

// The time limit and should_stop end the search as timeout, never as a verdict, and a frontier
// or depth limit ends it as unknown.
TEST(InputSplit, LimitsGiveNoVerdict) {
  // A margin that is exactly 0 at a point of the box cannot be closed by any bound: y = 2 x0
  // near x0 = 0.75 ... unsafe y >= 1.5 + 1e-12 on x0 <= 0.75 + 5e-13: the supremum 1.5 + 1e-12
  // is attained only on a face, so the split never closes the leaves there; no witness exists
  // with a float32 margin >= 0 in general, so the run must stop on its limits.
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p = faceProperty(1.5);  // margin 0 at x0 = .75
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;
  o.time_limit_s = 0.3;
  verify::InputSplitOptions s;
  s.close_margin = 1e-3;  // nothing within 1e-3 of the face can be closed
  s.max_depth = 1000;
  verify::Result r = verify::verifyByInputSplit(net, p, o, {}, s);
  // y = 1.5 at x = (0.75, 0) passes the witness check (margin 0): sat is the right answer.
  ASSERT_EQ(r.status, verify::Status::kSat) << r.reason;
  // Move the threshold just above the supremum: 1.5 + 1e-9 is never reached, but no bound can
  // prove it with a margin of 1e-3: the search stops on the time limit.
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -(1.5 + 1e-9)}}};
  r = verify::verifyByInputSplit(net, p, o, {}, s);
  EXPECT_EQ(r.status, verify::Status::kTimeout) << r.reason;
  s.max_depth = 6;
  o.time_limit_s = 20;
  r = verify::verifyByInputSplit(net, p, o, {}, s);
  EXPECT_EQ(r.status, verify::Status::kUnknown) << r.reason;
  s.max_depth = 200;
  s.max_frontier = 8;
  r = verify::verifyByInputSplit(net, p, o, {}, s);
  EXPECT_EQ(r.status, verify::Status::kUnknown) << r.reason;
  s.max_frontier = 400000;
  std::atomic<int> calls{0};
  Callbacks cb;
  cb.should_stop = [&calls] { return ++calls > 50; };
  r = verify::verifyByInputSplit(net, p, o, cb, s);
  EXPECT_EQ(r.status, verify::Status::kTimeout) << r.reason;
}

// The attack's first stage (a third of attack_time_s) runs before the split, the rest only when
// the split stops early with time left (here at its depth limit, on a margin no bound closes
// and no input reaches); the attack runs until its time is up, so each stage takes its budget.
TEST(InputSplit, AttackStagesAroundTheSplit) {
  const nn::Network net = testnets::twoReluToy();
  const data::VnnlibProperty p = faceProperty(1.5 + 1e-9);  // never reached
  const double budget = 1.2;
  verify::VerifyOptions o;
  o.attack_time_s = budget;
  o.attack.rounds = 1000000000;
  o.time_limit_s = 20;
  verify::InputSplitOptions s;
  s.close_margin = 1e-3;
  s.max_depth = 6;
  const verify::Result r = verify::verifyByInputSplit(net, p, o, {}, s);
  EXPECT_EQ(r.status, verify::Status::kUnknown) << r.reason;
  ASSERT_EQ(r.boxes.size(), 1u);
  std::vector<std::string> names;
  for (const verify::PhaseStats& ph : r.boxes[0].phases) names.push_back(ph.name);
  const std::vector<std::string> want = {"centre", "attack", "input-split", "attack-2"};
  ASSERT_EQ(names, want);
  const double first = r.boxes[0].phases[1].wall_s;
  const double second = r.boxes[0].phases[3].wall_s;
  EXPECT_GE(first, budget / 3 - 0.01);
  EXPECT_LE(first, budget / 2);  // the whole budget before: the old single stage
  EXPECT_GE(second, 2 * budget / 3 - 0.01);
  EXPECT_LE(second, budget);
}

TEST(InputSplit, RejectsMismatchedShapes) {
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p;
  p.num_inputs = 3;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{0, 0, 0}, {1, 1, 1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{1.0}, 0.0}}};
  try {
    verify::verifyByInputSplit(net, p);
    FAIL() << "3 inputs accepted for a 2-input network";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
}

TEST(InputSplit, EngineChoice) {
  EXPECT_EQ(verify::parseEngine("input-split"), verify::EngineKind::kInputSplit);
  EXPECT_EQ(verify::parseEngine("relu"), verify::EngineKind::kRelu);
  EXPECT_THROW(verify::parseEngine("milp"), Error);
  const nn::Network small = testnets::twoReluToy();
  const nn::Network wide = testnets::randomNet({17, 3, 2}, 1);
  EXPECT_EQ(verify::resolveEngine(verify::EngineKind::kAuto, small),
            verify::EngineKind::kInputSplit);
  EXPECT_EQ(verify::resolveEngine(verify::EngineKind::kAuto, wide), verify::EngineKind::kRelu);
  EXPECT_EQ(verify::resolveEngine(verify::EngineKind::kRelu, small), verify::EngineKind::kRelu);
}

// Presplitting covers each box exactly: 2^k pieces whose volumes add up to the box's, each
// inside it, bisected along the widest relative input in turn.
TEST(InputSplit, PresplitCoversTheBox) {
  data::VnnlibProperty p;
  p.num_inputs = 3;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{0, -1, 5}, {1, 1, 5}}, data::InputBox{{0, 0, 0}, {2, 4, 8}}};
  const data::VnnlibProperty q = verify::presplitBoxes(p, 8);
  ASSERT_EQ(q.input_boxes.size(), 16u);
  for (size_t b = 0; b < 2; ++b) {
    const data::InputBox& root = p.input_boxes[b];
    double volume = 0.0;
    for (size_t k = 0; k < 8; ++k) {
      const data::InputBox& piece = q.input_boxes[b * 8 + k];
      double v = 1.0;
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_GE(piece.lo[i], root.lo[i]);
        EXPECT_LE(piece.hi[i], root.hi[i]);
        if (root.hi[i] > root.lo[i]) v *= (piece.hi[i] - piece.lo[i]) / (root.hi[i] - root.lo[i]);
      }
      volume += v;
    }
    EXPECT_DOUBLE_EQ(volume, 1.0);
  }
  // The degenerate input (5 <= x2 <= 5) is never split: box 0's pieces halve x0 and x1.
  EXPECT_DOUBLE_EQ(q.input_boxes[0].hi[0] - q.input_boxes[0].lo[0], 0.25);
  EXPECT_DOUBLE_EQ(q.input_boxes[0].hi[1] - q.input_boxes[0].lo[1], 1.0);
  EXPECT_EQ(verify::presplitBoxes(p, 1).input_boxes.size(), 2u);
  EXPECT_THROW(verify::presplitBoxes(p, 6), Error);
}

// twoReluToy's property y >= threshold over [-1, 1]^2 (max y = 2 at x0 = 1, see above).
data::VnnlibProperty toyAtLeast(double threshold) {
  data::VnnlibProperty p;
  p.num_inputs = 2;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{-1, -1}, {1, 1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -threshold}}};
  return p;
}

verify::EngineChoice reluOnPieces(int pieces) {
  verify::EngineChoice engine;
  engine.kind = verify::EngineKind::kRelu;
  engine.relu_presplit = pieces;
  return engine;
}

// The relu engine on a presplit property (verifyPieces): the pieces' verdicts combine into the
// property's; the counterexample names the property's box.
TEST(InputSplit, ReluEngineOnPieces) {
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p = toyAtLeast(2.5);  // unsat
  const verify::EngineChoice engine = reluOnPieces(4);
  verify::VerifyOptions o;
  o.time_limit_s = 20;
  o.attack_time_s = 0.0;
  verify::Result r = verify::verifyWithEngine(engine, net, p, o);
  ASSERT_EQ(r.status, verify::Status::kUnsat) << r.reason;
  EXPECT_EQ(r.boxes.size(), 4u);
  p = toyAtLeast(1.9);  // only near x0 = 1
  r = verify::verifyWithEngine(engine, net, p, o);
  ASSERT_EQ(r.status, verify::Status::kSat) << r.reason;
  EXPECT_GE(r.counterexample->x[0], 0.95 - 1e-12);
  EXPECT_EQ(r.counterexample->box, 0);  // the property's box, not the piece
  EXPECT_GE(r.counterexample->y_double[0], 1.9);
}

// Pieces that stay open are cut into 8 for another round: with the incomplete phases only
// (interval root bounds, LPs; no MILP, bab or alpha), y >= 2.01 (unsat, max y = 2) stays open
// on the two first-round pieces; the later rounds close it piece by piece.
TEST(InputSplit, ReluEnginePiecesOpenAreCutForAnotherRound) {
  const nn::Network net = testnets::twoReluToy();
  const data::VnnlibProperty p = toyAtLeast(2.01);
  const verify::EngineChoice engine = reluOnPieces(2);
  verify::VerifyOptions o;
  o.time_limit_s = 20;
  o.attack_time_s = 0.0;
  o.interval_root = true;
  o.use_alpha = false;
  o.use_bab = false;
  o.use_refine = false;
  o.use_milp = false;
  const verify::Result one = verify::verifyProperty(net, p, o);
  EXPECT_NE(one.status, verify::Status::kUnsat) << "the test needs a box the phases leave open";
  const verify::Result r = verify::verifyWithEngine(engine, net, p, o);
  ASSERT_EQ(r.status, verify::Status::kUnsat) << r.reason;
  EXPECT_GT(r.boxes.size(), 2u);
  for (const verify::BoxReport& b : r.boxes) EXPECT_EQ(b.box, 0);
}

// ACAS Xu, with the answers alpha-beta-CROWN published at VNN-COMP 2022
// (ChristopherBrix/vnncomp2022_results, alpha_beta_crown/acasxu/results.csv): network 1_3
// property 4 is unsat, network 1_7 property 3 is sat. Each takes well under a second here.
TEST(InputSplit, AcasXuKnownAnswers) {
  NNMIP_SKIP_WITHOUT_DATA();
  const std::string dir = "vnncomp/acasxu/";
  verify::VerifyOptions o;
  o.time_limit_s = 30;
  o.attack_time_s = 0.2;
  {
    const nn::Network net =
        nn::readOnnx(support::sharedPath(dir + "onnx/ACASXU_run2a_1_3_batch_2000.onnx"));
    const data::VnnlibProperty p =
        data::readVnnlib(support::sharedPath(dir + "vnnlib/prop_4.vnnlib"));
    const verify::Result r = verify::verifyByInputSplit(net, p, o);
    EXPECT_EQ(r.status, verify::Status::kUnsat) << r.reason;
  }
  {
    const nn::Network net =
        nn::readOnnx(support::sharedPath(dir + "onnx/ACASXU_run2a_1_7_batch_2000.onnx"));
    const data::VnnlibProperty p =
        data::readVnnlib(support::sharedPath(dir + "vnnlib/prop_3.vnnlib"));
    const verify::Result r = verify::verifyByInputSplit(net, p, o);
    ASSERT_EQ(r.status, verify::Status::kSat) << r.reason;
    expectValidCounterexample(net, p, r);
    EXPECT_GE(r.counterexample->margin_float, 0.0);
  }
}

}  // namespace
}  // namespace nnmip
