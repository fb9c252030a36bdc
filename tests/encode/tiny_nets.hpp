#pragma once
// Small networks and oracles shared by the encode and bounds tests.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "encode/ranges.hpp"
#include "nn/attack.hpp"
#include "nn/forward.hpp"
#include "nn/network.hpp"

namespace nnmip::testnets {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

//   x0 --+--(+1,-1)--> relu --+
//        |                    +--(1, 1)--> y      y = relu(x0 - x1) + relu(x0 + x1)
//   x1 --+--(+1,+1)--> relu --+
inline nn::Network twoReluToy() {
  nn::DenseLayer hidden;
  hidden.weight = (Mat(2, 2) << 1, -1, 1, 1).finished();
  hidden.bias = Vec::Zero(2);
  hidden.activation = nn::Activation::kRelu;
  nn::DenseLayer out;
  out.weight = (Mat(1, 2) << 1, 1).finished();
  out.bias = Vec::Zero(1);
  out.activation = nn::Activation::kIdentity;
  return nn::Network({hidden, out});
}

// Dense net with normal(0, scale/sqrt(in)) weights and small biases; ReLU hidden layers and an
// identity (or ReLU, `final_relu`) output.
inline nn::Network randomNet(const std::vector<int>& sizes, uint64_t seed, bool final_relu = false,
                             double scale = 1.5) {
  Rng rng(seed);
  std::vector<nn::DenseLayer> layers;
  for (size_t i = 1; i < sizes.size(); ++i) {
    nn::DenseLayer l;
    l.weight = Mat(sizes[i], sizes[i - 1]);
    for (Eigen::Index r = 0; r < l.weight.rows(); ++r) {
      for (Eigen::Index c = 0; c < l.weight.cols(); ++c) {
        l.weight(r, c) = rng.normal(0.0, scale / std::sqrt(static_cast<double>(sizes[i - 1])));
      }
    }
    l.bias = Vec(sizes[i]);
    for (Eigen::Index r = 0; r < l.bias.size(); ++r) l.bias[r] = rng.normal(0.0, 0.3);
    const bool last = i + 1 == sizes.size();
    l.activation = (!last || final_relu) ? nn::Activation::kRelu : nn::Activation::kIdentity;
    layers.push_back(std::move(l));
  }
  return nn::Network(std::move(layers));
}

// Inputs of the box: its centre, `uniform` uniform points, `vertices` random vertices, and
// for up to `attack_neurons` neurons per layer the library attack (nn/attack.hpp) minimising and
// maximising the neuron's pre-activation.
inline std::vector<Vec> samplePoints(const nn::Network& net, const encode::Box& box, uint64_t seed,
                                     int uniform, int vertices, int attack_neurons,
                                     int attack_steps = 20) {
  Rng rng(seed);
  const int n = box.size();
  std::vector<Vec> pts;
  pts.push_back(box.center());
  for (int s = 0; s < uniform; ++s) {
    Vec x(n);
    for (int i = 0; i < n; ++i) x[i] = rng.uniform(box.lo[i], box.hi[i]);
    pts.push_back(x);
  }
  for (int s = 0; s < vertices; ++s) {
    Vec x(n);
    for (int i = 0; i < n; ++i) x[i] = (rng.bits() & 1) ? box.hi[i] : box.lo[i];
    pts.push_back(x);
  }
  // The library attack on the network cut after layer k (identity there), pushing one
  // pre-activation up or down.
  for (int k = 0; k < net.numLayers(); ++k) {
    std::vector<nn::DenseLayer> cut(net.layers().begin(), net.layers().begin() + k + 1);
    cut.back().activation = nn::Activation::kIdentity;
    const nn::Network sub(std::move(cut));
    const int m = std::min(attack_neurons, net.layer(k).outputSize());
    for (int q = 0; q < m; ++q) {
      const int j = static_cast<int>(rng.below(static_cast<uint64_t>(net.layer(k).outputSize())));
      for (const double dir : {-1.0, 1.0}) {
        Mat c = Mat::Zero(1, sub.outputSize());
        c(0, j) = dir;
        nn::AttackOptions opt;
        opt.restarts = 2;
        opt.steps = attack_steps;
        opt.step_size = 0.125;
        opt.include_center = false;
        opt.seed = rng.bits();
        pts.push_back(nn::attackMaxLinear(sub, box.lo, box.hi, c, Vec::Zero(1), opt).x);
      }
    }
  }
  return pts;
}

// Largest violation of `b` by the pre-activations of the points (0 when all inside).
inline double maxViolation(const nn::Network& net, const encode::NetworkBounds& b,
                           const std::vector<Vec>& pts) {
  double worst = 0.0;
  for (const Vec& x : pts) {
    const nn::ForwardTrace t = nn::forwardTrace(net, x);
    for (int l = 0; l < net.numLayers(); ++l) {
      const Vec& a = t.pre[static_cast<size_t>(l)];
      const encode::LayerBounds& lb = b.layers[static_cast<size_t>(l)];
      worst = std::max(worst, (lb.lo - a).maxCoeff());
      worst = std::max(worst, (a - lb.hi).maxCoeff());
    }
  }
  return worst;
}

}  // namespace nnmip::testnets
