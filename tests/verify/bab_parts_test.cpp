// The parts of the ReLU-split branch and bound on their own: the branching rules
// (verify/bab_branching.hpp) on a network whose scores are worked out by hand, and the child
// bounds (verify/bab_bounding.hpp) against the exact largest margin over each child's domain
// (tests/support/pattern_oracle.hpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "bounds/bounder.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "encode/tiny_nets.hpp"
#include "verify/bab_bounding.hpp"
#include "verify/bab_branching.hpp"
#include "verify/bab_node.hpp"
#include "verify/brute_force.hpp"

namespace nnmip {
namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using testverify::kInf;

//   x0 --(1, bias 0.5)--> relu h0 --( 1)--+
//   x1 --(1, bias 0.1)--> relu h1 --( 2)--+--> y = h0 + 2 h1 - h2,   x in [-1, 1]^3
//   x2 --(1, bias 0  )--> relu h2 --(-1)--+
// Pre-activation ranges [-0.5, 1.5], [-0.9, 1.1], [-1, 1]: all three unstable. Every neuron
// reads its own input, so a bound is a sum of one term per neuron.
nn::Network separableNet() {
  nn::DenseLayer hidden;
  hidden.weight = Mat::Identity(3, 3);
  hidden.bias = (Vec(3) << 0.5, 0.1, 0.0).finished();
  hidden.activation = nn::Activation::kRelu;
  nn::DenseLayer out;
  out.weight = (Mat(1, 3) << 1.0, 2.0, -1.0).finished();
  out.bias = Vec::Zero(1);
  out.activation = nn::Activation::kIdentity;
  return nn::Network({hidden, out});
}

struct Fixture {
  nn::Network net = separableNet();
  encode::Box box{Vec::Constant(3, -1.0), Vec::Constant(3, 1.0)};
  // Unsafe: y <= -0.1 (row y + 0.1; margin -0.1 - y).
  std::vector<verify::Atoms> disjuncts{{data::LinearAtom{{1.0}, -0.1}}};
  verify::BabOptions opt;
  bounds::NetworkBounds root = intervalBounds(net, box);

  static bounds::NetworkBounds intervalBounds(const nn::Network& net, const encode::Box& box) {
    bounds::BoundsOptions bo;
    bo.method = bounds::Method::kInterval;  // exact for the hidden layer
    return bounds::computeBounds(net, box, bo).bounds;
  }
};

// By hand, per neuron (coefficient v of the row on h, bias b, range [l, u], chord slope
// s = u / (u - l), intercept -l s): h0 (v 1, alpha 1) adds min a0 = -0.5; h1 (v 2, alpha 1) adds
// 2 min a1 = -1.8; h2 (v -1, upper line 0.5 a2 + 0.5) adds -1. Row bound -3.3 + 0.1 = -3.2.
// BaBSR |max(b v (s - 1), b v s) + min(v, 0) (-l s)|: h0 0.5 * 0.75 = 0.375, h1 0.1 * 2 * 0.55
// = 0.11, h2 |-0.5| = 0.5; intercept scores 0, 0, 0.5.
TEST(BabBranching, ScoresOfAHandMadeNetwork) {
  Fixture f;
  const verify::bab::Context c(f.net, f.box, f.disjuncts, f.opt);
  verify::bab::Node node;
  node.bounds = f.root.layers;
  node.open = {0};
  node.ub = {kInf};
  const verify::bab::SpecRows rows = verify::bab::specRows(c.spec, node.open);
  const verify::bab::Crown cr = verify::bab::crownPass(c, node.bounds, rows.C, rows.c0, true);
  ASSERT_EQ(cr.lower.size(), 1);
  EXPECT_NEAR(cr.lower[0], -3.2, 1e-12);
  EXPECT_EQ(verify::bab::countUnstable(c, node.bounds), 3);
  const std::vector<verify::bab::Candidate> cands = verify::bab::scoreNeurons(c, node, cr);
  ASSERT_EQ(cands.size(), 3u);
  const double babsr[] = {0.375, 0.11, 0.5};
  const double intercept[] = {0.0, 0.0, 0.5};
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(cands[static_cast<size_t>(j)].id, (nn::NeuronId{0, j}));
    EXPECT_NEAR(cands[static_cast<size_t>(j)].babsr, babsr[j], 1e-12);
    EXPECT_NEAR(cands[static_cast<size_t>(j)].intercept, intercept[j], 1e-12);
  }
}

// BaBSR takes h2 (score 0.5). FSB bounds both children of h2, h0 and h1 with the neuron clamped:
// the inactive child drops the neuron's term (row bounds -2.2, -2.7, -1.4, margin bounds 2.2,
// 2.7, 1.4), the active child gains nothing over the node's own margin bound 3, so the worse
// children tie at 3 and the smaller sum (h1: 1.4 + 3) wins.
TEST(BabBranching, BabsrAndFsbChooseByHand) {
  Fixture f;
  for (const verify::Branching rule : {verify::Branching::kBabsr, verify::Branching::kFsb}) {
    SCOPED_TRACE(verify::branchingName(rule));
    f.opt.branching = rule;
    const verify::bab::Context c(f.net, f.box, f.disjuncts, f.opt);
    verify::bab::Node node;
    node.bounds = f.root.layers;
    node.open = {0};
    node.ub = {3.0};
    const verify::bab::SpecRows rows = verify::bab::specRows(c.spec, node.open);
    const verify::bab::Crown cr = verify::bab::crownPass(c, node.bounds, rows.C, rows.c0, true);
    const nn::NeuronId id = verify::bab::branchRule(rule)(c, node, cr, rows);
    const nn::NeuronId expected =
        rule == verify::Branching::kBabsr ? nn::NeuronId{0, 2} : nn::NeuronId{0, 1};
    EXPECT_EQ(id, expected) << id.layer << "/" << id.index;
  }
}

