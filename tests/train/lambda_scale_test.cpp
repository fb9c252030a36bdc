// LambdaScale: how lambda enters one step's objective (mean loss + s * penalty, s = lambda,
// lambda / n_batch or lambda / N_train). The gradient of the scaled penalty equals central
// differences; the scale changes the penalty by exactly the stated factor and nothing else
// (the data term, the bias gradient); a trainer under kSum with lambda is bit for bit the
// trainer under kMean with lambda / n, and kDataset the one with lambda / N; a checkpoint
// written under one scale does not resume under another. A broken scale would show up as a
// penalty gradient n (or N) times too large: lambda * sign(w) where lambda / n * sign(w) is due.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/gradcheck.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::train {
namespace {

TEST(LambdaScale, StepFactor) {
  EXPECT_EQ(stepLambda(2e-4, LambdaScale::kMean, 128, 54000), 2e-4);
  EXPECT_EQ(stepLambda(2e-4, LambdaScale::kSum, 128, 54000), 2e-4 / 128);
  EXPECT_EQ(stepLambda(2e-4, LambdaScale::kSum, 16, 54000), 2e-4 / 16);  // a short last batch
  EXPECT_EQ(stepLambda(2e-4, LambdaScale::kDataset, 128, 54000), 2e-4 / 54000);
  EXPECT_EQ(stepLambda(2e-4, LambdaScale::kDataset, 16, 54000), 2e-4 / 54000);
  EXPECT_THROW(stepLambda(2e-4, LambdaScale::kSum, 0, 10), Error);
}

TEST(LambdaScale, NamesRoundTrip) {
  for (const LambdaScale s : {LambdaScale::kMean, LambdaScale::kSum, LambdaScale::kDataset}) {
    EXPECT_EQ(parseLambdaScale(lambdaScaleName(s)), s);
  }
  EXPECT_STREQ(lambdaScaleName(LambdaScale::kSum), "sum");
  EXPECT_THROW(parseLambdaScale("batch"), Error);
  EXPECT_THROW(parseLambdaScale(""), Error);
}

struct Point {
  nn::Network net;
  Mat X;
  std::vector<int> y;
};

// A 4-5-4-3 network and a batch of 6 rows at least 1e-3 from every ReLU kink and from w = 0.
Point drawPoint(uint64_t seed) {
  const Objective l1{LossKind::kSoftmaxCrossEntropy, Regularization::kL1, 1.0};
  Rng rng(seed);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Point p;
    p.net = makeMlp(4, {5, 4}, 3, true, rng);
    p.X.resize(6, 4);
    for (Eigen::Index i = 0; i < p.X.size(); ++i) p.X.data()[i] = rng.uniform(-1.0, 1.0);
    for (int i = 0; i < 6; ++i) p.y.push_back(static_cast<int>(rng.below(3)));
    if (kinkDistance(p.net, p.X, l1) >= 1e-3) return p;
  }
  ADD_FAILURE() << "no point away from the kinks";
  return {};
}

struct ScaleCase {
  Regularization reg;
  LambdaScale scale;
  long train_rows;  // 0: the batch is the whole set
};

TEST(LambdaScale, GradientMatchesCentralDifferences) {
  // lambda = 0.3 so that the penalty's share of the gradient is visible in every case, also
  // after dividing by N = 60 (an error in the penalty term cannot hide below 1e-5).
  const ScaleCase cases[] = {
      {Regularization::kL1, LambdaScale::kMean, 0},
      {Regularization::kL1, LambdaScale::kSum, 0},
      {Regularization::kL1, LambdaScale::kSum, 60},
      {Regularization::kL1, LambdaScale::kDataset, 60},
      {Regularization::kL2, LambdaScale::kSum, 60},
      {Regularization::kL2, LambdaScale::kDataset, 60},
  };
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Point p = drawPoint(seed);
    for (const ScaleCase& c : cases) {
      const Objective obj{LossKind::kSoftmaxCrossEntropy, c.reg, 0.3, c.scale};
      const GradCheckResult r = checkGradient(p.net, p.X, p.y, obj, 1e-6, c.train_rows);
      EXPECT_LT(r.max_rel_error, 1e-5) << "seed " << seed << " " << regularizationName(c.reg) << " "
                                       << lambdaScaleName(c.scale) << " N=" << c.train_rows;
    }
  }
}

