#include "nn/forward.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/parallel.hpp"

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

namespace {

// Which branch of predictedClass's rule a last layer takes.
enum class ClassRule { kArgmax, kSign, kStepUpper };

ClassRule classRule(const DenseLayer& last) {
  if (last.outputSize() > 1) return ClassRule::kArgmax;
  switch (last.activation) {
    case Activation::kIdentity: return ClassRule::kSign;
    case Activation::kStep: return ClassRule::kStepUpper;
    case Activation::kRelu:
    case Activation::kSoftmax: break;
  }
  fail(ErrorKind::kUnsupported, "a single {} output has no predicted-class rule",
       activationName(last.activation));
}

template <typename Row>
int classOf(ClassRule rule, const DenseLayer& last, const Row& y) {
  switch (rule) {
    case ClassRule::kArgmax: {
      Eigen::Index best = 0;
      y.maxCoeff(&best);  // Eigen keeps the first index among equal maxima
      return static_cast<int>(best);
    }
    case ClassRule::kSign: return y(0) >= 0.0 ? 1 : 0;
    case ClassRule::kStepUpper: return y(0) == last.step.gamma ? 1 : 0;
  }
  return 0;
}

}  // namespace

int predictedClass(const DenseLayer& last, const Vec& y) {
  NNMIP_CHECK(y.size() == last.outputSize(), "output has size {}, the last layer has {}", y.size(),
              last.outputSize());
  return classOf(classRule(last), last, y);
}

std::vector<int> predictedClasses(const DenseLayer& last, const Mat& Y) {
  NNMIP_CHECK(Y.cols() == last.outputSize(), "outputs have {} columns, the last layer has {}",
              Y.cols(), last.outputSize());
  const ClassRule rule = classRule(last);
  std::vector<int> cls(static_cast<size_t>(Y.rows()));
  for (Eigen::Index i = 0; i < Y.rows(); ++i) {
    cls[static_cast<size_t>(i)] = classOf(rule, last, Y.row(i));
  }
  return cls;
}

std::vector<int> predictClasses(const Network& net, const Mat& X, int threads) {
  NNMIP_CHECK(net.numLayers() > 0, "a network without layers predicts no class");
  constexpr Eigen::Index kRows = 2048;
  const DenseLayer& last = net.layers().back();
  classRule(last);  // refuse before any work
  const Eigen::Index n = X.rows();
  std::vector<int> cls(static_cast<size_t>(n));
  const int chunks = static_cast<int>((n + kRows - 1) / kRows);
  parallelFor(chunks, threads, [&](int c) {
    const Eigen::Index begin = c * kRows;
    const Eigen::Index len = std::min(kRows, n - begin);
    const std::vector<int> part =
        predictedClasses(last, forwardBatch(net, X.middleRows(begin, len)));
    std::copy(part.begin(), part.end(), cls.begin() + begin);
  });
  return cls;
}

}  // namespace nnmip::nn