TEST(BabBranching, NoUnstableNeuronIsAnInternalError) {
  Fixture f;
  const verify::bab::Context c(f.net, f.box, f.disjuncts, f.opt);
  verify::bab::Node node;
  node.bounds = f.root.layers;
  node.bounds[0].lo.setZero();  // every neuron stably active
  node.open = {0};
  node.ub = {kInf};
  const verify::bab::SpecRows rows = verify::bab::specRows(c.spec, node.open);
  const verify::bab::Crown cr = verify::bab::crownPass(c, node.bounds, rows.C, rows.c0, true);
  EXPECT_THROW(verify::bab::branchFsb(c, node, cr, rows), Error);
  EXPECT_THROW(verify::bab::branchBabsr(c, node, cr, rows), Error);
}

// The largest margin of `atoms` over the box and the splits (-inf when no input meets them).
double trueMargin(const nn::Network& net, const data::InputBox& box,
                  const std::map<nn::NeuronId, encode::Phase>& splits, const verify::Atoms& atoms) {
  const std::vector<verify::Atoms> one{atoms};
  testsupport::Oracle o{net, box, one, {}, -kInf, 0, &splits};
  const int n = net.inputSize();
  o.dfs(0, testsupport::Affine{Mat::Identity(n, n), Vec::Zero(n)});
  return o.best;
}

// Three levels of children on random tiny networks and properties (both rules, beta-CROWN and
// the alpha tier, with and without the node LP): an empty child has no input; a disjunct a
// child closes has a negative true margin over the child's domain; an open one's bound is at
// least that margin and at most the parent's bound.
TEST(BabBounding, ChildBoundsHoldOverTheChildsDomain) {
  long children = 0, empty = 0, closed = 0;
  for (uint64_t seed = 40; seed < 64; ++seed) {
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const int n_in = 2 + static_cast<int>(rng.below(2));
    const nn::Network net = testnets::randomNet({n_in, 5, 5, 2}, seed * 13 + 1);
    data::VnnlibProperty p = testverify::randomProperty(net, rng);
    const data::InputBox& ib = p.input_boxes[0];
    const encode::Box box(ib.lo, ib.hi);
    bounds::BoundsOptions bo;
    bo.method = bounds::Method::kSymbolic;
    const bounds::NetworkBounds root = bounds::computeBounds(net, box, bo).bounds;
    verify::BabOptions opt;
    opt.branching = seed % 2 == 0 ? verify::Branching::kFsb : verify::Branching::kBabsr;
    opt.beta = seed % 3 != 0;
    opt.lp_max_unstable = seed % 4 == 0 ? 4 : -1;
    const verify::bab::Context c(net, box, p.unsafe_disjuncts, opt);
    std::vector<verify::bab::NodePtr> level;
    level.push_back(std::make_unique<verify::bab::Node>());
    level.back()->bounds = root.layers;
    for (int d = 0; d < static_cast<int>(p.unsafe_disjuncts.size()); ++d) {
      level.back()->open.push_back(d);
      level.back()->ub.push_back(kInf);
    }
    for (int depth = 0; depth < 3; ++depth) {
      std::vector<verify::bab::NodePtr> next;
      for (const verify::bab::NodePtr& node : level) {
        if (verify::bab::countUnstable(c, node->bounds) == 0) continue;
        const verify::bab::SpecRows rows = verify::bab::specRows(c.spec, node->open);
        const verify::bab::Crown cr =
            verify::bab::crownPass(c, node->bounds, rows.C, rows.c0, true);
        const nn::NeuronId id = verify::bab::branchRule(opt.branching)(c, *node, cr, rows);
        for (const encode::Phase phase : {encode::Phase::kInactive, encode::Phase::kActive}) {
          verify::bab::ChildResult ch = verify::bab::boundChild(c, *node, id, phase);
          ++children;
          const std::map<nn::NeuronId, encode::Phase>& splits = ch.node->splits;
          ASSERT_EQ(splits.size(), node->splits.size() + 1);
          if (ch.empty) {
            ++empty;
            for (int d : node->open) {
              EXPECT_EQ(trueMargin(net, ib, splits, p.unsafe_disjuncts[static_cast<size_t>(d)]),
                        -kInf)
                  << "child called empty";
            }
            continue;
          }
          size_t k = 0;  // position in the child's open list
          for (size_t q = 0; q < node->open.size(); ++q) {
            const int d = node->open[q];
            const double truth =
                trueMargin(net, ib, splits, p.unsafe_disjuncts[static_cast<size_t>(d)]);
            if (k < ch.node->open.size() && ch.node->open[k] == d) {
              EXPECT_GE(ch.node->ub[k], truth - 1e-6) << "disjunct " << d;
              EXPECT_LE(ch.node->ub[k], node->ub[q]) << "disjunct " << d;
              ++k;
            } else {
              ++closed;
              EXPECT_LT(truth, 0.0) << "disjunct " << d << " closed at the child";
            }
          }
          EXPECT_EQ(k, ch.node->open.size());
          if (!ch.node->open.empty()) next.push_back(std::move(ch.node));
        }
      }
      level = std::move(next);
    }
  }
  std::printf("children %ld, empty %ld, disjuncts closed at a child %ld\n", children, empty,
              closed);
  EXPECT_GT(children, 90);
  EXPECT_GT(closed, 5);
}

}  // namespace
}  // namespace nnmip
