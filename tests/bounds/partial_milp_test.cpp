// Partial MILPs (bounds/partial_milp.hpp): the relaxation-impact score by hand, and the milp
// tier with partial MILPs between the lp tier and the exact milp tier.
#include <gtest/gtest.h>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "bounds/partial_milp.hpp"
#include "core/error.hpp"
#include "support/tolerances.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

bounds::NetworkBounds tier(const nn::Network& net, const Box& box, bounds::Method m,
                           int max_binaries = 0) {
  bounds::BoundsOptions o;
  o.method = m;
  o.solver.max_binaries = max_binaries;
  return bounds::computeBounds(net, box, o).bounds;
}

// relaxationImpact on a net small enough to score by hand: x in [-1, 1];
// layer 0 a = (x, -x) (both in [-1, 1]: slope 1/2, height 1/2); layer 1 a = 2 h0 - 3 h1 in
// [-3, 2] (slope 2/5, height 6/5); layer 2 a = 4 h. For neuron 0 of layer 2: layer 1 scores
// 4 x 6/5 = 4.8 and passes 4 x 2/5 = 1.6 back; layer 0 scores (2, 3) x 1.6 x 1/2 = (1.6, 2.4).
TEST(PartialMilp, RelaxationImpactByHand) {
  auto dense = [](Mat w, nn::Activation act) {
    nn::DenseLayer l;
    l.bias = Vec::Zero(w.rows());
    l.weight = std::move(w);
    l.activation = act;
    return l;
  };
  const nn::Network net({dense((Mat(2, 1) << 1, -1).finished(), nn::Activation::kRelu),
                         dense((Mat(1, 2) << 2, -3).finished(), nn::Activation::kRelu),
                         dense((Mat(1, 1) << 4).finished(), nn::Activation::kRelu),
                         dense((Mat(1, 1) << 1).finished(), nn::Activation::kIdentity)});
  const Box box = Box::uniform(1, -1.0, 1.0);
  const bounds::NetworkBounds b = tier(net, box, bounds::Method::kInterval);
  ASSERT_DOUBLE_EQ(b.layers[1].lo[0], -3.0);
  ASSERT_DOUBLE_EQ(b.layers[1].hi[0], 2.0);
  encode::Domain dom(box);
  std::vector<Vec> s = bounds::relaxationImpact(net, dom, b, 2, 0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s[1][0], 4.8, 1e-12);
  EXPECT_NEAR(s[0][0], 1.6, 1e-12);
  EXPECT_NEAR(s[0][1], 2.4, 1e-12);
  // A split neuron has no relaxation: an active one passes its sensitivity on unchanged
  // (layer 0: (2, 3) x 4 x 1/2), an inactive one cuts it.
  dom.splits[{1, 0}] = encode::Phase::kActive;
  s = bounds::relaxationImpact(net, dom, b, 2, 0);
  EXPECT_EQ(s[1][0], 0.0);
  EXPECT_NEAR(s[0][0], 4.0, 1e-12);
  EXPECT_NEAR(s[0][1], 6.0, 1e-12);
  dom.splits[{1, 0}] = encode::Phase::kInactive;
  s = bounds::relaxationImpact(net, dom, b, 2, 0);
  EXPECT_EQ(s[0][0], 0.0);
  EXPECT_EQ(s[0][1], 0.0);
  EXPECT_THROW(bounds::relaxationImpact(net, dom, b, 2, 1), Error);
}

// The milp tier with partial MILPs (no time limit, so every solve closes): per neuron, the lp
// tier's range contains the 1-binary tier's, which contains the 3-binary tier's, which contains
// the exact milp tier's (each layer's model is over the tier's own earlier bounds, nested the
// same way); and the partial tiers lie strictly between lp and milp on some neurons.
TEST(PartialMilp, TierLiesBetweenLpAndMilp) {
  int tighter_than_lp = 0;
  int looser_than_milp = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    const nn::Network net = testnets::randomNet({3, 7, 7, 7, 2}, 90 + seed);
    const Box box = Box::uniform(3, -1.0, 1.0);
    const bounds::NetworkBounds lp = tier(net, box, bounds::Method::kLp);
    const bounds::NetworkBounds p1 = tier(net, box, bounds::Method::kMilp, 1);
    const bounds::NetworkBounds p3 = tier(net, box, bounds::Method::kMilp, 3);
    const bounds::NetworkBounds milp = tier(net, box, bounds::Method::kMilp);
    for (int k = 2; k < net.numLayers(); ++k) {
      const auto& l = lp.layers[static_cast<size_t>(k)];
      const auto& a = p1.layers[static_cast<size_t>(k)];
      const auto& b = p3.layers[static_cast<size_t>(k)];
      const auto& e = milp.layers[static_cast<size_t>(k)];
      for (Eigen::Index j = 0; j < l.lo.size(); ++j) {
        SCOPED_TRACE(testing::Message() << "layer " << k << " neuron " << j);
        EXPECT_GE(a.lo[j], l.lo[j] - support::kMipTol);
        EXPECT_LE(a.hi[j], l.hi[j] + support::kMipTol);
        EXPECT_GE(b.lo[j], a.lo[j] - support::kMipTol);
        EXPECT_LE(b.hi[j], a.hi[j] + support::kMipTol);
        EXPECT_LE(b.lo[j], e.lo[j] + support::kMipTol);
        EXPECT_GE(b.hi[j], e.hi[j] - support::kMipTol);
        tighter_than_lp += a.lo[j] > l.lo[j] + 1e-6 || a.hi[j] < l.hi[j] - 1e-6;
        looser_than_milp += a.lo[j] < e.lo[j] - 1e-6 || a.hi[j] > e.hi[j] + 1e-6;
      }
    }
  }
  EXPECT_GE(tighter_than_lp, 3);
  EXPECT_GE(looser_than_milp, 3);
}

TEST(PartialMilp, RejectsNegativeCount) {
  const nn::Network net = testnets::randomNet({2, 4, 4, 1}, 1);
  bounds::BoundsOptions o;
  o.method = bounds::Method::kMilp;
  o.solver.max_binaries = -1;
  EXPECT_THROW(bounds::computeBounds(net, Box::uniform(2, -1.0, 1.0), o), Error);
}

}  // namespace
}  // namespace nnmip
