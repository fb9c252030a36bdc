// MILP refinement of one layer (bounds/refine.hpp): exact against the MILP tier (itself checked
// against activation-pattern enumeration in solver_tiers_test), valid on sampled points under
// tiny time limits, and the side rule (stable neurons end at exactly 0).
#include <gtest/gtest.h>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "bounds/refine.hpp"
#include "core/error.hpp"
#include "encode/compact.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"

namespace nnmip {
namespace {

using bounds::Box;

bounds::NetworkBounds tier(const nn::Network& net, const Box& box, bounds::Method m) {
  bounds::BoundsOptions o;
  o.method = m;
  return bounds::computeBounds(net, box, o).bounds;
}

std::vector<int> allNeurons(const nn::Network& net, int k) {
  std::vector<int> v(static_cast<size_t>(net.layer(k).outputSize()));
  for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<int>(j);
  return v;
}

// With exact earlier layers and no time limit, refining layer k gives the exact range of every
// neuron that stays unstable; a neuron the exact bounds call stable is proved stable, with its
// proving side at exactly 0 and the range still containing the exact one. The same with the
// two model forms raced per layer (RefineForm::kRace).
TEST(Refine, ExactAgainstMilpTier) {
  const std::vector<std::vector<int>> shapes = {{2, 6, 6, 1}, {3, 5, 5, 5, 2}, {4, 8, 8, 2}};
  int stabilized = 0;
  int unstable_checked = 0;
  int raced = 0;
  for (const bool race : {false, true}) {
    for (size_t s = 0; s < shapes.size(); ++s) {
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        SCOPED_TRACE(testing::Message() << "shape " << s << " seed " << seed << " race " << race);
        const nn::Network net = testnets::randomNet(shapes[s], 31 * s + seed);
        const Box box = Box::uniform(shapes[s][0], -1.0, 1.0);
        const bounds::NetworkBounds exact = tier(net, box, bounds::Method::kMilp);
        const bounds::NetworkBounds loose = tier(net, box, bounds::Method::kInterval);
        for (int k = 1; k + 1 < net.numLayers(); ++k) {
          bounds::NetworkBounds b = exact;
          b.layers[static_cast<size_t>(k)] = loose.layers[static_cast<size_t>(k)];
          const bounds::LayerBounds before = b.layers[static_cast<size_t>(k)];
          bounds::RefineOptions ro;
          ro.per_solve_s = 30.0;
          ro.reference = box.center();
          ro.form = race ? bounds::RefineForm::kRace : bounds::RefineForm::kComposed;
          ro.threads = race ? 2 : 1;
          const bounds::RefineStats st =
              bounds::refineLayerMilp(net, encode::Domain(box), b, k, allNeurons(net, k), ro);
          EXPECT_EQ(st.failed, 0);
          EXPECT_FALSE(st.empty);
          raced += race && st.solves > 0;
          const bounds::LayerBounds& r = b.layers[static_cast<size_t>(k)];
          const bounds::LayerBounds& e = exact.layers[static_cast<size_t>(k)];
          for (int j = 0; j < net.layer(k).outputSize(); ++j) {
            SCOPED_TRACE(testing::Message() << "layer " << k << " neuron " << j);
            if (!(before.lo[j] < 0 && before.hi[j] > 0)) {  // stable already: untouched
              EXPECT_EQ(r.lo[j], before.lo[j]);
              EXPECT_EQ(r.hi[j], before.hi[j]);
              continue;
            }
            EXPECT_LE(r.lo[j], e.lo[j] + support::kMipTol);
            EXPECT_GE(r.hi[j], e.hi[j] - support::kMipTol);
            const bool exact_stable = e.lo[j] >= 0 || e.hi[j] <= 0;
            const bool refined_stable = r.lo[j] >= 0 || r.hi[j] <= 0;
            EXPECT_EQ(refined_stable, exact_stable);
            if (exact_stable) {
              ++stabilized;
              EXPECT_TRUE(r.lo[j] == 0.0 || r.hi[j] == 0.0);
            } else {
              ++unstable_checked;
              EXPECT_NEAR(r.lo[j], e.lo[j], support::kMipTol);
              EXPECT_NEAR(r.hi[j], e.hi[j], support::kMipTol);
            }
          }
        }
      }
    }
  }
  // The cases exercise both outcomes.
  EXPECT_GE(stabilized, 10);
  EXPECT_GE(unstable_checked, 20);
  EXPECT_GE(raced, 5);
}

// Under per-solve limits far too short to finish, every bound stays valid on sampled points
// and never looser than before.
TEST(Refine, ValidUnderTinyLimits) {
  const nn::Network net = testnets::randomNet({6, 24, 24, 24, 3}, 5);
  const Box box = Box::uniform(6, 0.0, 1.0);
  const std::vector<testnets::Vec> pts = testnets::samplePoints(net, box, 9, 300, 100, 8);
  for (const bool race : {false, true}) {
    SCOPED_TRACE(testing::Message() << "race " << race);
    bounds::NetworkBounds b = tier(net, box, bounds::Method::kSymbolic);
    for (int k = 1; k + 1 < net.numLayers(); ++k) {
      const bounds::LayerBounds before = b.layers[static_cast<size_t>(k)];
      bounds::RefineOptions ro;
      ro.per_solve_s = 0.01;
      ro.threads = 2;
      ro.form = race ? bounds::RefineForm::kRace : bounds::RefineForm::kComposed;
      bounds::refineLayerMilp(net, encode::Domain(box), b, k, allNeurons(net, k), ro);
      const bounds::LayerBounds& r = b.layers[static_cast<size_t>(k)];
      EXPECT_TRUE(((r.lo - before.lo).array() >= 0).all());
      EXPECT_TRUE(((before.hi - r.hi).array() >= 0).all());
    }
    EXPECT_LE(testnets::maxViolation(net, b, pts), support::kMipTol);
  }
}

// Solves that prove nothing raise the per-solve limit (doubling, up to max_per_solve_s) before
// the layer is given up; solves that succeed leave it alone.
TEST(Refine, PerSolveLimitRisesAfterFailuresInARow) {
  const nn::Network net = testnets::randomNet({6, 24, 24, 24, 3}, 5);
  const Box box = Box::uniform(6, 0.0, 1.0);
  const std::vector<testnets::Vec> pts = testnets::samplePoints(net, box, 9, 300, 100, 8);
  const bounds::NetworkBounds sym = tier(net, box, bounds::Method::kSymbolic);
  const int k = 2;
  std::vector<int> neurons = bounds::refineOrder(net, sym, k);
  ASSERT_GE(neurons.size(), 6u);
  neurons.resize(6);
  bounds::RefineOptions ro;
  ro.give_up_after = 2;
  // Far below a fork and a CBC start: (nearly) every solve fails. A loaded machine has let one
  // in eight through, which resets the count, so the test asks for a rise, not the exact path.
  ro.per_solve_s = 1e-4;
  ro.max_per_solve_s = 4e-4;
  bounds::NetworkBounds b = sym;
  const bounds::RefineStats failing =
      bounds::refineLayerMilp(net, encode::Domain(box), b, k, neurons, ro);
  EXPECT_GT(failing.per_solve_s, 1e-4);
  EXPECT_LE(failing.per_solve_s, 4e-4);
  EXPECT_GE(failing.failed, 4);
  EXPECT_LE(testnets::maxViolation(net, b, pts), support::kMipTol);

  neurons.resize(2);
  ro.per_solve_s = 30.0;
  ro.max_per_solve_s = 60.0;
  b = sym;
  const bounds::RefineStats fine =
      bounds::refineLayerMilp(net, encode::Domain(box), b, k, neurons, ro);
  EXPECT_FALSE(fine.gave_up);
  EXPECT_EQ(fine.failed, 0);
  EXPECT_DOUBLE_EQ(fine.per_solve_s, 30.0);
}

// The order holds exactly the unstable neurons, by triangle height x outgoing weight, largest
// first.
TEST(Refine, OrderIsUnstableNeuronsByScore) {
  const nn::Network net = testnets::randomNet({4, 12, 12, 3}, 17);
  const Box box = Box::uniform(4, -1.0, 1.0);
  const bounds::NetworkBounds b = tier(net, box, bounds::Method::kInterval);
  const bounds::LayerBounds& l = b.layers[1];
  const std::vector<int> order = bounds::refineOrder(net, b, 1);
  int unstable = 0;
  for (int j = 0; j < 12; ++j) unstable += l.lo[j] < 0 && l.hi[j] > 0;
  EXPECT_GE(unstable, 3);
  ASSERT_EQ(static_cast<int>(order.size()), unstable);
  auto score = [&](int j) {
    return -l.lo[j] * l.hi[j] / (l.hi[j] - l.lo[j]) * net.layer(2).weight.col(j).lpNorm<1>();
  };
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_TRUE(l.lo[order[i]] < 0 && l.hi[order[i]] > 0);
    if (i > 0) {
      EXPECT_GE(score(order[i - 1]), score(order[i]));
    }
  }
  EXPECT_THROW(bounds::refineOrder(net, b, 2), Error);  // the output layer
}

