// Branch and bound over ReLU splits (verify/bab.hpp) against brute force on tiny networks
// (tests/verify/brute_force.hpp), and inside the verifier with the MILP switched off.
#include "verify/bab.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "bounds/bounder.hpp"
#include "core/rng.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"
#include "verify/brute_force.hpp"
#include "verify/verifier.hpp"
#include "verify/witness.hpp"

namespace nnmip {
namespace {

using testverify::bruteForceMargin;
using testverify::kInf;
using testverify::randomProperty;
using Vec = Eigen::VectorXd;

struct BabTally {
  int closed = 0, counterexample = 0, other = 0;
};

// runBab on one box of a random property, seeded with the symbolic bounds and no root bound on
// the margins; candidates go through the library witness check.
void checkBabAgainstBruteForce(uint64_t seed, const verify::BabOptions& options, BabTally& t,
                               long* nodes = nullptr) {
  SCOPED_TRACE(seed);
  Rng rng(seed);
  const int n_in = 2 + static_cast<int>(rng.below(3));
  const int h1 = 4 + static_cast<int>(rng.below(3));
  const int h2 = 4 + static_cast<int>(rng.below(3));
  const int n_out = 2 + static_cast<int>(rng.below(2));
  const nn::Network net = testnets::randomNet({n_in, h1, h2, n_out}, seed * 31 + 7);
  data::VnnlibProperty p = randomProperty(net, rng);
  p.input_boxes.resize(1);
  const double truth = bruteForceMargin(net, p);
  const data::InputBox& ib = p.input_boxes[0];
  const encode::Box box(ib.lo, ib.hi);
  bounds::BoundsOptions bo;
  bo.method = bounds::Method::kSymbolic;
  const bounds::BoundsResult root = bounds::computeBounds(net, box, bo);
  const verify::FloatNetwork net32(net);
  std::optional<verify::Counterexample> ce;
  const verify::CandidateCheck check = [&](const Vec& x) {
    ce = verify::checkWitness(net, net32, p, 0, x, "bab");
    return ce.has_value();
  };
  const std::vector<double> root_upper(p.unsafe_disjuncts.size(), kInf);
  const verify::BabResult r =
      verify::runBab(net, box, root.bounds, p.unsafe_disjuncts, root_upper, options, check);
  if (nodes) *nodes += r.stats.nodes;
  switch (r.outcome) {
    case verify::BabOutcome::kClosed:
      ++t.closed;
      EXPECT_LT(truth, 0.0) << "closed, but brute force finds margin " << truth;
      break;
    case verify::BabOutcome::kCounterexample: {
      ++t.counterexample;
      ASSERT_TRUE(ce.has_value());
      EXPECT_GE(truth, -1e-6) << "counterexample, but brute force says " << truth;
      const Vec y = nn::forward(net, Eigen::Map<const Vec>(ce->x.data(), n_in));
      EXPECT_GE(verify::disjunctMargin(p.unsafe_disjuncts[static_cast<size_t>(ce->disjunct)], y),
                -1e-9);
      break;
    }
    default: ++t.other; break;
  }
  // A disjunct reported closed has a negative true margin (brute force per disjunct).
  for (size_t d = 0; d < p.unsafe_disjuncts.size(); ++d) {
    if (!r.closed[d]) continue;
    data::VnnlibProperty one = p;
    one.unsafe_disjuncts = {p.unsafe_disjuncts[d]};
    EXPECT_LT(bruteForceMargin(net, one), 0.0) << "disjunct " << d << " reported closed";
  }
  // Complete on these nets (leaves with every neuron split get the exact node LP).
  if (truth > 1e-3) {
    EXPECT_EQ(r.outcome, verify::BabOutcome::kCounterexample)
        << "truth " << truth << ": " << verify::babOutcomeName(r.outcome) << " " << r.detail;
  }
  if (truth < -1e-3) {
    EXPECT_EQ(r.outcome, verify::BabOutcome::kClosed)
        << "truth " << truth << ": " << verify::babOutcomeName(r.outcome) << " " << r.detail;
  }
}

TEST(Bab, AgreesWithBruteForceBetaFsb) {
  BabTally t;
  verify::BabOptions o;
  o.threads = 2;
  o.lp_max_unstable = 0;  // the beta-CROWN bounds decide until nothing is left to split
  for (uint64_t seed = 100; seed < 250; ++seed) checkBabAgainstBruteForce(seed, o, t);
  std::printf("beta, fsb: closed %d counterexample %d other %d\n", t.closed, t.counterexample,
              t.other);
  EXPECT_GT(t.closed, 30);
  EXPECT_GT(t.counterexample, 30);
}

// The children's beta-CROWN ascent starting from the parent's slopes and multipliers: the same
// verdicts as cold starts (both agree with brute force) in fewer nodes, one thread each.
TEST(Bab, WarmStartAgreesWithColdInFewerNodes) {
  long nodes[2] = {0, 0};
  for (int warm = 0; warm < 2; ++warm) {
    BabTally t;
    verify::BabOptions o;
    o.threads = 1;
    o.lp_max_unstable = 0;
    o.spec_iterations = 5;
    o.warm_start = warm == 1;
    for (uint64_t seed = 500; seed < 600; ++seed)
      checkBabAgainstBruteForce(seed, o, t, &nodes[warm]);
    std::printf("warm start %d: closed %d counterexample %d other %d, %ld nodes\n", warm, t.closed,
                t.counterexample, t.other, nodes[warm]);
    EXPECT_GT(t.closed, 20);
  }
  EXPECT_LT(nodes[1], nodes[0]);
}

TEST(Bab, AgreesWithBruteForceAlphaBabsrDepthFirst) {
  BabTally t;
  verify::BabOptions o;
  o.threads = 1;
  o.beta = false;
  o.branching = verify::Branching::kBabsr;
  o.depth_first = true;
  o.lp_max_unstable = 2;
  for (uint64_t seed = 300; seed < 400; ++seed) checkBabAgainstBruteForce(seed, o, t);
  std::printf("alpha, babsr, depth-first: closed %d counterexample %d other %d\n", t.closed,
              t.counterexample, t.other);
  EXPECT_GT(t.closed, 20);
  EXPECT_GT(t.counterexample, 20);
}

// The verifier with the MILP off: BaB is what closes what the root bounds and the per-disjunct
// LPs leave open, and the verdicts still agree with brute force.
TEST(Bab, VerifierWithoutMilpAgreesWithBruteForce) {
  testverify::Tally t;
  verify::VerifyOptions o;
  o.use_milp = false;
  o.attack_time_s = 0.0;  // counterexamples from the search's points only
  testverify::checkAgainstBruteForce(100, 7000, o, t);
  std::printf("bab without milp: sat %d unsat %d unknown %d timeout %d (brute-force sat %d)\n",
              t.sat, t.unsat, t.unknown, t.timeout, t.truth_sat);
  EXPECT_GT(t.unsat, 20);
  EXPECT_GT(t.sat, 15);
}

TEST(Bab, ClosesWhatTheLpCannot) {
  int lp_open = 0;
  int bab_closed = 0;
  for (uint64_t seed = 9000; seed < 9150 && bab_closed < 8; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const nn::Network net = testnets::randomNet({3, 6, 6, 2}, seed);
    data::VnnlibProperty p = randomProperty(net, rng);
    p.input_boxes.resize(1);
    const double truth = bruteForceMargin(net, p);
    if (!(truth < -1e-3)) continue;
    verify::VerifyOptions o;
    o.use_milp = false;
    o.use_bab = false;
    o.time_limit_s = 20;
    const verify::Result lp_only = verify::verifyProperty(net, p, o);
    EXPECT_NE(lp_only.status, verify::Status::kSat);
    if (lp_only.status == verify::Status::kUnsat) continue;
    ++lp_open;
    o.use_bab = true;
    const verify::Result with_bab = verify::verifyProperty(net, p, o);
    EXPECT_EQ(with_bab.status, verify::Status::kUnsat) << with_bab.reason;
    if (with_bab.status == verify::Status::kUnsat) {
      ++bab_closed;
      bool by_bab = false;
      for (const verify::DisjunctReport& d : with_bab.boxes[0].disjuncts) {
        by_bab |= d.closed_by == "bab";
      }
      EXPECT_TRUE(by_bab);
    }
  }
  std::printf("left open by the LP: %d, closed by bab: %d\n", lp_open, bab_closed);
  EXPECT_GE(bab_closed, 5);
}

// A property with a known counterexample (margin 1e-7 at x0) is never closed by the search, and
// the search's own points find a counterexample (no attack, no centre check here).
TEST(Bab, KnownCounterexampleIsNeverClosed) {
  int found = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, seed + 77);
    data::VnnlibProperty p;
    p.num_inputs = 3;
    p.num_outputs = 2;
    p.input_boxes = {data::InputBox{{-1, -1, -1}, {1, 1, 1}}};
    Vec x0(3);
    for (int i = 0; i < 3; ++i) x0[i] = rng.uniform(-1, 1);
    const Vec y0 = nn::forward(net, x0);
    // y_0 - y_1 >= (value at x0) - 1e-7, written as -(y_0 - y_1) <= -(value) + 1e-7.
    p.unsafe_disjuncts = {{data::LinearAtom{{-1.0, 1.0}, -(y0[0] - y0[1]) + 1e-7}}};
    const encode::Box box(p.input_boxes[0].lo, p.input_boxes[0].hi);
    bounds::BoundsOptions bo;
    bo.method = bounds::Method::kSymbolic;
    const bounds::BoundsResult root = bounds::computeBounds(net, box, bo);
    const verify::FloatNetwork net32(net);
    verify::BabOptions o;
    o.threads = 1 + static_cast<int>(seed % 2);
    const verify::BabResult r = verify::runBab(
        net, box, root.bounds, p.unsafe_disjuncts, {kInf}, o,
        [&](const Vec& x) { return verify::checkWitness(net, net32, p, 0, x, "bab").has_value(); });
    EXPECT_NE(r.outcome, verify::BabOutcome::kClosed);
    EXPECT_FALSE(r.closed[0]);
    found += r.outcome == verify::BabOutcome::kCounterexample;
  }
  std::printf("counterexamples found by the search: %d of 40\n", found);
  EXPECT_GT(found, 30);
}

