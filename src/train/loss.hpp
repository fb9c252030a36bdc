#pragma once
// Losses on a batch of logits (one sample per row) and the weight penalties.
//
// Conventions (PyTorch's habits; see docs/results_training.md):
// - softmax cross-entropy is the mean over the batch of -log softmax(z)_y;
// - binary cross-entropy takes either one logit per sample (sigmoid output, label 0/1) or two
//   logits (2-class softmax). For two logits Keras' "binary_crossentropy" on one-hot targets
//   averages BCE over the two outputs; since p_1 = 1 - p_0 both terms equal -log p_y, so it is
//   the softmax cross-entropy, and is computed as such;
// - the penalty is added to the mean batch loss: lambda * sum |W| (L1) or lambda * sum W^2
//   (L2), over weight matrices only, never biases. The L1 subgradient is sign(w), 0 at w = 0.
#include <Eigen/Dense>

#include <span>
#include <string>

#include "nn/network.hpp"

namespace nnmip::train {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

enum class LossKind { kSoftmaxCrossEntropy, kBinaryCrossEntropy };
enum class Regularization { kNone, kL1, kL2 };

const char* lossName(LossKind kind);
const char* regularizationName(Regularization kind);
// "none" | "l1" | "l2"; throws Error{kInvalidInput} otherwise.
Regularization parseRegularization(const std::string& text);

// Sum over the rows of the per-sample loss. When grad is non-null it receives
// scale * d(sum)/d(logits) (same shape as logits); callers pass scale = 1/n_batch for the mean.
// Labels must lie in [0, k) for k logits, in {0, 1} for one logit (else Error{kInvalidInput}).
double lossSum(LossKind kind, const Eigen::Ref<const Mat>& logits, std::span<const int> labels,
               double scale, Mat* grad);

// Mean over the batch; grad (optional) is d(mean)/d(logits).
double softmaxCrossEntropy(const Mat& logits, std::span<const int> labels, Mat* grad = nullptr);
double binaryCrossEntropy(const Mat& logits, std::span<const int> labels, Mat* grad = nullptr);

// lambda * sum|W| or lambda * sum W^2 over every weight matrix (biases excluded).
double penaltyValue(const nn::Network& net, Regularization kind, double lambda);
// d(penalty)/dW for one weight matrix, added into grad (same shape as w).
void addPenaltyGradient(const Mat& w, Regularization kind, double lambda, Mat& grad);

}  // namespace nnmip::train
