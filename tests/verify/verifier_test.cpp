// The verification engine against brute force on tiny networks (tests/verify/brute_force.hpp),
// and its soundness rules.
#include "verify/verifier.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "encode/tiny_nets.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"
#include "verify/brute_force.hpp"
#include "verify/witness.hpp"

namespace nnmip {
namespace {

using testverify::checkAgainstBruteForce;
using testverify::Tally;
using Vec = Eigen::VectorXd;

TEST(Verifier, AgreesWithBruteForceOnTinyNets) {
  Tally t;
  checkAgainstBruteForce(150, 1000, {}, t);
  RecordProperty("sat", t.sat);
  RecordProperty("unsat", t.unsat);
  testverify::printTally("with attack", t);
  EXPECT_GT(t.sat, 20);
  EXPECT_GT(t.unsat, 20);
}

// Without the attack the counterexamples must come from the LP / MILP incumbents.
TEST(Verifier, AgreesWithBruteForceWithoutAttack) {
  Tally t;
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;
  checkAgainstBruteForce(100, 5000, o, t);
  testverify::printTally("without attack", t);
  EXPECT_GT(t.sat, 15);
}

// With the refinement phase forced on (every hidden layer from the second, every box) and no
// bab, so the refined bounds must carry the LP and MILP phases.
TEST(Verifier, AgreesWithBruteForceWithRefinement) {
  Tally t;
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;
  o.refine_min_unstable = -1;
  o.use_bab = false;
  checkAgainstBruteForce(80, 7000, o, t);
  testverify::printTally("with refinement", t);
  EXPECT_GT(t.sat, 10);
  EXPECT_GT(t.unsat, 10);
}

// The same with partial refinement MILPs that keep two binaries each (most neurons relaxed).
TEST(Verifier, AgreesWithBruteForceWithPartialRefinement) {
  Tally t;
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;
  o.refine_min_unstable = -1;
  o.refine_max_binaries = 2;
  o.use_bab = false;
  checkAgainstBruteForce(40, 7500, o, t);
  testverify::printTally("with partial refinement", t);
  EXPECT_GT(t.sat, 5);
  EXPECT_GT(t.unsat, 5);
}

// After the refinement the per-disjunct LP phase runs only when no bab follows (the bab takes
// its time); with bab off it still runs on what the refinement left open.
TEST(Verifier, LpPhaseAfterRefinementOnlyWithoutBab) {
  int refined_then_bab = 0, refined_then_lp = 0;
  for (const bool use_bab : {true, false}) {
    for (uint64_t seed = 7600; seed < 7640; ++seed) {
      SCOPED_TRACE(seed);
      Rng rng(seed);
      const nn::Network net = testnets::randomNet({3, 6, 6, 2}, seed);
      const data::VnnlibProperty p = testverify::randomProperty(net, rng);
      verify::VerifyOptions o;
      o.attack_time_s = 0.0;
      o.refine_min_unstable = -1;
      o.use_bab = use_bab;
      o.bab_early_share = 0.0;  // else the first bab closes these tiny nets before the refinement
      o.time_limit_s = 30;
      const verify::Result r = verify::verifyProperty(net, p, o);
      for (const verify::BoxReport& b : r.boxes) {
        bool refined = false, lp = false, open_after_refine = false;
        for (const verify::PhaseStats& ph : b.phases) {
          if (ph.name == "refine") {
            refined = true;
            open_after_refine = ph.open_after > 0;
          }
          lp = lp || ph.name == "lp";
        }
        if (!refined || !open_after_refine) continue;
        if (use_bab) {
          EXPECT_FALSE(lp);
          ++refined_then_bab;
        } else {
          EXPECT_TRUE(lp);
          ++refined_then_lp;
        }
      }
    }
  }
  EXPECT_GT(refined_then_bab, 3);
  EXPECT_GT(refined_then_lp, 3);
}

// The attack's budget in two stages around the cheap bounds: the first (a third of
// attack_time_s) right after the root bounds, the rest after alpha on what is still open. The
// attack here runs until its time is up (rounds without end), so each stage's wall time is its
// budget. Boxes that no bound closes and no attack violates reach both stages.
TEST(Verifier, AttackStagesSplitTheBudgetAroundTheCheapBounds) {
  const double budget = 1.2;
  int both_stages = 0;
  for (uint64_t seed = 7700; seed < 7760 && both_stages < 4; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const nn::Network net = testnets::randomNet({3, 6, 6, 2}, seed);
    const data::VnnlibProperty p = testverify::randomProperty(net, rng);
    verify::VerifyOptions o;
    o.attack_time_s = budget;
    o.attack.rounds = 1000000000;
    o.use_lp_tier = false;
    o.use_refine = false;
    o.use_bab = false;
    o.use_milp = false;
    o.time_limit_s = 30;
    const verify::Result r = verify::verifyProperty(net, p, o);
    for (const verify::BoxReport& b : r.boxes) {
      std::vector<std::string> names;
      const verify::PhaseStats* first = nullptr;
      const verify::PhaseStats* second = nullptr;
      for (const verify::PhaseStats& ph : b.phases) {
        names.push_back(ph.name);
        if (ph.name == "attack") first = &ph;
        if (ph.name == "attack-2") second = &ph;
      }
      // No second stage: closed by a bound or violated on the way; violated in the second: it
      // stopped at its find.
      if (second == nullptr || b.status == verify::Status::kSat) continue;
      ASSERT_NE(first, nullptr);
      // Then the per-disjunct LPs, the only phase left on.
      const std::vector<std::string> want = {"centre", "symbolic", "attack",
                                             "alpha",  "attack-2", "lp"};
      EXPECT_EQ(names, want);
      ++both_stages;
      EXPECT_GE(first->wall_s, budget / 3 - 0.01);
      EXPECT_LE(first->wall_s, budget / 2);  // the whole budget before: the old single stage
      EXPECT_GE(second->wall_s, 2 * budget / 3 - 0.01);
      EXPECT_LE(second->wall_s, budget);
    }
  }
  EXPECT_GE(both_stages, 4);
}

// The second-opinion configuration (interval root bounds, no symbolic, alpha, bab or refine:
// only interval arithmetic, LPs and CBC decide) agrees with brute force, and no disjunct is
// closed by a symbolic or alpha bound.
TEST(Verifier, AgreesWithBruteForceFromIntervalRootOnly) {
  Tally t;
  verify::VerifyOptions o;
  o.attack_time_s = 0.0;
  o.interval_root = true;
  o.use_alpha = false;
  o.use_bab = false;
  o.use_refine = false;
  checkAgainstBruteForce(60, 9000, o, t);
  testverify::printTally("interval root only", t);
  EXPECT_GT(t.sat, 8);
  EXPECT_GT(t.unsat, 8);
  for (const auto& entry : t.closed_by) {
    const std::string& by = entry.first;
    EXPECT_EQ(by.find("symbolic"), std::string::npos) << by;
    EXPECT_EQ(by.find("alpha"), std::string::npos) << by;
    EXPECT_EQ(by.find("bab"), std::string::npos) << by;
  }
  EXPECT_GT(t.closed_by["milp"] + t.closed_by["lp"], 0);
}

// A property whose counterexample is known (a point x0 with margin 1e-7 on its disjunct) is never
// unsat, whatever the phases conclude.
TEST(Verifier, KnownCounterexampleIsNeverUnsat) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, seed);
    data::VnnlibProperty p;
    p.num_inputs = 3;
    p.num_outputs = 2;
    data::InputBox box{{-1, -1, -1}, {1, 1, 1}};
    p.input_boxes = {box};
    Vec x0(3);
    for (int i = 0; i < 3; ++i) x0[i] = rng.uniform(-1, 1);
    const Vec y0 = nn::forward(net, x0);
    // y_0 - y_1 <= value at x0 + 1e-7: x0 satisfies it; most of the box may not.
    data::LinearAtom a{{-1.0, 1.0}, -(y0[0] - y0[1]) + 1e-7};
    // Negated so that x0 is the most extreme: -(y0 - y1) <= ... is the same as y0 - y1 >= value.
    p.unsafe_disjuncts = {{a}};
    verify::VerifyOptions o;
    o.time_limit_s = 20;
    o.attack_time_s = seed % 2 == 0 ? 0.0 : 3.0;
    const verify::Result r = verify::verifyProperty(net, p, o);
    EXPECT_NE(r.status, verify::Status::kUnsat) << r.reason;
  }
}