// An exhausted time limit or a stop request never closes anything.
TEST(Bab, StopRequestLeavesDisjunctsOpen) {
  const nn::Network net = testnets::randomNet({3, 6, 6, 2}, 5);
  const encode::Box box(Vec::Constant(3, -1.0), Vec::Constant(3, 1.0));
  bounds::BoundsOptions bo;
  bo.method = bounds::Method::kSymbolic;
  const bounds::BoundsResult root = bounds::computeBounds(net, box, bo);
  // y_0 - y_1 >= -1e6: true everywhere, so nothing can close it.
  const std::vector<std::vector<data::LinearAtom>> disjuncts = {
      {data::LinearAtom{{-1.0, 1.0}, 1e6}}};
  Callbacks cb;
  cb.should_stop = [] { return true; };
  const verify::BabResult r = verify::runBab(
      net, box, root.bounds, disjuncts, {kInf}, {}, [](const Vec&) { return false; }, cb);
  EXPECT_EQ(r.outcome, verify::BabOutcome::kStopped);
  EXPECT_FALSE(r.closed[0]);
}

// A queue over its memory budget ends the search as a limit, as the node budget does: nothing
// closes, the detail names the budget. The budget is max_queue_mb, or half of
// NNMIP_MEMORY_LIMIT_MB when that is smaller.
TEST(Bab, QueueMemoryBudgetEndsTheSearchAsALimit) {
  const nn::Network net = testnets::randomNet({5, 20, 20, 2}, 5);
  const encode::Box box(Vec::Constant(5, -1.0), Vec::Constant(5, 1.0));
  bounds::BoundsOptions bo;
  bo.method = bounds::Method::kSymbolic;
  const bounds::BoundsResult root = bounds::computeBounds(net, box, bo);
  // y_0 - y_1 >= -1e6: true everywhere, so nothing can close it and the queue only grows.
  const std::vector<std::vector<data::LinearAtom>> disjuncts = {
      {data::LinearAtom{{-1.0, 1.0}, 1e6}}};
  auto search = [&](double max_queue_mb) {
    verify::BabOptions o;
    o.threads = 1;
    o.max_nodes = 20000;
    o.max_queue_mb = max_queue_mb;
    return verify::runBab(net, box, root.bounds, disjuncts, {kInf}, o,
                          [](const Vec&) { return false; });
  };
  const verify::BabResult small = search(0.004);  // 4 KiB: a few nodes
  EXPECT_EQ(small.outcome, verify::BabOutcome::kLimit);
  EXPECT_NE(small.detail.find("queue budget"), std::string::npos) << small.detail;
  EXPECT_FALSE(small.closed[0]);
  EXPECT_GT(small.stats.peak_queue_bytes, 4096u);
  EXPECT_LT(small.stats.nodes, 40);

  ::setenv("NNMIP_MEMORY_LIMIT_MB", "1", 1);  // the queue may take 512 KiB of it
  const verify::BabResult by_memory = search(4096.0);
  ::unsetenv("NNMIP_MEMORY_LIMIT_MB");
  EXPECT_EQ(by_memory.outcome, verify::BabOutcome::kLimit);
  EXPECT_NE(by_memory.detail.find("queue budget"), std::string::npos) << by_memory.detail;
  EXPECT_GT(by_memory.stats.peak_queue_bytes, 512u * 1024u);
  EXPECT_LT(by_memory.stats.nodes, 20000);
}

}  // namespace
}  // namespace nnmip
