#include "train/optimizer.hpp"

#include <cmath>

#include "core/error.hpp"

namespace nnmip::train {

const char* optimizerName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kSgd: return "sgd";
  }
  return "?";
}

OptimizerKind parseOptimizer(const std::string& text) {
  if (text == "adam") return OptimizerKind::kAdam;
  if (text == "sgd") return OptimizerKind::kSgd;
  fail(ErrorKind::kInvalidInput, "unknown optimizer '{}' (expected adam or sgd)", text);
}

Optimizer::Optimizer(const nn::Network& net, const OptimizerOptions& options) : options_(options) {
  if (!(options.lr > 0.0) || !std::isfinite(options.lr)) {
    fail(ErrorKind::kInvalidInput, "learning rate must be positive, got {}", options.lr);
  }
  if (!(options.beta1 >= 0.0 && options.beta1 < 1.0 && options.beta2 >= 0.0 &&
        options.beta2 < 1.0)) {
    fail(ErrorKind::kInvalidInput, "Adam betas must lie in [0, 1), got {} and {}", options.beta1,
         options.beta2);
  }
  if (!(options.momentum >= 0.0 && options.momentum < 1.0)) {
    fail(ErrorKind::kInvalidInput, "momentum must lie in [0, 1), got {}", options.momentum);
  }
  state_.first = Gradients::zerosLike(net);
  if (options.kind == OptimizerKind::kAdam) state_.second = Gradients::zerosLike(net);
}

namespace {

template <typename Param, typename Grad>
void adamUpdate(Param& w, const Grad& g, Param& m, Param& v, const OptimizerOptions& o, double bc1,
                double bc2) {
  m = o.beta1 * m + (1.0 - o.beta1) * g;
  v.array() = o.beta2 * v.array() + (1.0 - o.beta2) * g.array().square();
  const double step_size = o.lr / bc1;
  const double inv_sqrt_bc2 = 1.0 / std::sqrt(bc2);
  w.array() -= step_size * m.array() / (v.array().sqrt() * inv_sqrt_bc2 + o.eps);
}

template <typename Param, typename Grad>
void sgdUpdate(Param& w, const Grad& g, Param& buf, const OptimizerOptions& o, bool first) {
  if (o.momentum == 0.0) {
    w -= o.lr * g;
    return;
  }
  if (first) {
    buf = g;
  } else {
    buf = o.momentum * buf + g;
  }
  w -= o.lr * buf;
}

}  // namespace

void Optimizer::step(nn::Network& net, const Gradients& g, bool update_bias) {
  NNMIP_CHECK(static_cast<int>(g.weight.size()) == net.numLayers(),
              "gradient has {} layers, network {}", g.weight.size(), net.numLayers());
  ++state_.step;
  const double t = static_cast<double>(state_.step);
  const double bc1 = 1.0 - std::pow(options_.beta1, t);
  const double bc2 = 1.0 - std::pow(options_.beta2, t);
  auto& layers = net.mutableLayers();
  for (size_t l = 0; l < layers.size(); ++l) {
    nn::DenseLayer& layer = layers[l];
    if (options_.kind == OptimizerKind::kAdam) {
      adamUpdate(layer.weight, g.weight[l], state_.first.weight[l], state_.second.weight[l],
                 options_, bc1, bc2);
      if (update_bias) {
        adamUpdate(layer.bias, g.bias[l], state_.first.bias[l], state_.second.bias[l], options_,
                   bc1, bc2);
      }
    } else {
      const bool first = state_.step == 1;
      sgdUpdate(layer.weight, g.weight[l], state_.first.weight[l], options_, first);
      if (update_bias) sgdUpdate(layer.bias, g.bias[l], state_.first.bias[l], options_, first);
    }
  }
}

}  // namespace nnmip::train
