#include "nn/stack.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace nnmip::nn {
namespace {

// The original layer a network of depth `depth` holds at stack layer s of `total` layers (-1:
// an identity padding layer after its last hidden layer).
int originalLayer(int depth, int total, int s) {
  if (s == total - 1) return depth - 1;
  if (s < depth - 1) return s;
  return -1;
}

// Width of the block at stack layer s.
int blockWidth(const Network& net, int total, int s) {
  const int orig = originalLayer(net.numLayers(), total, s);
  if (orig >= 0) return net.layer(orig).outputSize();
  return net.layer(net.numLayers() - 2).outputSize();  // padding keeps the last hidden width
}

void checkShape(const Network& net, const char* which) {
  if (net.numLayers() < 1) fail(ErrorKind::kInvalidInput, "stack: network {} has no layers", which);
  for (int l = 0; l + 1 < net.numLayers(); ++l) {
    if (net.layer(l).activation != Activation::kRelu) {
      fail(ErrorKind::kUnsupported, "stack: network {} layer {} is {}, hidden layers must be relu",
           which, l + 1, activationName(net.layer(l).activation));
    }
  }
  const Activation last = net.layers().back().activation;
  if (last == Activation::kStep) {
    fail(ErrorKind::kUnsupported, "stack: network {} ends in a step layer", which);
  }
}

}  // namespace

int64_t stackedBytes(const Network& a, const Network& b) {
  const int total = std::max(a.numLayers(), b.numLayers());
  int64_t bytes = 0;
  int64_t cols = a.inputSize();
  for (int s = 0; s < total; ++s) {
    const int64_t rows = blockWidth(a, total, s) + blockWidth(b, total, s);
    bytes += (rows * cols + rows) * static_cast<int64_t>(sizeof(double));
    cols = rows;
  }
  return bytes;
}

StackedNetwork stackNetworks(const Network& a, const Network& b, const StackOptions& options) {
  checkShape(a, "A");
  checkShape(b, "B");
  if (a.inputSize() != b.inputSize()) {
    fail(ErrorKind::kInvalidInput, "stack: networks read {} and {} inputs", a.inputSize(),
         b.inputSize());
  }
  const bool relu_a = a.layers().back().activation == Activation::kRelu;
  const bool relu_b = b.layers().back().activation == Activation::kRelu;
  if (relu_a != relu_b) {
    fail(ErrorKind::kUnsupported, "stack: only one of the networks ends in a relu layer");
  }
  const int total = std::max(a.numLayers(), b.numLayers());
  if (a.numLayers() != b.numLayers() && std::min(a.numLayers(), b.numLayers()) < 2) {
    fail(ErrorKind::kUnsupported,
         "stack: a network without hidden layers cannot be padded to the other's depth");
  }
  const int64_t bytes = stackedBytes(a, b);
  if (bytes > options.max_bytes) {
    fail(ErrorKind::kInvalidInput,
         "stack: the stacked network would take {} MB of dense weights (limit {} MB; depths {} "
         "and {})",
         bytes >> 20, options.max_bytes >> 20, a.numLayers(), b.numLayers());
  }

  StackedNetwork out;
  out.outputs_a = a.outputSize();
  out.outputs_b = b.outputSize();
  out.softmax_a = a.layers().back().activation == Activation::kSoftmax;
  out.softmax_b = b.layers().back().activation == Activation::kSoftmax;
  out.depth_a = a.numLayers();
  out.depth_b = b.numLayers();
  std::vector<DenseLayer> layers;
  int cols_a = a.inputSize(), cols_b = b.inputSize();  // widths of the previous blocks
  for (int s = 0; s < total; ++s) {
    const int la = originalLayer(a.numLayers(), total, s);
    const int lb = originalLayer(b.numLayers(), total, s);
    const int wa = blockWidth(a, total, s), wb = blockWidth(b, total, s);
    DenseLayer layer;
    const int cols = s == 0 ? a.inputSize() : cols_a + cols_b;
    layer.weight = Mat::Zero(wa + wb, cols);
    layer.bias = Vec::Zero(wa + wb);
    const int col_b = s == 0 ? 0 : cols_a;  // layer 0: both blocks read x
    if (la >= 0) {
      layer.weight.block(0, 0, wa, cols_a) = a.layer(la).weight;
      layer.bias.head(wa) = a.layer(la).bias;
    } else {
      layer.weight.block(0, 0, wa, cols_a).setIdentity();
    }
    if (lb >= 0) {
      layer.weight.block(wa, col_b, wb, cols_b) = b.layer(lb).weight;
      layer.bias.tail(wb) = b.layer(lb).bias;
    } else {
      layer.weight.block(wa, col_b, wb, cols_b).setIdentity();
    }
    const bool last = s == total - 1;
    layer.activation = !last    ? Activation::kRelu
                       : relu_a ? Activation::kRelu
                                : Activation::kIdentity;
    layers.push_back(std::move(layer));
    out.offset_b.push_back(wa);
    out.layer_a.push_back(la);
    out.layer_b.push_back(lb);
    cols_a = wa;
    cols_b = wb;
  }
  out.net = Network(std::move(layers));
  out.net.name = a.name + "+" + b.name;
  return out;
}

}  // namespace nnmip::nn
