#include "train/gradcheck.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "nn/forward.hpp"

namespace nnmip::train {

Vec flattenParameters(const nn::Network& net) {
  Vec theta(net.parameterCount());
  Eigen::Index k = 0;
  for (const nn::DenseLayer& l : net.layers()) {
    theta.segment(k, l.weight.size()) = l.weight.reshaped();
    k += l.weight.size();
    theta.segment(k, l.bias.size()) = l.bias;
    k += l.bias.size();
  }
  return theta;
}

void setParameters(nn::Network& net, const Vec& theta) {
  NNMIP_CHECK(theta.size() == net.parameterCount(), "{} parameters for a network with {}",
              theta.size(), net.parameterCount());
  Eigen::Index k = 0;
  for (nn::DenseLayer& l : net.mutableLayers()) {
    l.weight.reshaped() = theta.segment(k, l.weight.size());
    k += l.weight.size();
    l.bias = theta.segment(k, l.bias.size());
    k += l.bias.size();
  }
}

Vec flattenGradients(const Gradients& g) {
  Eigen::Index n = 0;
  for (size_t l = 0; l < g.weight.size(); ++l) n += g.weight[l].size() + g.bias[l].size();
  Vec out(n);
  Eigen::Index k = 0;
  for (size_t l = 0; l < g.weight.size(); ++l) {
    out.segment(k, g.weight[l].size()) = g.weight[l].reshaped();
    k += g.weight[l].size();
    out.segment(k, g.bias[l].size()) = g.bias[l];
    k += g.bias[l].size();
  }
  return out;
}

Vec centralDifferences(const std::function<double(const Vec&)>& f, const Vec& x, double h) {
  Vec g(x.size());
  Vec p = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    p(i) = x(i) + h;
    const double up = f(p);
    p(i) = x(i) - h;
    const double down = f(p);
    p(i) = x(i);
    g(i) = (up - down) / (2.0 * h);
  }
  return g;
}

double relativeError(const Vec& a, const Vec& b) {
  const double scale = std::max(a.norm(), b.norm());
  if (scale == 0.0) return 0.0;
  return (a - b).norm() / scale;
}

GradCheckResult checkGradient(const nn::Network& net, const Mat& X, std::span<const int> labels,
                              const Objective& objective, double h, long train_rows) {
  Gradients analytic;
  objectiveAndGradient(net, X, labels, objective, &analytic, train_rows);
  nn::Network work = net;
  const Vec numeric = centralDifferences(
      [&](const Vec& theta) {
        setParameters(work, theta);
        return objectiveAndGradient(work, X, labels, objective, nullptr, train_rows);
      },
      flattenParameters(net), h);
  GradCheckResult r;
  Eigen::Index k = 0;
  for (size_t l = 0; l < analytic.weight.size(); ++l) {
    const Eigen::Index nw = analytic.weight[l].size();
    const Eigen::Index nb = analytic.bias[l].size();
    r.weight_rel_error.push_back(
        relativeError(analytic.weight[l].reshaped(), numeric.segment(k, nw)));
    k += nw;
    r.bias_rel_error.push_back(relativeError(analytic.bias[l], numeric.segment(k, nb)));
    k += nb;
    r.max_rel_error =
        std::max({r.max_rel_error, r.weight_rel_error.back(), r.bias_rel_error.back()});
  }
  return r;
}

double kinkDistance(const nn::Network& net, const Mat& X, const Objective& objective) {
  double d = std::numeric_limits<double>::infinity();
  const nn::BatchTrace t = nn::forwardBatchTrace(net, X);
  for (int l = 0; l < net.numLayers(); ++l) {
    if (net.layer(l).activation == nn::Activation::kRelu) {
      d = std::min(d, t.pre[static_cast<size_t>(l)].cwiseAbs().minCoeff());
    }
  }
  if (objective.reg == Regularization::kL1 && objective.lambda > 0.0) {
    for (const nn::DenseLayer& l : net.layers()) d = std::min(d, l.weight.cwiseAbs().minCoeff());
  }
  return d;
}

}  // namespace nnmip::train
