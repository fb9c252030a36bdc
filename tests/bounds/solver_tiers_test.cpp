// LP and MILP tiers: toy literals, validity, order, exactness against activation-pattern
// enumeration, thread determinism, witness check, time-limit fallback.
#include <gtest/gtest.h>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "bounds/propagation.hpp"
#include "encode/bigm.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using bounds::Method;
using testnets::Vec;

bounds::BoundsResult run(const nn::Network& net, const Box& box, Method m, int threads = 1,
                         int chunk = 64, bool symbolic_seed = true) {
  bounds::BoundsOptions o;
  o.method = m;
  o.symbolic_seed = symbolic_seed;
  o.solver.threads = threads;
  o.solver.chunk_size = chunk;
  return bounds::computeBounds(net, box, o);
}

// Toy y = relu(x0 - x1) + relu(x0 + x1) on [-1,1]^2: interval 4, LP 3, MILP 2 (upper bound
// of the output), lower bound 0 for all of them.
TEST(SolverTiers, TwoReluToy) {
  const nn::Network net = testnets::twoReluToy();
  const Box box = Box::uniform(2, -1.0, 1.0);
  const auto lp = run(net, box, Method::kLp, 1, 64, /*symbolic_seed=*/false);
  EXPECT_NEAR(lp.bounds.layers[1].hi[0], 3.0, support::kMipTol);
  EXPECT_NEAR(lp.bounds.layers[1].lo[0], 0.0, support::kMipTol);
  EXPECT_EQ(lp.stats[1].lps, 2);
  EXPECT_EQ(lp.stats[0].lps, 0);  // layer 1 is exact by interval arithmetic
  const auto milp = run(net, box, Method::kMilp);
  EXPECT_NEAR(milp.bounds.layers[1].hi[0], 2.0, support::kMipTol);
  EXPECT_NEAR(milp.bounds.layers[1].lo[0], 0.0, support::kMipTol);
  EXPECT_EQ(milp.stats[1].milps, 2);
  EXPECT_EQ(milp.stats[1].failed, 0);
}

// True min/max of every pre-activation by enumerating activation patterns: the big-M LP with
// the binaries of all earlier layers fixed (one LP per pattern and sense).
encode::NetworkBounds bruteForce(const nn::Network& net, const Box& box) {
  const auto naive = bounds::computeNaive(net, box);
  encode::NetworkBounds out = bounds::computeInterval(net, box);  // layer 0 is exact
  for (int k = 1; k < net.numLayers(); ++k) {
    mip::Model m;
    const auto in = encode::addInputs(m, box);
    encode::EncodeOptions o;
    o.relax = true;
    o.num_layers = k + 1;
    o.last_activation = false;
    const auto enc = encode::encodeNetwork(m, net, in, naive, o);
    std::vector<mip::Var> zs;
    for (int l = 0; l < k; ++l) {
      for (const auto& nv : enc.layers[static_cast<size_t>(l)].neurons) {
        if (nv.on.valid()) zs.push_back(nv.on);
      }
    }
    EXPECT_LE(zs.size(), 12u);
    auto lp = mip::makeLpSession(m);
    const int n = net.layer(k).outputSize();
    Vec lo = Vec::Constant(n, INFINITY);
    Vec hi = Vec::Constant(n, -INFINITY);
    for (uint32_t pattern = 0; pattern < (1u << zs.size()); ++pattern) {
      for (size_t i = 0; i < zs.size(); ++i) {
        const double v = (pattern >> i) & 1u;
        lp->setVarBounds(zs[i], v, v);
      }
      for (int j = 0; j < n; ++j) {
        const mip::Term obj[] = {{enc.neuron(k, j).pre, 1.0}};
        lp->setObjective(mip::Sense::kMinimize, obj);
        const mip::LpResult rmin = lp->solve();
        if (rmin.termination == mip::Termination::kInfeasible) break;  // pattern impossible
        EXPECT_TRUE(rmin.optimal());
        lo[j] = std::min(lo[j], *rmin.objective);
        lp->setObjective(mip::Sense::kMaximize, obj);
        const mip::LpResult rmax = lp->solve();
        EXPECT_TRUE(rmax.optimal());
        hi[j] = std::max(hi[j], *rmax.objective);
      }
    }
    out.layers[static_cast<size_t>(k)] = {lo, hi};
  }
  return out;
}

TEST(SolverTiers, MilpEqualsActivationPatternEnumeration) {
  const std::vector<std::vector<int>> shapes = {{2, 6, 6, 1}, {3, 4, 4, 4, 2}, {2, 8, 3}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      SCOPED_TRACE(testing::Message() << "shape " << s << " seed " << seed);
      const nn::Network net = testnets::randomNet(shapes[s], 100 * s + seed, seed == 2);
      const Box box = Box::uniform(shapes[s][0], -1.0, 1.0);
      const auto exact = bruteForce(net, box);
      const auto milp = run(net, box, Method::kMilp);
      for (int l = 0; l < net.numLayers(); ++l) {
        for (int j = 0; j < net.layer(l).outputSize(); ++j) {
          EXPECT_NEAR(milp.bounds.layers[l].lo[j], exact.layers[l].lo[j], support::kMipTol)
              << "layer " << l << " neuron " << j;
          EXPECT_NEAR(milp.bounds.layers[l].hi[j], exact.layers[l].hi[j], support::kMipTol)
              << "layer " << l << " neuron " << j;
        }
      }
    }
  }
}

