// The VNN-COMP mnist_fc networks over the 10k MNIST test set give the accuracies VNN-COMP
// states for them: 0.9808 (256x2), 0.9764 (256x4), 0.9689 (256x6); the ERAN network agrees
// with its VNN-COMP specs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/dataset.hpp"
#include "data/mnist.hpp"
#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "support/paths.hpp"

namespace nnmip::nn {
namespace {

struct Case {
  int depth;
  int correct;  // out of 10000
};

class MnistFcAccuracy : public ::testing::TestWithParam<Case> {
 protected:
  static const data::Dataset& testSet() {
    static const data::Dataset ds = data::readMnist(support::kSharedData, /*train=*/false);
    return ds;
  }
};

TEST_P(MnistFcAccuracy, MatchesVnnCompFigure) {
  NNMIP_SKIP_WITHOUT_DATA();
  const data::Dataset& test = testSet();
  ASSERT_EQ(test.size(), 10000);
  const Network net = readOnnx(support::sharedPath("vnncomp/mnist_fc/onnx/mnist-net_256x" +
                                                   std::to_string(GetParam().depth) + ".onnx"));
  const std::vector<int> predicted = predictClasses(net, test.X);
  int correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == test.y[i] ? 1 : 0;
  EXPECT_EQ(correct, GetParam().correct);
  EXPECT_DOUBLE_EQ(data::accuracy(predicted, test.y), GetParam().correct / 10000.0);
}

INSTANTIATE_TEST_SUITE_P(VnnComp, MnistFcAccuracy,
                         ::testing::Values(Case{2, 9808}, Case{4, 9764}, Case{6, 9689}),
                         [](const auto& info) {
                           return "Net256x" + std::to_string(info.param.depth);
                         });

// Cross-check of the ERAN network against its VNN-COMP 2021 specs: mnist_spec_idx_<N> is built
// around MNIST test image N, which must lie in the spec's box, and the network must classify it
// as the label the spec protects (the Y_j its atoms compare against).

TEST(EranMnist, SpecImagesAreClassifiedAsTheirLabel) {
  NNMIP_SKIP_WITHOUT_DATA();
  const data::Dataset test = data::readMnist(support::kSharedData, /*train=*/false);
  const Network net =
      readOnnx(support::sharedPath("vnncomp/eran_mnist_relu_9_200/nets/mnist_relu_9_200.onnx"));
  // Whole test set: 9495 correct (measured here; a regression value, not a published figure).
  EXPECT_EQ(std::lround(data::accuracy(predictClasses(net, test.X), test.y) * 10000), 9495);
  int specs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           support::kSharedData / "vnncomp/eran_mnist_relu_9_200/specs/mnist")) {
    const std::string stem = entry.path().stem().string();  // mnist_spec_idx_<N>_eps_0.01500
    const int idx = std::stoi(stem.substr(std::string("mnist_spec_idx_").size()));
    const data::VnnlibProperty prop = data::readVnnlib(entry.path());
    // Each disjunct is one atom  Y_label - Y_j <= 0: the label has coefficient +1.
    const auto& coef = prop.unsafe_disjuncts.at(0).at(0).coef;
    const int label = static_cast<int>(std::max_element(coef.begin(), coef.end()) - coef.begin());
    EXPECT_EQ(test.y[static_cast<size_t>(idx)], label) << stem;
    const Vec x = test.X.row(idx).transpose();
    std::vector<double> xv(x.data(), x.data() + x.size());
    EXPECT_TRUE(prop.inputInside(xv, 1e-6)) << stem;
    const Vec y = forward(net, x);
    EXPECT_FALSE(prop.outputUnsafe(std::vector<double>(y.data(), y.data() + y.size()))) << stem;
    ++specs;
  }
  EXPECT_EQ(specs, 36);
}

}  // namespace
}  // namespace nnmip::nn