// A partial MILP is a relaxation of the full one and tighter than the LP: with exact earlier
// layers and no time limit, LP range >= keep-1 range >= keep-3 range >= the exact range, for
// every neuron of layers 2-3 (a neuron proved stable keeps its other side: only its stability
// is compared); and it does something: keep-1 is strictly inside the LP range and
// strictly looser than the exact one on some neurons.
TEST(Refine, PartialMilpLiesBetweenLpAndFullMilp) {
  int tighter_than_lp = 0;
  int looser_than_exact = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    const nn::Network net = testnets::randomNet({3, 7, 7, 7, 2}, 90 + seed);
    const Box box = Box::uniform(3, -1.0, 1.0);
    const encode::Domain dom(box);
    const bounds::NetworkBounds exact = tier(net, box, bounds::Method::kMilp);
    const bounds::NetworkBounds loose = tier(net, box, bounds::Method::kInterval);
    for (int k = 2; k + 1 < net.numLayers(); ++k) {
      bounds::NetworkBounds start = exact;
      start.layers[static_cast<size_t>(k)] = loose.layers[static_cast<size_t>(k)];
      // The LP over the same earlier bounds, one solve per neuron and side.
      encode::CompactOptions co;
      co.num_layers = k;
      const encode::CompactEncoding lp = encode::encodeCompact(net, dom, start, co);
      auto lpSide = [&](int j, mip::Sense sense) {
        mip::Model m = lp.model;
        const encode::AffineExpr& e = lp.pre[static_cast<size_t>(k)][static_cast<size_t>(j)];
        m.setObjective(sense, e.terms, e.constant);
        const mip::MipResult r = mip::makeMipSolver("cbc")->solve(m, {});
        EXPECT_EQ(r.termination, mip::Termination::kOptimal);
        return r.provenBound();
      };
      std::vector<bounds::LayerBounds> partial;
      for (int keep : {1, 3}) {
        bounds::NetworkBounds b = start;
        bounds::RefineOptions ro;
        ro.per_solve_s = 30.0;
        ro.max_binaries = keep;
        const bounds::RefineStats st =
            bounds::refineLayerMilp(net, dom, b, k, allNeurons(net, k), ro);
        EXPECT_EQ(st.failed, 0);
        partial.push_back(b.layers[static_cast<size_t>(k)]);
      }
      const bounds::LayerBounds& e = exact.layers[static_cast<size_t>(k)];
      const bounds::LayerBounds& before = start.layers[static_cast<size_t>(k)];
      for (int j = 0; j < net.layer(k).outputSize(); ++j) {
        if (!(before.lo[j] < 0 && before.hi[j] > 0)) continue;  // not refined
        SCOPED_TRACE(testing::Message() << "layer " << k << " neuron " << j);
        const double lp_lo = lpSide(j, mip::Sense::kMinimize);
        const double lp_hi = lpSide(j, mip::Sense::kMaximize);
        const bounds::LayerBounds& p1 = partial[0];
        const bounds::LayerBounds& p3 = partial[1];
        for (const bounds::LayerBounds* p : {&p1, &p3}) {  // valid
          EXPECT_LE(p->lo[j], e.lo[j] + support::kMipTol);
          EXPECT_GE(p->hi[j], e.hi[j] - support::kMipTol);
        }
        // A neuron proved stable has its other side unsolved; keeping more binaries keeps it
        // stable.
        const bool stable1 = !(p1.lo[j] < 0 && p1.hi[j] > 0);
        const bool stable3 = !(p3.lo[j] < 0 && p3.hi[j] > 0);
        const bool lp_stable = lp_lo >= 0 || lp_hi <= 0;
        if (stable1) {
          EXPECT_TRUE(stable3);
          tighter_than_lp += !lp_stable;
          continue;
        }
        EXPECT_GE(p1.lo[j], lp_lo - support::kMipTol);
        EXPECT_LE(p1.hi[j], lp_hi + support::kMipTol);
        if (!stable3) {
          EXPECT_GE(p3.lo[j], p1.lo[j] - support::kMipTol);
          EXPECT_LE(p3.hi[j], p1.hi[j] + support::kMipTol);
        }
        tighter_than_lp += p1.lo[j] > lp_lo + 1e-6 || p1.hi[j] < lp_hi - 1e-6;
        looser_than_exact += p1.lo[j] < e.lo[j] - 1e-6 || p1.hi[j] > e.hi[j] + 1e-6;
      }
    }
  }
  EXPECT_GE(tighter_than_lp, 3);
  EXPECT_GE(looser_than_exact, 3);
}

