#include "train/backprop.hpp"

#include "core/error.hpp"
#include "nn/forward.hpp"

namespace nnmip::train {

Gradients Gradients::zerosLike(const nn::Network& net) {
  Gradients g;
  for (const nn::DenseLayer& l : net.layers()) {
    g.weight.push_back(Mat::Zero(l.weight.rows(), l.weight.cols()));
    g.bias.push_back(Vec::Zero(l.bias.size()));
  }
  return g;
}

Gradients& Gradients::operator+=(const Gradients& other) {
  NNMIP_CHECK(weight.size() == other.weight.size(), "gradient layer count mismatch");
  for (size_t l = 0; l < weight.size(); ++l) {
    weight[l] += other.weight[l];
    bias[l] += other.bias[l];
  }
  return *this;
}

void checkTrainable(const nn::Network& net) {
  if (net.numLayers() == 0) fail(ErrorKind::kInvalidInput, "cannot train a network with no layers");
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::Activation a = net.layer(l).activation;
    const bool last = l + 1 == net.numLayers();
    const bool ok = last ? (a == nn::Activation::kIdentity || a == nn::Activation::kSoftmax)
                         : (a == nn::Activation::kIdentity || a == nn::Activation::kRelu);
    if (!ok) {
      fail(ErrorKind::kUnsupported,
           "the trainer supports ReLU/identity hidden layers and an identity/softmax output; "
           "layer {} is {}",
           l, nn::activationName(a));
    }
  }
}

double dataLossSum(const nn::Network& net, const Eigen::Ref<const Mat>& X,
                   std::span<const int> labels, LossKind loss, double scale, Gradients* grad,
                   long* correct) {
  const int L = net.numLayers();
  NNMIP_CHECK(X.cols() == net.inputSize(), "batch has {} columns, network expects {}", X.cols(),
              net.inputSize());
  // Forward: keep each layer's output (post-activation; the last one holds the logits).
  std::vector<Mat> post(static_cast<size_t>(L));
  for (int l = 0; l < L; ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    Mat& a = post[static_cast<size_t>(l)];
    if (l == 0) {
      a.noalias() = X * layer.weight.transpose();
    } else {
      a.noalias() = post[static_cast<size_t>(l - 1)] * layer.weight.transpose();
    }
    a.rowwise() += layer.bias.transpose();
    if (l + 1 < L && layer.activation == nn::Activation::kRelu) a = a.cwiseMax(0.0);
  }
  const Mat& logits = post.back();
  if (correct) {
    // The logits of an identity or softmax output give the same class as its output.
    const std::vector<int> predicted = nn::predictedClasses(net.layers().back(), logits);
    long c = 0;
    for (size_t i = 0; i < predicted.size(); ++i) c += predicted[i] == labels[i];
    *correct = c;
  }
  if (!grad) return lossSum(loss, logits, labels, scale, nullptr);

  Mat delta;  // d(scaled sum)/d(pre-activation of layer l), n x out
  const double total = lossSum(loss, logits, labels, scale, &delta);
  grad->weight.resize(static_cast<size_t>(L));
  grad->bias.resize(static_cast<size_t>(L));
  for (int l = L - 1; l >= 0; --l) {
    const auto li = static_cast<size_t>(l);
    const nn::DenseLayer& layer = net.layer(l);
    if (l == 0) {
      grad->weight[li].noalias() = delta.transpose() * X;
    } else {
      grad->weight[li].noalias() = delta.transpose() * post[li - 1];
    }
    grad->bias[li] = delta.colwise().sum().transpose();
    if (l == 0) break;
    Mat upstream;
    upstream.noalias() = delta * layer.weight;  // n x in = d/d(output of layer l-1)
    if (net.layer(l - 1).activation == nn::Activation::kRelu) {
      // post > 0 exactly where the pre-activation is > 0 (derivative 0 at the kink).
      upstream.array() *= (post[li - 1].array() > 0.0).cast<double>();
    }
    delta = std::move(upstream);
  }
  return total;
}

double objectiveAndGradient(const nn::Network& net, const Mat& X, std::span<const int> labels,
                            const Objective& objective, Gradients* grad, long train_rows) {
  checkTrainable(net);
  NNMIP_CHECK(X.rows() > 0, "empty batch");
  const double n = static_cast<double>(X.rows());
  const double lambda = stepLambda(objective.lambda, objective.scale, X.rows(),
                                   train_rows > 0 ? train_rows : X.rows());
  double value = dataLossSum(net, X, labels, objective.loss, 1.0 / n, grad) / n;
  value += penaltyValue(net, objective.reg, lambda);
  if (grad) {
    for (int l = 0; l < net.numLayers(); ++l) {
      addPenaltyGradient(net.layer(l).weight, objective.reg, lambda,
                         grad->weight[static_cast<size_t>(l)]);
    }
  }
  return value;
}

}  // namespace nnmip::train
