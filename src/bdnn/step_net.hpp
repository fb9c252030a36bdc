#pragma once
// Conversion of BDNN parameters to an nn::Network, prediction, margin-aware evaluation and
// saving/loading.
//
// Expansion into nn::Network: a hidden layer with the two-level step is one kStep DenseLayer
// (per-neuron lambda, beta, gamma, zero bias). A staircase layer with q units per neuron becomes
// a kStep layer of d_k*q rows (row j*q+t: weights of neuron j, threshold lambda_j + offsets[t],
// beta 0, gamma 1); the next layer's columns are scaled by values[t+1] - values[t] and its bias
// gains values[0] * (row sums of its weights). The output layer is kStep (one neuron, beta 0,
// gamma 1) for OutputMode::kStep, kIdentity otherwise.
#include <string>
#include <vector>

#include "bdnn/options.hpp"
#include "data/dataset.hpp"
#include "nn/network.hpp"

namespace nnmip::bdnn {

nn::Network toNetwork(const BdnnParams& params, const BdnnOptions& options);

// Class per row of X by the one class rule, nn::predictClasses (a single kStep output: 1 iff it
// equals gamma; several outputs: argmax, ties to the lowest index).
std::vector<int> predictBdnn(const nn::Network& net, const Mat& X);

// Forward-pass evaluation of a classifier with the MILP's margin convention (options.hpp).
struct Evaluation {
  int points = 0;
  int errors = 0;         // misclassified by the exact forward pass
  int band_points = 0;    // some step unit has |a - theta| < margin/2 (not MILP-representable)
  int thin_margin = 0;    // argmax output: classified correctly but a_y - a_c < margin for a c
  int margin_errors = 0;  // misclassified, in the band or thin (what the MILP would count)
  double accuracy = 0.0;  // 1 - errors / points
};
Evaluation evaluate(const nn::Network& net, const data::Dataset& set, double margin);

// Regression losses of the forward pass (output 0 against set.target).
struct RegressionEvaluation {
  double l1 = 0.0, linf = 0.0, squared = 0.0;
  int band_points = 0;
};
RegressionEvaluation evaluateRegression(const nn::Network& net, const data::Dataset& set,
                                        double margin);

// Saving: ".onnx" writes ONNX with nn::writeOnnx (the step is encoded as Less + Where, see
// nn/onnx_io.hpp; double precision so thresholds stay exact); any other extension writes our
// JSON format {"format": "nnmip-step-network", "version": 1, "layers": [{"weight": [[..]],
// "bias": [..], "activation": "step"|"identity"|"relu"|"softmax", "lambda": [..], "beta": b,
// "gamma": g}], "meta": {...}} with `meta` free-form (training metadata).
void saveNetwork(const nn::Network& net, const std::string& path,
                 const std::string& meta_json = "{}");
nn::Network loadNetwork(const std::string& path);

}  // namespace nnmip::bdnn
