// mnist-net_256x2 over a VNN-COMP box: the pure LP chain matches the independent HiGHS
// reference bounds (../shared/data/reference_bounds), symbolic seeding is never looser, and
// every tier contains sampled pre-activations. Skipped when the shared data is missing.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "support/paths.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using testnets::Vec;

struct Reference {
  std::vector<std::vector<double>> lo, hi;  // per layer (0-based), LP columns
};

Reference readReference(const std::string& path, const nn::Network& net) {
  Reference r;
  for (int l = 0; l < net.numLayers(); ++l) {
    r.lo.emplace_back(static_cast<size_t>(net.layer(l).outputSize()), NAN);
    r.hi.emplace_back(static_cast<size_t>(net.layer(l).outputSize()), NAN);
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header: layer,neuron,interval_lo,interval_hi,lp_lo,lp_hi
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f[6];
    for (auto& x : f) std::getline(ss, x, ',');
    const int l = std::stoi(f[0]) - 1;
    const size_t j = std::stoul(f[1]);
    r.lo[static_cast<size_t>(l)][j] = std::stod(f[4]);
    r.hi[static_cast<size_t>(l)][j] = std::stod(f[5]);
  }
  return r;
}

class MnistReference : public ::testing::Test {
 protected:
  void SetUp() override {
    NNMIP_SKIP_WITHOUT_DATA();
    net_ = nn::readOnnx(support::sharedPath("vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx"));
    const data::VnnlibProperty p =
        data::readVnnlib(support::sharedPath("vnncomp/mnist_fc/vnnlib/prop_0_0.05.vnnlib"));
    box_ = Box(p.input_lo, p.input_hi);
    ref_ = readReference(support::sharedPath("reference_bounds/mnist-net_256x2__prop_0_0.05.csv"),
                         net_);
  }
  nn::Network net_;
  Box box_;
  Reference ref_;
};

TEST_F(MnistReference, PureLpChainMatchesReferenceAndSymbolicSeedIsNeverLooser) {
  bounds::BoundsOptions o;
  o.method = bounds::Method::kLp;
  o.symbolic_seed = false;
  o.solver.threads = 2;
  const auto pure = bounds::computeBounds(net_, box_, o);
  o.symbolic_seed = true;
  const auto seeded = bounds::computeBounds(net_, box_, o);
  double worst = 0.0;
  long looser = 0;
  for (int l = 0; l < net_.numLayers(); ++l) {
    for (int j = 0; j < net_.layer(l).outputSize(); ++j) {
      const double rl = ref_.lo[l][static_cast<size_t>(j)];
      const double rh = ref_.hi[l][static_cast<size_t>(j)];
      ASSERT_TRUE(std::isfinite(rl) && std::isfinite(rh));
      worst = std::max({worst, std::abs(pure.bounds.layers[l].lo[j] - rl),
                        std::abs(pure.bounds.layers[l].hi[j] - rh)});
      EXPECT_NEAR(pure.bounds.layers[l].lo[j], rl, 1e-5) << "layer " << l + 1 << " neuron " << j;
      EXPECT_NEAR(pure.bounds.layers[l].hi[j], rh, 1e-5) << "layer " << l + 1 << " neuron " << j;
      if (seeded.bounds.layers[l].lo[j] < rl - 1e-5 || seeded.bounds.layers[l].hi[j] > rh + 1e-5) {
        ++looser;
      }
    }
  }
  EXPECT_EQ(looser, 0);
  std::ostringstream worst_text;
  worst_text.precision(3);
  worst_text << worst;
  RecordProperty("max_abs_diff_vs_reference", worst_text.str());
  EXPECT_EQ(
      pure.stats[1].lps + pure.stats[2].lps - pure.stats[1].lp_retries - pure.stats[2].lp_retries,
      532);
  EXPECT_LE(seeded.stats[1].unstable, pure.stats[1].unstable);
}

TEST_F(MnistReference, EveryTierContainsSampledPreActivations) {
  const auto pts = testnets::samplePoints(net_, box_, 3, 300, 100, 2, 10);
  for (bounds::Method m : {bounds::Method::kNaive, bounds::Method::kInterval,
                           bounds::Method::kSymbolic, bounds::Method::kLp}) {
    SCOPED_TRACE(bounds::methodName(m));
    bounds::BoundsOptions o;
    o.method = m;
    o.solver.threads = 2;
    const auto r = bounds::computeBounds(net_, box_, o);
    EXPECT_LE(testnets::maxViolation(net_, r.bounds, pts), 1e-9);
  }
}

}  // namespace
}  // namespace nnmip