TEST(Refine, RejectsBadLayerAndNeuron) {
  const nn::Network net = testnets::randomNet({2, 4, 4, 1}, 1);
  const Box box = Box::uniform(2, -1.0, 1.0);
  bounds::NetworkBounds b = tier(net, box, bounds::Method::kInterval);
  const std::vector<int> ok = {0};
  const std::vector<int> bad = {4};
  EXPECT_THROW(bounds::refineLayerMilp(net, encode::Domain(box), b, 0, ok), Error);
  EXPECT_THROW(bounds::refineLayerMilp(net, encode::Domain(box), b, 3, ok), Error);
  EXPECT_THROW(bounds::refineLayerMilp(net, encode::Domain(box), b, 1, bad), Error);
  bounds::RefineOptions ro;
  ro.max_binaries = -1;
  EXPECT_THROW(bounds::refineLayerMilp(net, encode::Domain(box), b, 1, ok, ro), Error);
}

TEST(Refine, FormNamesRoundTrip) {
  using bounds::RefineForm;
  for (RefineForm f : bounds::kRefineForms) {
    EXPECT_EQ(bounds::parseRefineForm(bounds::refineFormName(f)), f);
  }
  EXPECT_EQ(bounds::refineFormName(RefineForm::kRace), "race");
  EXPECT_THROW(bounds::parseRefineForm("fastest"), Error);
  EXPECT_THROW(bounds::parseRefineForm(""), Error);
}

}  // namespace
}  // namespace nnmip