TEST(LambdaScale, ScalesThePenaltyAndNothingElse) {
  const Point p = drawPoint(7);
  const double lambda = 0.3;
  const long n = p.X.rows();
  const long N = 60;
  Gradients g0;
  const Objective none{LossKind::kSoftmaxCrossEntropy, Regularization::kNone, 0.0};
  const double v0 = objectiveAndGradient(p.net, p.X, p.y, none, &g0, N);
  double l1_norm = 0;
  for (const nn::DenseLayer& l : p.net.layers()) l1_norm += l.weight.cwiseAbs().sum();

  const struct {
    LambdaScale scale;
    double factor;
  } expected[] = {{LambdaScale::kMean, lambda},
                  {LambdaScale::kSum, lambda / static_cast<double>(n)},
                  {LambdaScale::kDataset, lambda / static_cast<double>(N)}};
  for (const auto& e : expected) {
    const Objective obj{LossKind::kSoftmaxCrossEntropy, Regularization::kL1, lambda, e.scale};
    Gradients g;
    const double v = objectiveAndGradient(p.net, p.X, p.y, obj, &g, N);
    EXPECT_NEAR(v - v0, e.factor * l1_norm, 1e-12) << lambdaScaleName(e.scale);
    for (int l = 0; l < p.net.numLayers(); ++l) {
      const auto li = static_cast<size_t>(l);
      const Mat penalty_grad = g.weight[li] - g0.weight[li];
      const Mat want = e.factor * p.net.layer(l).weight.array().sign().matrix();
      EXPECT_LT((penalty_grad - want).cwiseAbs().maxCoeff(), 1e-12)
          << lambdaScaleName(e.scale) << " layer " << l;
      EXPECT_EQ(g.bias[li], g0.bias[li]);  // biases are never penalised
    }
  }
}

data::Dataset blobs(int n, uint64_t seed) {
  Rng rng(seed);
  data::Dataset d;
  d.name = "blobs";
  d.num_classes = 3;
  d.X.resize(n, 6);
  for (int i = 0; i < n; ++i) {
    d.y.push_back(i % 3);
    for (int j = 0; j < 6; ++j) d.X(i, j) = rng.normal();
    d.X(i, i % 3) += 3.0;
  }
  return d;
}

nn::Network trained(const TrainOptions& o, const data::Dataset& d) {
  Rng rng(5);
  nn::Network net = makeMlp(d.features(), {16, 16}, d.num_classes, true, rng);
  train(net, d, nullptr, o);
  return net;
}

TrainOptions l1Options(double lambda, LambdaScale scale) {
  TrainOptions o;
  o.epochs = 3;
  o.batch_size = 32;
  o.seed = 11;
  o.objective.reg = Regularization::kL1;
  o.objective.lambda = lambda;
  o.objective.scale = scale;
  return o;
}

TEST(LambdaScale, TrainerUsesTheStatedFactor) {
  const data::Dataset d = blobs(320, 3);  // 10 full batches of 32: no short last batch
  const nn::Network sum = trained(l1Options(0.05, LambdaScale::kSum), d);
  const nn::Network mean_n = trained(l1Options(0.05 / 32, LambdaScale::kMean), d);
  const nn::Network dataset = trained(l1Options(0.05, LambdaScale::kDataset), d);
  const nn::Network mean_N = trained(l1Options(0.05 / 320, LambdaScale::kMean), d);
  const nn::Network mean = trained(l1Options(0.05, LambdaScale::kMean), d);
  for (int l = 0; l < sum.numLayers(); ++l) {
    EXPECT_EQ(sum.layer(l).weight, mean_n.layer(l).weight) << "layer " << l;
    EXPECT_EQ(dataset.layer(l).weight, mean_N.layer(l).weight) << "layer " << l;
  }
  // The scale changes the result: the same lambda under kMean penalises 32 times harder. Run
  // long enough (Adam, lr 1e-2), kMean drives every weight to about 0 and loses the classes;
  // kSum keeps them apart.
  TrainOptions long_sum = l1Options(0.05, LambdaScale::kSum);
  long_sum.epochs = 30;
  long_sum.optimizer.lr = 1e-2;
  TrainOptions long_mean = long_sum;
  long_mean.objective.scale = LambdaScale::kMean;
  const nn::Network s30 = trained(long_sum, d);
  const nn::Network m30 = trained(long_mean, d);
  auto small_share = [](const nn::Network& net) {
    long n = 0, small = 0;
    for (const nn::DenseLayer& l : net.layers()) {
      n += l.weight.size();
      small += (l.weight.array().abs() <= 1e-2).count();
    }
    return static_cast<double>(small) / static_cast<double>(n);
  };
  // Measured: kMean 100% of |w| <= 1e-2 and accuracy 1/3 (one class, the MNIST collapse in
  // miniature); kSum 51% and accuracy 1.
  EXPECT_GT(small_share(m30), 0.95);
  EXPECT_LT(evaluateAccuracy(m30, d), 0.5);
  EXPECT_LT(small_share(s30), 0.8);
  EXPECT_GT(evaluateAccuracy(s30, d), 0.95);
}

TEST(LambdaScale, CheckpointRemembersTheScale) {
  const data::Dataset d = blobs(96, 4);
  Rng rng(1);
  nn::Network net = makeMlp(d.features(), {8}, d.num_classes, true, rng);
  const std::filesystem::path ck =
      std::filesystem::temp_directory_path() / ("nnmip_lambda_ck_" + std::to_string(::getpid()));
  TrainOptions o = l1Options(1e-3, LambdaScale::kMean);
  {
    Trainer t(net, o);
    t.runEpoch(d, nullptr);
    t.saveCheckpoint(ck);
  }
  TrainOptions sum = o;
  sum.objective.scale = LambdaScale::kSum;
  Trainer wrong(net, sum);
  EXPECT_THROW(wrong.loadCheckpoint(ck), Error);
  Trainer right(net, o);
  EXPECT_NO_THROW(right.loadCheckpoint(ck));
  std::filesystem::remove(ck);
}

}  // namespace
}  // namespace nnmip::train
