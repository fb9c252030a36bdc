// Trainer: reproducibility (same seed -> bit-identical weights, whatever the thread count),
// hand-computed optimizer steps, convergence on separable synthetic data, checkpoints.
#include "train/trainer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/mlp.hpp"

namespace nnmip::train {
namespace {

// Gaussian blobs: class c centred at separation * e_{c mod features} (+ sign flip for c >=
// features), unit-variance noise scaled by `noise`.
data::Dataset makeBlobs(int n, int features, int classes, double noise, uint64_t seed) {
  Rng rng(seed);
  data::Dataset d;
  d.name = "blobs";
  d.num_classes = classes;
  d.X.resize(n, features);
  d.y.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = i % classes;
    d.y[static_cast<size_t>(i)] = c;
    for (int j = 0; j < features; ++j) d.X(i, j) = noise * rng.normal();
    d.X(i, c % features) += c < features ? 3.0 : -3.0;
  }
  return d;
}

void expectSameWeights(const nn::Network& a, const nn::Network& b) {
  ASSERT_EQ(a.numLayers(), b.numLayers());
  for (int l = 0; l < a.numLayers(); ++l) {
    // Bit-identical, not merely close.
    EXPECT_EQ(a.layer(l).weight, b.layer(l).weight) << "layer " << l;
    EXPECT_EQ(a.layer(l).bias, b.layer(l).bias) << "layer " << l;
  }
}

TrainOptions smallOptions() {
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 32;
  o.seed = 42;
  o.threads = 2;
  o.objective.reg = Regularization::kL1;
  o.objective.lambda = 1e-4;
  return o;
}

nn::Network trainSmall(const TrainOptions& o, uint64_t init_seed, const data::Dataset& d) {
  Rng rng(init_seed);
  nn::Network net = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng);
  train(net, d, nullptr, o);
  return net;
}

TEST(Trainer, SameSeedGivesBitIdenticalWeights) {
  const data::Dataset d = makeBlobs(500, 12, 3, 1.0, 3);
  const TrainOptions o = smallOptions();
  const nn::Network a = trainSmall(o, 9, d);
  const nn::Network b = trainSmall(o, 9, d);
  expectSameWeights(a, b);
  // The thread count does not change the arithmetic (fixed chunks, fixed reduction order).
  TrainOptions one_thread = o;
  one_thread.threads = 1;
  expectSameWeights(a, trainSmall(one_thread, 9, d));
  // A different shuffle seed does change the weights.
  TrainOptions other = o;
  other.seed = 43;
  EXPECT_NE(trainSmall(other, 9, d).layer(0).weight, a.layer(0).weight);
}

TEST(Trainer, AdamFirstStepMatchesHandComputation) {
  // One step of Adam from m = v = 0: w1 = w0 - lr * g / (|g| + eps) (bias corrections cancel).
  nn::Network net;
  nn::DenseLayer layer;
  layer.weight = Mat{{0.5, -0.25}};
  layer.bias = Vec::Constant(1, 0.1);
  net.addLayer(layer);
  OptimizerOptions oo;
  oo.lr = 0.01;
  Optimizer opt(net, oo);
  Gradients g = Gradients::zerosLike(net);
  g.weight[0] = Mat{{2.0, -1e-3}};
  g.bias[0] = Vec::Constant(1, 0.3);
  opt.step(net, g, /*update_bias=*/false);
  EXPECT_NEAR(net.layer(0).weight(0, 0), 0.5 - 0.01 * 2.0 / (2.0 + 1e-8), 1e-15);
  EXPECT_NEAR(net.layer(0).weight(0, 1), -0.25 + 0.01 * 1e-3 / (1e-3 + 1e-8), 1e-15);
  EXPECT_EQ(net.layer(0).bias(0), 0.1);  // bias not updated
  // Second step with the same gradient: m = g (1-b1^2)... corrected mhat = g, vhat = g^2.
  opt.step(net, g, false);
  EXPECT_NEAR(net.layer(0).weight(0, 0), 0.5 - 2 * 0.01 * 2.0 / (2.0 + 1e-8), 1e-12);
  EXPECT_EQ(net.layer(0).bias(0), 0.1);
}

