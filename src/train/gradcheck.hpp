#pragma once
// Central finite differences for checking the backward pass (STYLE.md §2.6 item 7).
#include <functional>
#include <span>
#include <vector>

#include "nn/network.hpp"
#include "train/backprop.hpp"

namespace nnmip::train {

// All parameters in a fixed order: layer by layer, weight (column-major, Eigen's storage),
// then bias. setParameters is the inverse.
Vec flattenParameters(const nn::Network& net);
void setParameters(nn::Network& net, const Vec& theta);
Vec flattenGradients(const Gradients& g);

// (f(x + h e_i) - f(x - h e_i)) / (2h) for every coordinate i.
Vec centralDifferences(const std::function<double(const Vec&)>& f, const Vec& x, double h);

// ||a - b|| / max(||a||, ||b||); 0 when both are 0.
double relativeError(const Vec& a, const Vec& b);

struct GradCheckResult {
  std::vector<double> weight_rel_error;  // per layer
  std::vector<double> bias_rel_error;    // per layer
  double max_rel_error = 0;
};

// Compares objectiveAndGradient's gradient with central differences of the objective (X one
// batch out of train_rows rows, 0: the whole set; it matters for LambdaScale::kDataset).
GradCheckResult checkGradient(const nn::Network& net, const Mat& X, std::span<const int> labels,
                              const Objective& objective, double h = 1e-6, long train_rows = 0);

// Distance of the point from the non-differentiable set: the smallest |pre-activation| of a
// ReLU unit over the rows of X, and (for L1 with lambda > 0) the smallest |w|. Finite
// differences with step h are valid when this exceeds h times the largest input magnitude.
double kinkDistance(const nn::Network& net, const Mat& X, const Objective& objective);

}  // namespace nnmip::train
