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

// Class predicted for each row of X (argmax of the output; ties to the lowest index).
std::vector<int> predictClasses(const Network& net, const Mat& X);

}  // namespace nnmip::nn
