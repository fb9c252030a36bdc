#pragma once
// ONNX import and export of feed-forward networks (nn::Network).
//
// Import (readOnnx) walks the graph from its single real input to its single output as a chain
// (every non-Constant node must lie on that chain; each intermediate value has exactly one
// consumer) and accepts:
//   - Gemm (transA, transB, alpha, beta; bias C optional and broadcast), with the running value
//     as A (a row vector, [1,K] or [K,1] with transA) or as B (a column vector);
//   - MatMul (value @ W, or W @ value) followed optionally by Add of a constant bias, in either
//     operand order; consecutive affine maps with no activation between them are composed;
//   - Sub / Div / Mul / Add with a constant (scalar or broadcast per element), anywhere on the
//     chain: e.g. input normalisation (ACAS Xu: Sub; ERAN: Sub 0, Div 1) is folded into the next
//     affine layer (W' = W diag(s), b' = W t + b), which is exact up to double rounding;
//     Div(constant, value) is not affine and is rejected;
//   - Relu (kept even after the last affine layer, as in the ERAN network), Softmax (last op
//     only), Flatten, Reshape (constant shape), Identity, Dropout (inference: identity),
//     Constant (value tensor, value_float, value_floats);
//   - the step activation in the standard-op encoding below.
// Weights may be stored as float_data, double_data or raw_data (little-endian), in FLOAT or
// DOUBLE tensors, as initializers or Constant nodes. External-data tensors are rejected.
//
// Step encoding (written by writeOnnx, read back by readOnnx). A step layer
//   sigma(a) = beta if a < lambda else gamma      (per-neuron lambda, per-layer beta, gamma)
// is exported with standard ONNX ops only, so onnxruntime can run it:
//   a    = Gemm(h, W, b)                     (transB = 1)
//   c    = Less(a, lambda)                   lambda: tensor [out]
//   h'   = Where(c, beta, gamma)             beta, gamma: tensors [1]
// The reader also accepts c = GreaterOrEqual(a, lambda) followed by Where(c, gamma, beta).
// lambda, beta and gamma are stored in the export precision like the weights.
//
// Every failure (unreadable, truncated or garbage file, unsupported op, non-constant weight,
// shape mismatch, NaN/Inf weight, non-chain graph) throws nnmip::Error (kIo for an unreadable
// file, kUnsupported for valid ONNX we do not handle, kInvalidInput otherwise) with a single
// line of the form  "<file>: node '<name>' (<op>): <problem>". Unnamed nodes are named "#<i>"
// after their position in the graph.
#include <string>
#include <string_view>

#include "nn/network.hpp"

namespace nnmip::nn {

enum class OnnxPrecision {
  kFloat,   // FLOAT tensors: weights rounded to float32 once (what PyTorch/onnxruntime expect)
  kDouble,  // DOUBLE tensors: weights stored exactly
};

// Reads an ONNX model. The returned network is named after the file stem and has been
// validate()d. The file must be a regular file of at most kMaxOnnxBytes (core/file_io.hpp);
// sizes from the file are checked against overflow and the machine's memory before anything
// is allocated, and running out of memory anyway is Error{kInvalidInput} naming the file.
Network readOnnx(const std::string& path);
// The same on the bytes of a model in memory; `origin` names it in error messages.
Network parseOnnx(std::string_view bytes, const std::string& origin);

// Writes `net` as ONNX (opset 13, IR version 7): input "input" of shape [batch, n], output
// "output" of shape [batch, m]; one Gemm (transB = 1, weights [out, in], raw_data) per layer,
// then Relu / the step encoding / Softmax(axis = -1) as the layer's activation. Initializers are
// named W<i>, b<i> (and lambda<i>, beta<i>, gamma<i>); nodes gemm<i>, relu<i>, ... The file is
// written to "<path>.tmp" and renamed, so a failed write never leaves a half-written model.
// The output is deterministic: equal networks give byte-identical files (the network's name
// is not stored). Throws Error{kInvalidInput} for an invalid network, Error{kIo} on I/O errors.
void writeOnnx(const Network& net, const std::string& path,
               OnnxPrecision precision = OnnxPrecision::kFloat);

}  // namespace nnmip::nn
