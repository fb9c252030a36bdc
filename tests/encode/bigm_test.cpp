// Big-M encoding: hand-computed toy values, structure, MIP starts, shared inputs, bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "encode/bigm.hpp"
#include "mip/solver.hpp"
#include "support/tolerances.hpp"
#include "tiny_nets.hpp"

namespace nnmip {
namespace {

using encode::Box;
using testnets::Vec;

// y = relu(x0 - x1) + relu(x0 + x1),  x in [-1,1]^2
// interval: both pre-activations in [-2, 2]  ->  y in [0, 4]
// LP (big-M, L=-2, U=2): h_i <= (a_i + 2)/2, so y <= (2 x0 + 4)/2 = x0 + 2 <= 3
// exact max: for x0 >= |x1|, y = 2 x0, so max y = 2 at x0 = 1
struct ToyModel {
  nn::Network net = testnets::twoReluToy();
  Box box = Box::uniform(2, -1.0, 1.0);
  encode::NetworkBounds nb = bounds::computeInterval(net, box);
  mip::Model model;
  encode::EncodedNetwork enc;
  explicit ToyModel(bool relax) {
    const encode::InputVars in = encode::addInputs(model, box);
    encode::EncodeOptions opt;
    opt.relax = relax;
    enc = encode::encodeNetwork(model, net, in, nb, opt);
    model.setObjective(mip::Sense::kMaximize, {{enc.outputs[0], 1.0}});
  }
};

TEST(BigM, ToyStructureAndNames) {
  ToyModel t(false);
  EXPECT_EQ(t.enc.stats.binaries, 2);
  EXPECT_EQ(t.enc.stats.linear, 1);
  EXPECT_EQ(t.model.numIntegerVars(), 2);
  // x0 x1, 2 x (pre post neg on), output pre = 2 + 8 + 1 columns.
  EXPECT_EQ(t.model.numVars(), 11);
  const auto& nv = t.enc.neuron(0, 1);
  EXPECT_EQ(t.model.column(nv.pre).name, "L1N1_pre");
  EXPECT_EQ(t.model.column(nv.post).name, "L1N1_post");
  EXPECT_EQ(t.model.column(nv.on).name, "L1N1_on");
  EXPECT_EQ(t.model.column(t.enc.outputs[0]).name, "L2N0_pre");
  EXPECT_DOUBLE_EQ(t.model.column(nv.pre).lb, -2.0);
  EXPECT_DOUBLE_EQ(t.model.column(nv.post).ub, 2.0);
  EXPECT_DOUBLE_EQ(t.model.column(nv.neg).ub, 2.0);
}

TEST(BigM, ToyLpRelaxationIsThree) {
  ToyModel t(true);
  auto lp = mip::makeLpSession(t.model);
  const mip::Term obj[] = {{t.enc.outputs[0], 1.0}};
  lp->setObjective(mip::Sense::kMaximize, obj);
  const mip::LpResult r = lp->solve();
  ASSERT_TRUE(r.optimal());
  EXPECT_NEAR(*r.objective, 3.0, support::kLpTol);
}

TEST(BigM, ToyMilpIsTwoAndWitnessReproduces) {
  ToyModel t(false);
  for (const char* backend : {"cbc", "enum"}) {
    SCOPED_TRACE(backend);
    const mip::MipResult r = mip::makeMipSolver(backend)->solve(t.model);
    ASSERT_EQ(r.termination, mip::Termination::kOptimal);
    EXPECT_NEAR(*r.objective, 2.0, support::kMipTol);
    const Vec x{{r.values[t.enc.inputs.x[0].id], r.values[t.enc.inputs.x[1].id]}};
    EXPECT_NEAR(nn::forward(t.net, x)[0], *r.objective, support::kMipTol);
  }
}

TEST(BigM, StableNeuronsGetNoBinary) {
  // Bounds that make neuron 0 stably active ([0.5, 2]) and neuron 1 stably inactive.
  const nn::Network net = testnets::twoReluToy();
  encode::NetworkBounds nb;
  nb.input = Box::uniform(2, -1.0, 1.0);
  nb.layers = {{Vec{{0.5, -3.0}}, Vec{{2.0, -0.1}}}, {Vec{{-10.0}}, Vec{{10.0}}}};
  mip::Model m;
  const auto in = encode::addInputs(m, nb.input);
  const auto enc = encode::encodeNetwork(m, net, in, nb);
  EXPECT_EQ(enc.stats.binaries, 0);
  EXPECT_EQ(enc.stats.stable_active, 1);
  EXPECT_EQ(enc.stats.stable_inactive, 1);
  EXPECT_EQ(enc.neuron(0, 0).state, encode::NeuronState::kActive);
  EXPECT_EQ(enc.neuron(0, 0).post, enc.neuron(0, 0).pre);
  EXPECT_FALSE(enc.neuron(0, 1).post.valid());
  // The output row references only the active neuron: L2N0_def = pre - 1*h0.
  const mip::Constraint& row = m.rows().back();
  EXPECT_EQ(row.name, "L2N0_def");
  EXPECT_EQ(row.terms.size(), 2u);
}

TEST(BigM, FinalReluIsEncodedAsRelu) {
  const nn::Network net = testnets::randomNet({3, 4, 2}, 7, /*final_relu=*/true);
  const Box box = Box::uniform(3, 0.0, 1.0);
  const auto nb = bounds::computeInterval(net, box);
  mip::Model m;
  const auto enc = encode::encodeNetwork(m, net, encode::addInputs(m, box), nb);
  ASSERT_EQ(enc.outputs.size(), 2u);
  for (int j = 0; j < 2; ++j) {
    EXPECT_NE(enc.neuron(1, j).state, encode::NeuronState::kLinear);
    EXPECT_TRUE(enc.outputs[static_cast<size_t>(j)].valid());
  }
}

TEST(BigM, MipStartFromForwardPassIsFeasible) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(seed);
    const nn::Network net = testnets::randomNet({4, 6, 5, 3}, seed, seed % 2 == 0);
    const Box box = Box::uniform(4, -1.0, 1.0);
    const auto nb = bounds::computeInterval(net, box);
    mip::Model m;
    const auto enc = encode::encodeNetwork(m, net, encode::addInputs(m, box), nb);
    Rng rng(seed);
    for (int s = 0; s < 20; ++s) {
      Vec x(4);
      for (int i = 0; i < 4; ++i) x[i] = rng.uniform(-1.0, 1.0);
      const std::vector<double> p = encode::mipStartFromInput(m, enc, x);
      EXPECT_LE(m.maxViolation(p), 1e-12);
      const Vec y = nn::forward(net, x);
      for (int j = 0; j < 3; ++j) {
        EXPECT_NEAR(p[static_cast<size_t>(enc.outputs[static_cast<size_t>(j)].id)], y[j], 1e-12);
      }
    }
  }
}