TEST(Trainer, SgdMomentumMatchesPyTorchRecurrence) {
  // PyTorch: buf_1 = g_1, buf_t = mu buf_{t-1} + g_t, w -= lr buf.
  nn::Network net;
  nn::DenseLayer layer;
  layer.weight = Mat{{1.0}};
  layer.bias = Vec::Zero(1);
  net.addLayer(layer);
  OptimizerOptions oo;
  oo.kind = OptimizerKind::kSgd;
  oo.lr = 0.1;
  oo.momentum = 0.9;
  Optimizer opt(net, oo);
  Gradients g = Gradients::zerosLike(net);
  g.weight[0] = Mat{{1.0}};
  opt.step(net, g, true);
  EXPECT_DOUBLE_EQ(net.layer(0).weight(0, 0), 0.9);
  g.weight[0] = Mat{{2.0}};
  opt.step(net, g, true);
  EXPECT_DOUBLE_EQ(net.layer(0).weight(0, 0), 0.9 - 0.1 * (0.9 * 1.0 + 2.0));
}

TEST(Trainer, LearnsSeparableBlobs) {
  const data::Dataset all = makeBlobs(1200, 10, 4, 0.7, 21);
  const data::Split s = data::shuffleSplit(all, 0.75, 1);
  Rng rng(2);
  nn::Network net = makeMlp(10, {32}, 4, true, rng);
  TrainOptions o;
  o.epochs = 10;
  o.batch_size = 32;
  std::vector<std::string> lines;
  Callbacks cb;
  cb.on_log = [&](Level, std::string_view line) { lines.emplace_back(line); };
  const TrainResult r = train(net, s.train, &s.test, o, cb);
  ASSERT_EQ(r.epochs.size(), 10u);
  EXPECT_EQ(lines.size(), 10u);
  EXPECT_NE(lines.back().find("val acc"), std::string::npos);
  EXPECT_NE(lines.back().find("epoch  10"), std::string::npos);
  EXPECT_LT(r.epochs.back().loss, r.epochs.front().loss);
  EXPECT_GT(r.epochs.back().val_accuracy, 0.97);
  EXPECT_GT(evaluateAccuracy(net, s.test), 0.97);
}

TEST(Trainer, BinaryOneLogitNoBiasSgd) {
  // Two blobs, one sigmoid output, no biases anywhere (they must stay exactly zero).
  const data::Dataset d = makeBlobs(400, 5, 2, 0.7, 8);
  Rng rng(4);
  nn::Network net = makeMlp(5, {8}, 1, false, rng);
  TrainOptions o;
  o.epochs = 15;
  o.batch_size = 16;
  o.train_bias = false;
  o.objective.loss = LossKind::kBinaryCrossEntropy;
  o.objective.reg = Regularization::kL2;
  o.objective.lambda = 1e-4;
  o.optimizer.kind = OptimizerKind::kSgd;
  o.optimizer.lr = 0.05;
  o.optimizer.momentum = 0.9;
  train(net, d, nullptr, o);
  for (const auto& l : net.layers()) EXPECT_TRUE(l.bias.isZero(0.0));
  EXPECT_GT(evaluateAccuracy(net, d), 0.95);
}

TEST(Trainer, CheckpointResumeEqualsStraightRun) {
  const data::Dataset d = makeBlobs(300, 6, 3, 1.0, 5);
  TrainOptions o = smallOptions();
  o.epochs = 2;
  const nn::Network straight = trainSmall(o, 1, d);

  Rng rng(1);
  nn::Network first = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng);
  const std::filesystem::path ck =
      std::filesystem::temp_directory_path() / ("nnmip_train_ck_" + std::to_string(::getpid()));
  {
    Trainer t(first, o);
    t.runEpoch(d, nullptr);
    t.saveCheckpoint(ck);
  }
  Rng rng2(777);  // other initial weights: the checkpoint must overwrite them
  nn::Network resumed = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng2);
  Trainer t(resumed, o);
  t.loadCheckpoint(ck);
  EXPECT_EQ(t.completedEpochs(), 1);
  t.runEpoch(d, nullptr);
  expectSameWeights(straight, resumed);

  TrainOptions other = o;
  other.seed = 1234;
  Trainer wrong(resumed, other);
  EXPECT_THROW(wrong.loadCheckpoint(ck), Error);
  std::filesystem::remove(ck);
}