// Two boxes: the first safe, the second violated: sat, and the counterexample names box 1.
TEST(Verifier, EachBoxSeparatelyNotTheHull) {
  // y = relu(x0 - x1) + relu(x0 + x1) (twoReluToy); unsafe: y >= 1.5 (i.e. -y <= -1.5).
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p;
  p.num_inputs = 2;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{-1, -1}, {0.2, 1}}, data::InputBox{{0.7, -0.1}, {0.8, 0.1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -1.5}}};
  // Box 0: y <= 2 max(x0, |x1|)... on x0 <= 0.2, y = relu(x0-x1)+relu(x0+x1) <= 1.2 (x1 = +-1),
  // safe. Box 1: y = 2 x0 in [1.4, 1.6], violated for x0 >= 0.75.
  const verify::Result r = verify::verifyProperty(net, p, {});
  ASSERT_EQ(r.status, verify::Status::kSat) << r.reason;
  EXPECT_EQ(r.counterexample->box, 1);
  EXPECT_EQ(r.boxes[0].status, verify::Status::kUnsat);
  // The hull [-1, 0.8] x [-1, 1] would contain (0.8, 1): y = 1.8 - the same verdict, but
  // box 0 alone is proved safe, which the hull could not show.
  p.input_boxes.pop_back();
  EXPECT_EQ(verify::verifyProperty(net, p, {}).status, verify::Status::kUnsat);
}