// Two networks over the same inputs: max (A(x) - B(x)) with CBC equals the enumeration oracle,
// and the witness reproduces the difference through both forward passes.
TEST(BigM, TwoNetworksShareInputs) {
  const nn::Network a = testnets::randomNet({2, 4, 1}, 11);
  const nn::Network b = testnets::randomNet({2, 4, 1}, 12);
  const Box box = Box::uniform(2, -1.0, 1.0);
  mip::Model m;
  const auto in = encode::addInputs(m, box);
  encode::EncodeOptions oa;
  oa.prefix = "A_";
  encode::EncodeOptions ob;
  ob.prefix = "B_";
  const auto ea = encode::encodeNetwork(m, a, in, bounds::computeInterval(a, box), oa);
  const auto eb = encode::encodeNetwork(m, b, in, bounds::computeInterval(b, box), ob);
  EXPECT_EQ(m.column(ea.neuron(0, 0).pre).name, "A_L1N0_pre");
  EXPECT_EQ(m.column(eb.neuron(0, 0).pre).name, "B_L1N0_pre");
  m.setObjective(mip::Sense::kMaximize, {{ea.outputs[0], 1.0}, {eb.outputs[0], -1.0}});
  const mip::MipResult cbc = mip::makeMipSolver("cbc")->solve(m);
  const mip::MipResult oracle = mip::makeMipSolver("enum")->solve(m);
  ASSERT_EQ(cbc.termination, mip::Termination::kOptimal);
  ASSERT_EQ(oracle.termination, mip::Termination::kOptimal);
  EXPECT_NEAR(*cbc.objective, *oracle.objective, support::kMipTol * (1 + std::abs(*cbc.objective)));
  const Vec x{{cbc.values[in.x[0].id], cbc.values[in.x[1].id]}};
  EXPECT_NEAR(nn::forward(a, x)[0] - nn::forward(b, x)[0], *cbc.objective, support::kMipTol);
  const encode::EncodedNetwork* both[] = {&ea, &eb};
  EXPECT_LE(m.maxViolation(encode::mipStartFromInput(m, both, x)), 1e-12);
}

TEST(BigM, BadBoundsAreRejected) {
  const nn::Network net = testnets::twoReluToy();
  encode::NetworkBounds nb = bounds::computeInterval(net, Box::uniform(2, -1.0, 1.0));
  mip::Model m;
  const auto in = encode::addInputs(m, nb.input);
  auto inverted = nb;
  inverted.layers[0].lo[1] = 5.0;
  EXPECT_THROW(encode::encodeNetwork(m, net, in, inverted), Error);
  auto nan = nb;
  nan.layers[1].hi[0] = std::nan("");
  EXPECT_THROW(encode::encodeNetwork(m, net, in, nan), Error);
  auto short_layers = nb;
  short_layers.layers.pop_back();
  EXPECT_THROW(encode::encodeNetwork(m, net, in, short_layers), Error);
  EXPECT_THROW(Box(Vec{{0.0, 1.0}}, Vec{{1.0, 0.5}}), Error);
}

}  // namespace
}  // namespace nnmip
