#include "nn/network.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace nnmip::nn {

const char* activationName(Activation activation) {
  switch (activation) {
    case Activation::kIdentity: return "identity";
    case Activation::kRelu: return "relu";
    case Activation::kStep: return "step";
    case Activation::kSoftmax: return "softmax";
  }
  return "?";
}

Network::Network(std::vector<DenseLayer> layers) {
  for (auto& layer : layers) addLayer(std::move(layer));
}

void Network::addLayer(DenseLayer layer) {
  if (!layers_.empty() && layer.inputSize() != outputSize()) {
    fail(ErrorKind::kInvalidInput, "layer {} expects {} inputs but the previous layer has {}",
         layers_.size(), layer.inputSize(), outputSize());
  }
  if (layer.bias.size() == 0) layer.bias = Vec::Zero(layer.outputSize());
  if (layer.activation == Activation::kStep && layer.step.lambda.size() == 0) {
    layer.step.lambda = Vec::Zero(layer.outputSize());
  }
  layers_.push_back(std::move(layer));
}

int Network::inputSize() const { return layers_.empty() ? 0 : layers_.front().inputSize(); }
int Network::outputSize() const { return layers_.empty() ? 0 : layers_.back().outputSize(); }

std::vector<int> Network::sizes() const {
  std::vector<int> s;
  s.push_back(inputSize());
  for (const auto& l : layers_) s.push_back(l.outputSize());
  return s;
}

long Network::parameterCount() const {
  long n = 0;
  for (const auto& l : layers_) n += l.weight.size() + l.bias.size();
  return n;
}

long Network::weightCount() const {
  long n = 0;
  for (const auto& l : layers_) n += l.weight.size();
  return n;
}

long Network::zeroWeightCount() const {
  long n = 0;
  for (const auto& l : layers_) n += (l.weight.array() == 0.0).count();
  return n;
}

int Network::hiddenReluCount() const {
  int n = 0;
  for (const auto& l : layers_) {
    if (l.activation == Activation::kRelu) n += l.outputSize();
  }
  return n;
}

void Network::validate(const std::string& origin) const {
  if (layers_.empty()) fail(ErrorKind::kInvalidInput, "{}: network has no layers", origin);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const DenseLayer& l = layers_[i];
    if (l.bias.size() != l.outputSize()) {
      fail(ErrorKind::kInvalidInput, "{}: layer {} has {} outputs but a bias of size {}", origin, i,
           l.outputSize(), l.bias.size());
    }
    if (i > 0 && l.inputSize() != layers_[i - 1].outputSize()) {
      fail(ErrorKind::kInvalidInput, "{}: layer {} expects {} inputs, previous layer gives {}",
           origin, i, l.inputSize(), layers_[i - 1].outputSize());
    }
    if (!l.weight.allFinite() || !l.bias.allFinite()) {
      fail(ErrorKind::kInvalidInput, "{}: layer {} has NaN or infinite parameters", origin, i);
    }
    if (l.activation == Activation::kStep) {
      if (l.step.lambda.size() != l.outputSize() || !l.step.lambda.allFinite() ||
          !std::isfinite(l.step.beta) || !std::isfinite(l.step.gamma)) {
        fail(ErrorKind::kInvalidInput, "{}: layer {} has invalid step parameters", origin, i);
      }
    }
    if (l.activation == Activation::kSoftmax && i + 1 != layers_.size()) {
      fail(ErrorKind::kInvalidInput, "{}: softmax is only supported on the last layer", origin);
    }
  }
}

std::string summarize(const Network& net) {
  std::string out;
  out += fmt::format("network {}: {} inputs -> {} outputs, {} layers, {} parameters\n",
                     net.name.empty() ? "(unnamed)" : net.name, net.inputSize(), net.outputSize(),
                     net.numLayers(), net.parameterCount());
  out += fmt::format("{:>5}  {:>6}  {:>6}  {:<9}  {:>10}  {:>8}\n", "layer", "in", "out", "act",
                     "weights", "zero%");
  for (int i = 0; i < net.numLayers(); ++i) {
    const DenseLayer& l = net.layer(i);
    const double zero = l.weight.size() == 0
                            ? 0.0
                            : 100.0 * static_cast<double>((l.weight.array() == 0.0).count()) /
                                  static_cast<double>(l.weight.size());
    out += fmt::format("{:>5}  {:>6}  {:>6}  {:<9}  {:>10}  {:>7.2f}%\n", i, l.inputSize(),
                       l.outputSize(), activationName(l.activation), l.weight.size(), zero);
  }
  const double total_zero = net.weightCount() == 0
                                ? 0.0
                                : 100.0 * static_cast<double>(net.zeroWeightCount()) /
                                      static_cast<double>(net.weightCount());
  out += fmt::format("hidden ReLUs: {}, weight sparsity: {:.2f}%\n", net.hiddenReluCount(),
                     total_zero);
  return out;
}

}  // namespace nnmip::nn
