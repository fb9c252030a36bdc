// A small MNIST run: 5000 training images, three epochs of a 100x1 ReLU net (Adam, batch 128,
// 120 steps; one epoch = 40 steps gave 81.5%)
// reaches more than 85% on the 10000 test images. Skipped when ../shared/data is absent.
#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "data/mnist.hpp"
#include "support/paths.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::train {
namespace {

TEST(MnistTraining, SmallSubsetThreeEpochsAbove85Percent) {
  NNMIP_SKIP_WITHOUT_DATA();
  const data::Dataset full = data::readMnist(support::kSharedData, /*train=*/true);
  const data::Dataset test = data::readMnist(support::kSharedData, /*train=*/false);
  const data::Dataset train_set = full.head(5000);
  Rng rng(1);
  nn::Network net = makeMlp(784, {100}, 10, true, rng);
  TrainOptions o;
  o.epochs = 3;
  o.threads = 2;
  const TrainResult r = train(net, train_set, nullptr, o);
  ASSERT_EQ(r.epochs.size(), 3u);
  const double acc = evaluateAccuracy(net, test, 2);
  RecordProperty("test_accuracy", std::to_string(acc));
  EXPECT_GT(acc, 0.85);
}

}  // namespace
}  // namespace nnmip::train
