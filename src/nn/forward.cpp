#include "nn/forward.hpp"

#include "core/error.hpp"

namespace nnmip::nn {
namespace {

// Applies the activation to each row of a batch of pre-activations (n_samples x width).
void activateRows(const DenseLayer& layer, Mat& a) {
  switch (layer.activation) {
    case Activation::kIdentity: return;
    case Activation::kRelu: a = a.cwiseMax(0.0); return;
    case Activation::kStep:
      for (Eigen::Index j = 0; j < a.cols(); ++j) {
        const double lambda = layer.step.lambda(j);
        for (Eigen::Index i = 0; i < a.rows(); ++i) {
          a(i, j) = a(i, j) < lambda ? layer.step.beta : layer.step.gamma;
        }
      }
      return;
    case Activation::kSoftmax:
      for (Eigen::Index i = 0; i < a.rows(); ++i) {
        const double m = a.row(i).maxCoeff();
        a.row(i) = (a.row(i).array() - m).exp().matrix();
        a.row(i) /= a.row(i).sum();
      }
      return;
  }
}

}  // namespace

Vec applyActivation(const DenseLayer& layer, const Vec& pre) {
  Mat row = pre.transpose();
  activateRows(layer, row);
  return row.transpose();
}

ForwardTrace forwardTrace(const Network& net, const Vec& x) {
  NNMIP_CHECK(x.size() == net.inputSize(), "input has size {}, network expects {}", x.size(),
              net.inputSize());
  ForwardTrace t;
  t.input = x;
  const Vec* h = &t.input;
  for (const DenseLayer& layer : net.layers()) {
    Vec a = layer.weight * *h + layer.bias;
    t.post.push_back(applyActivation(layer, a));
    t.pre.push_back(std::move(a));
    h = &t.post.back();
  }
  return t;
}

Vec forward(const Network& net, const Vec& x) { return forwardTrace(net, x).output(); }

BatchTrace forwardBatchTrace(const Network& net, const Mat& X) {
  NNMIP_CHECK(X.cols() == net.inputSize(), "batch has {} columns, network expects {}", X.cols(),
              net.inputSize());
  BatchTrace t;
  const Mat* h = &X;
  for (const DenseLayer& layer : net.layers()) {
    Mat a = *h * layer.weight.transpose();
    a.rowwise() += layer.bias.transpose();
    Mat post = a;
    activateRows(layer, post);
    t.pre.push_back(std::move(a));
    t.post.push_back(std::move(post));
    h = &t.post.back();
  }
  return t;
}

Mat forwardBatch(const Network& net, const Mat& X) {
  NNMIP_CHECK(X.cols() == net.inputSize(), "batch has {} columns, network expects {}", X.cols(),
              net.inputSize());
  Mat h = X;
  for (const DenseLayer& layer : net.layers()) {
    Mat a = h * layer.weight.transpose();
    a.rowwise() += layer.bias.transpose();
    activateRows(layer, a);
    h = std::move(a);
  }
  return h;
}

std::vector<int> predictClasses(const Network& net, const Mat& X) {
  const Mat out = forwardBatch(net, X);
  std::vector<int> cls(static_cast<size_t>(out.rows()));
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    Eigen::Index best = 0;
    out.row(i).maxCoeff(&best);
    cls[static_cast<size_t>(i)] = static_cast<int>(best);
  }
  return cls;
}

}  // namespace nnmip::nn
