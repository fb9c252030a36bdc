#pragma once
// Adam and SGD (with momentum) as PyTorch defines them (torch.optim.Adam / SGD, no weight
// decay, no dampening, no Nesterov).
#include <string>

#include "nn/network.hpp"
#include "train/backprop.hpp"

namespace nnmip::train {

enum class OptimizerKind { kAdam, kSgd };

const char* optimizerName(OptimizerKind kind);
// "adam" | "sgd"; throws Error{kInvalidInput} otherwise.
OptimizerKind parseOptimizer(const std::string& text);

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double lr = 1e-3;
  double beta1 = 0.9;     // Adam
  double beta2 = 0.999;   // Adam
  double eps = 1e-8;      // Adam
  double momentum = 0.0;  // SGD
};

// Moment estimates (Adam: first = m, second = v; SGD: first = momentum buffer).
struct OptimizerState {
  long step = 0;
  Gradients first;
  Gradients second;
};

class Optimizer {
 public:
  Optimizer(const nn::Network& net, const OptimizerOptions& options);

  // One update with gradient g. When update_bias is false biases are left untouched.
  void step(nn::Network& net, const Gradients& g, bool update_bias);

  const OptimizerOptions& options() const { return options_; }
  const OptimizerState& state() const { return state_; }
  OptimizerState& mutableState() { return state_; }

 private:
  OptimizerOptions options_;
  OptimizerState state_;
};

}  // namespace nnmip::train