TEST(SolverTiers, EveryTierValidAndOrdered) {
  const std::vector<std::vector<int>> shapes = {{3, 8, 8, 2}, {4, 6, 6, 6, 2}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      SCOPED_TRACE(testing::Message() << "shape " << s << " seed " << seed);
      const nn::Network net = testnets::randomNet(shapes[s], 7 * seed + s, seed == 2);
      const Box box = Box::uniform(shapes[s][0], 0.0, 1.0);
      std::vector<encode::NetworkBounds> tiers;
      for (Method m :
           {Method::kNaive, Method::kInterval, Method::kSymbolic, Method::kLp, Method::kMilp}) {
        tiers.push_back(run(net, box, m).bounds);
      }
      const auto pts = testnets::samplePoints(net, box, seed, 2000, 200, 3);
      for (size_t t = 0; t < tiers.size(); ++t) {
        SCOPED_TRACE(tiers[t].method);
        EXPECT_LE(testnets::maxViolation(net, tiers[t], pts), 1e-9);
        if (t > 0) {
          EXPECT_TRUE(bounds::containedIn(tiers[t], tiers[t - 1], 1e-7));
        }
      }
    }
  }
}

TEST(SolverTiers, ThreadsGiveIdenticalBounds) {
  const nn::Network net = testnets::randomNet({4, 10, 10, 3}, 42);
  const Box box = Box::uniform(4, 0.0, 1.0);
  for (Method m : {Method::kLp, Method::kMilp}) {
    SCOPED_TRACE(bounds::methodName(m));
    const auto one = run(net, box, m, 1, 5);
    const auto two = run(net, box, m, 2, 5);
    for (int l = 0; l < net.numLayers(); ++l) {
      EXPECT_EQ(one.bounds.layers[l].lo, two.bounds.layers[l].lo);
      EXPECT_EQ(one.bounds.layers[l].hi, two.bounds.layers[l].hi);
    }
    EXPECT_EQ(one.stats[1].lps, two.stats[1].lps);
  }
}

// Maximise an output over the MILP built with milp-tier bounds: the optimum equals the tier's
// upper bound of that output, and the witness's forward pass reproduces it.
TEST(SolverTiers, MilpWitnessReproducesObjective) {
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE(seed);
    const nn::Network net = testnets::randomNet({4, 6, 6, 3}, 900 + seed);
    const Box box = Box::uniform(4, -1.0, 1.0);
    const auto milp = run(net, box, Method::kMilp);
    mip::Model m;
    const auto enc = encode::encodeNetwork(m, net, encode::addInputs(m, box), milp.bounds);
    m.setObjective(mip::Sense::kMaximize, {{enc.outputs[1], 1.0}});
    mip::MipParams p;
    p.start = encode::mipStartFromInput(m, enc, box.center());
    const mip::MipResult r = mip::makeMipSolver("cbc")->solve(m, p);
    ASSERT_EQ(r.termination, mip::Termination::kOptimal);
    Vec x(4);
    for (int i = 0; i < 4; ++i) x[i] = r.values[static_cast<size_t>(enc.inputs.x[i].id)];
    EXPECT_NEAR(nn::forward(net, x)[1], *r.objective, support::kMipTol);
    EXPECT_NEAR(milp.bounds.layers[2].hi[1], *r.objective, support::kMipTol);
  }
}

TEST(SolverTiers, ZeroTimeBudgetFallsBackToValidBounds) {
  const nn::Network net = testnets::randomNet({4, 10, 10, 2}, 3);
  const Box box = Box::uniform(4, 0.0, 1.0);
  bounds::BoundsOptions o;
  o.method = Method::kMilp;
  o.solver.time_limit_s = 0.0;
  const auto r = bounds::computeBounds(net, box, o);
  const auto sym = bounds::computeSymbolic(net, box);
  for (int l = 0; l < net.numLayers(); ++l) {
    EXPECT_EQ(r.bounds.layers[l].lo, sym.layers[l].lo);
    EXPECT_EQ(r.bounds.layers[l].hi, sym.layers[l].hi);
  }
  // A stop request has the same effect.
  Callbacks cb;
  cb.should_stop = [] { return true; };
  o.solver.time_limit_s.reset();
  const auto stopped = bounds::computeBounds(net, box, o, cb);
  EXPECT_EQ(stopped.bounds.layers[2].hi, sym.layers[2].hi);
}

}  // namespace
}  // namespace nnmip
