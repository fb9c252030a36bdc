#pragma once
// Losses on a batch of logits (one sample per row) and the weight penalties.
//
// Conventions (PyTorch's habits; see docs/results_training.md):
// - softmax cross-entropy is the mean over the batch of -log softmax(z)_y;
// - binary cross-entropy takes either one logit per sample (sigmoid output, label 0/1) or two
//   logits (2-class softmax). For two logits Keras' "binary_crossentropy" on one-hot targets
//   averages BCE over the two outputs; since p_1 = 1 - p_0 both terms equal -log p_y, so it is
//   the softmax cross-entropy, and is computed as such;
// - the penalty lambda * sum |W| (L1) or lambda * sum W^2 (L2) is over weight matrices only,
//   never biases. The L1 subgradient is sign(w), 0 at w = 0;
// - what one optimizer step minimises is (mean batch loss) + s * penalty, where the
//   LambdaScale below fixes s (docs/results_training.md section 5 for why it matters).
#include <Eigen/Dense>

#include <span>
#include <string>

#include "nn/network.hpp"

namespace nnmip::train {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

enum class LossKind { kSoftmaxCrossEntropy, kBinaryCrossEntropy };
enum class Regularization { kNone, kL1, kL2 };

// How lambda enters each step's objective; the data term is always the mean over the batch
// of n rows, out of a training set of N rows:
//   kMean:    mean loss + lambda * P(W)      (Keras kernel_regularizer=l1(lambda); the usual
//                                             manual PyTorch penalty on a mean loss)
//   kSum:     mean loss + lambda / n * P(W)  (the penalty against the batch's summed loss,
//                                             e.g. CrossEntropyLoss(reduction='sum') + lambda*P;
//                                             Adam ignores the common factor n)
//   kDataset: mean loss + lambda / N * P(W)  (one penalty against the whole set's summed loss)
enum class LambdaScale { kMean, kSum, kDataset };

const char* lossName(LossKind kind);
const char* regularizationName(Regularization kind);
// "none" | "l1" | "l2"; throws Error{kInvalidInput} otherwise.
Regularization parseRegularization(const std::string& text);
const char* lambdaScaleName(LambdaScale scale);
// "mean" | "sum" | "dataset"; throws Error{kInvalidInput} otherwise.
LambdaScale parseLambdaScale(const std::string& text);
// The factor s of a step on a batch of batch_rows out of train_rows rows (see LambdaScale).
double stepLambda(double lambda, LambdaScale scale, long batch_rows, long train_rows);

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
