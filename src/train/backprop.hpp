#pragma once
// Backward pass for dense networks whose hidden layers are ReLU or identity and whose last
// layer is identity (logits) or softmax (its pre-activations are taken as the logits).
#include <span>
#include <vector>

#include "nn/network.hpp"
#include "train/loss.hpp"

namespace nnmip::train {

// Gradient of a scalar with respect to every layer's weight and bias.
struct Gradients {
  std::vector<Mat> weight;  // out x in, one per layer
  std::vector<Vec> bias;    // out, one per layer

  static Gradients zerosLike(const nn::Network& net);
  Gradients& operator+=(const Gradients& other);
};

// What is minimised: mean data loss of the batch + stepLambda(lambda, scale, ...) * penalty.
struct Objective {
  LossKind loss = LossKind::kSoftmaxCrossEntropy;
  Regularization reg = Regularization::kNone;
  double lambda = 0.0;
  LambdaScale scale = LambdaScale::kMean;
};

// Throws Error{kUnsupported} unless every hidden layer is ReLU or identity and the last layer
// is identity or softmax.
void checkTrainable(const nn::Network& net);

// Sum over rows of the data loss (no penalty). When grad is non-null it is overwritten with
// scale * d(sum)/d(parameters) (shapes as zerosLike). When correct is non-null it receives the
// number of rows classified correctly (nn::predictedClass on the logits).
double dataLossSum(const nn::Network& net, const Eigen::Ref<const Mat>& X,
                   std::span<const int> labels, LossKind loss, double scale, Gradients* grad,
                   long* correct = nullptr);

// Mean data loss over the rows of X plus the scaled penalty, X being one batch out of a
// training set of train_rows rows (0: X is the whole set); grad (optional) gets its gradient.
// Single-threaded reference used by the gradient check.
double objectiveAndGradient(const nn::Network& net, const Mat& X, std::span<const int> labels,
                            const Objective& objective, Gradients* grad, long train_rows = 0);

}  // namespace nnmip::train
