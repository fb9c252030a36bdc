#pragma once
// Forward pass in double precision.
#include "nn/network.hpp"

namespace nnmip::nn {

// Every layer's pre-activation (a = W h + b) and post-activation (h = sigma(a)).
// pre[l] and post[l] belong to layer l; the input is `input`.
struct ForwardTrace {
  Vec input;
  std::vector<Vec> pre;
  std::vector<Vec> post;
  const Vec& output() const { return post.back(); }
};

Vec applyActivation(const DenseLayer& layer, const Vec& pre);

Vec forward(const Network& net, const Vec& x);
ForwardTrace forwardTrace(const Network& net, const Vec& x);

// Batched: X is n_samples x n_inputs (one sample per row); returns n_samples x n_outputs.
Mat forwardBatch(const Network& net, const Mat& X);

// Batched trace: pre[l] and post[l] are n_samples x layer_size.
struct BatchTrace {
  std::vector<Mat> pre;
  std::vector<Mat> post;
};
BatchTrace forwardBatchTrace(const Network& net, const Mat& X);

// The predicted-class rule, the one definition every module uses. y is the network's output
// (the post-activation of `last`, its last layer):
//   several outputs           argmax of y, ties to the lowest index (the same class for a
//                             softmax output and for its logits);
//   one kIdentity output      1 iff y >= 0 (a logit: sigmoid(y) >= 1/2), else 0;
//   one kStep output          1 iff y == gamma (the step's upper level), else 0.
// One kRelu or kSoftmax output has no class rule: Error{kUnsupported}.
int predictedClass(const DenseLayer& last, const Vec& y);
// The rule for each row of Y (n_samples x n_outputs, as forwardBatch returns it).
std::vector<int> predictedClasses(const DenseLayer& last, const Mat& Y);

// Class predicted for each row of X: forward pass, then the rule above. Rows are evaluated in
// fixed chunks of 2048 on up to `threads` threads (the result does not depend on `threads`).
std::vector<int> predictClasses(const Network& net, const Mat& X, int threads = 1);

}  // namespace nnmip::nn