TEST(Verifier, RejectsMismatchedShapes) {
  const nn::Network net = testnets::twoReluToy();
  data::VnnlibProperty p;
  p.num_inputs = 3;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{0, 0, 0}, {1, 1, 1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{1.0}, 0.0}}};
  try {
    verify::verifyProperty(net, p, {});
    FAIL() << "3 inputs accepted for a 2-input network";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
  p.num_inputs = 2;
  p.input_boxes = {data::InputBox{{0, 0}, {1, 1}}};
  p.num_outputs = 2;
  EXPECT_THROW(verify::verifyProperty(net, p, {}), Error);
}

// The witness check clips to the box, evaluates in float32 and double, and rejects a point whose
// float32 margin is negative.
TEST(Witness, ClipsAndChecksBothPrecisions) {
  const nn::Network net = testnets::twoReluToy();
  const verify::FloatNetwork net32(net);
  data::VnnlibProperty p;
  p.num_inputs = 2;
  p.num_outputs = 1;
  p.input_boxes = {data::InputBox{{0, 0}, {1, 1}}};
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -1.5}}};  // y >= 1.5
  // (2, 0) clips to (1, 0): y = 2, margin 0.5.
  const auto ce = verify::checkWitness(net, net32, p, 0, Vec((Vec(2) << 2.0, 0.0).finished()), "t");
  ASSERT_TRUE(ce.has_value());
  EXPECT_EQ(ce->x, (std::vector<double>{1.0, 0.0}));
  EXPECT_FLOAT_EQ(ce->y[0], 2.0f);
  EXPECT_DOUBLE_EQ(ce->margin_double, 0.5);
  // (0.5, 0): y = 1, margin -0.5: rejected.
  EXPECT_FALSE(verify::checkWitness(net, net32, p, 0, Vec((Vec(2) << 0.5, 0.0).finished()), "t"));
  // y >= 0.1 + 1e-8 at x0 = 0.05 (y = 0.1): margin -1e-8 in double, below -1e-9: rejected.
  p.unsafe_disjuncts = {{data::LinearAtom{{-1.0}, -(0.1 + 1e-8)}}};
  EXPECT_FALSE(verify::checkWitness(net, net32, p, 0, Vec((Vec(2) << 0.05, 0.0).finished()), "t"));
}

}  // namespace
}  // namespace nnmip
