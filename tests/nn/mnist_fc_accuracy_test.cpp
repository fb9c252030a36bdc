// The VNN-COMP mnist_fc networks over the 10k MNIST test set give the accuracies VNN-COMP
// states for them: 0.9808 (256x2), 0.9764 (256x4), 0.9689 (256x6).
#include <gtest/gtest.h>

#include <cmath>

#include "data/dataset.hpp"
#include "data/mnist.hpp"
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
  if (!support::haveSharedData()) GTEST_SKIP() << "../shared/data missing";
  const data::Dataset& test = testSet();
  ASSERT_EQ(test.size(), 10000);
  const Network net = readOnnx(support::sharedPath(
      "vnncomp/mnist_fc/onnx/mnist-net_256x" + std::to_string(GetParam().depth) + ".onnx"));
  const std::vector<int> predicted = predictClasses(net, test.X);
  int correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == test.y[i] ? 1 : 0;
  EXPECT_EQ(correct, GetParam().correct);
  EXPECT_DOUBLE_EQ(data::accuracy(predicted, test.y), GetParam().correct / 10000.0);
}

INSTANTIATE_TEST_SUITE_P(VnnComp, MnistFcAccuracy,
                         ::testing::Values(Case{2, 9808}, Case{4, 9764}, Case{6, 9689}),
                         [](const auto& info) { return "Net256x" + std::to_string(info.param.depth); });

}  // namespace
}  // namespace nnmip::nn