// An interrupted run (stopped in epoch 2, so only epoch 1 is in the checkpoint) resumed from
// other initial weights ends with the weights of a straight 3-epoch run, bit for bit.
TEST(TrainWithCheckpoints, InterruptedAndResumedEqualsStraightRun) {
  const data::Dataset d = makeBlobs(300, 6, 3, 1.0, 5);  // 10 batches of 32 per epoch
  TrainOptions o = smallOptions();
  o.epochs = 3;
  const nn::Network straight = trainSmall(o, 1, d);
  CheckpointOptions ck;
  ck.path =
      std::filesystem::temp_directory_path() / ("nnmip_train_ckloop_" + std::to_string(::getpid()));
  ck.resume = true;
  std::filesystem::remove(ck.path);

  std::vector<std::string> logs;
  Callbacks cb;
  cb.on_log = [&](Level, std::string_view line) { logs.emplace_back(line); };
  int calls = 0;
  cb.should_stop = [&] { return ++calls > 15; };  // 11 polls in epoch 1 (10 batches + 1)
  Rng rng(1);
  nn::Network net = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng);
  const TrainResult first = trainWithCheckpoints(net, d, nullptr, o, ck, cb);
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.resumed_epochs, 0);
  EXPECT_EQ(first.completed_epochs, 1);
  ASSERT_EQ(first.epochs.size(), 2u);
  EXPECT_FALSE(first.epochs[1].complete);
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs.front().find("starting from scratch"), std::string::npos) << logs.front();
  ASSERT_TRUE(std::filesystem::exists(ck.path));

  logs.clear();
  cb.should_stop = nullptr;
  Rng rng2(777);  // other initial weights: the checkpoint must overwrite them
  nn::Network resumed = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng2);
  const TrainResult second = trainWithCheckpoints(resumed, d, nullptr, o, ck, cb);
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.resumed_epochs, 1);
  EXPECT_EQ(second.completed_epochs, 3);
  ASSERT_EQ(second.epochs.size(), 2u);
  EXPECT_EQ(second.epochs[0].epoch, 2);
  EXPECT_NE(logs.front().find("after epoch 1"), std::string::npos) << logs.front();
  expectSameWeights(straight, resumed);

  // Complete: a third call loads epoch 3 and runs nothing.
  nn::Network again = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng2);
  const TrainResult third = trainWithCheckpoints(again, d, nullptr, o, ck, cb);
  EXPECT_EQ(third.epochs.size(), 0u);
  EXPECT_EQ(third.completed_epochs, 3);
  expectSameWeights(straight, again);
  std::filesystem::remove(ck.path);
}

TEST(TrainWithCheckpoints, EpochStatsJson) {
  EpochStats s;
  s.epoch = 4;
  s.loss = 0.5;
  s.data_loss = 0.25;
  s.train_accuracy = 0.75;
  s.seconds = 1.5;
  s.complete = false;
  const nlohmann::json j = s;
  EXPECT_EQ(j.dump(), R"({"complete":false,"data_loss":0.25,"epoch":4,"loss":0.5,)"
                      R"("seconds":1.5,"train_accuracy":0.75,"val_accuracy":null})");
  s.val_accuracy = 0.5;
  EXPECT_EQ(nlohmann::json(s)["val_accuracy"].get<double>(), 0.5);
}

TEST(Trainer, HonoursShouldStop) {
  const data::Dataset d = makeBlobs(300, 6, 3, 1.0, 5);
  Rng rng(1);
  nn::Network net = makeMlp(6, {8}, 3, true, rng);
  TrainOptions o;
  o.epochs = 5;
  o.batch_size = 10;
  std::atomic<int> calls{0};
  Callbacks cb;
  cb.should_stop = [&] { return ++calls > 7; };
  const TrainResult r = train(net, d, nullptr, o, cb);
  EXPECT_TRUE(r.stopped);
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_FALSE(r.epochs[0].complete);
  EXPECT_EQ(r.epochs[0].steps, 7);
}

TEST(Trainer, RejectsBadInput) {
  const data::Dataset d = makeBlobs(50, 6, 3, 1.0, 5);
  Rng rng(1);
  nn::Network wrong_inputs = makeMlp(5, {8}, 3, true, rng);
  EXPECT_THROW(train(wrong_inputs, d, nullptr, {}), Error);
  nn::Network two_out = makeMlp(6, {8}, 2, true, rng);
  EXPECT_THROW(train(two_out, d, nullptr, {}), Error);  // label 2 with 2 outputs
  nn::Network net = makeMlp(6, {8}, 3, true, rng);
  TrainOptions o;
  o.batch_size = 0;
  EXPECT_THROW(train(net, d, nullptr, o), Error);
  o = {};
  o.optimizer.lr = -1;
  EXPECT_THROW(train(net, d, nullptr, o), Error);
}

}  // namespace
}  // namespace nnmip::train
