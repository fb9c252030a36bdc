#include "train/loss.hpp"

#include <cmath>

#include "core/error.hpp"

namespace nnmip::train {

const char* lossName(LossKind kind) {
  switch (kind) {
    case LossKind::kSoftmaxCrossEntropy: return "softmax-ce";
    case LossKind::kBinaryCrossEntropy: return "bce";
  }
  return "?";
}

const char* regularizationName(Regularization kind) {
  switch (kind) {
    case Regularization::kNone: return "none";
    case Regularization::kL1: return "l1";
    case Regularization::kL2: return "l2";
  }
  return "?";
}

Regularization parseRegularization(const std::string& text) {
  if (text == "none") return Regularization::kNone;
  if (text == "l1") return Regularization::kL1;
  if (text == "l2") return Regularization::kL2;
  fail(ErrorKind::kInvalidInput, "unknown regularization '{}' (expected none, l1 or l2)", text);
}

const char* lambdaScaleName(LambdaScale scale) {
  switch (scale) {
    case LambdaScale::kMean: return "mean";
    case LambdaScale::kSum: return "sum";
    case LambdaScale::kDataset: return "dataset";
  }
  return "?";
}

LambdaScale parseLambdaScale(const std::string& text) {
  if (text == "mean") return LambdaScale::kMean;
  if (text == "sum") return LambdaScale::kSum;
  if (text == "dataset") return LambdaScale::kDataset;
  fail(ErrorKind::kInvalidInput, "unknown lambda scale '{}' (expected mean, sum or dataset)", text);
}

double stepLambda(double lambda, LambdaScale scale, long batch_rows, long train_rows) {
  NNMIP_CHECK(batch_rows > 0 && train_rows > 0, "empty batch or training set");
  switch (scale) {
    case LambdaScale::kMean: return lambda;
    case LambdaScale::kSum: return lambda / static_cast<double>(batch_rows);
    case LambdaScale::kDataset: return lambda / static_cast<double>(train_rows);
  }
  fail(ErrorKind::kInternal, "unknown lambda scale");
}

namespace {

void checkLabels(const Eigen::Ref<const Mat>& logits, std::span<const int> labels) {
  if (static_cast<Eigen::Index>(labels.size()) != logits.rows()) {
    fail(ErrorKind::kInvalidInput, "{} labels for a batch of {} samples", labels.size(),
         logits.rows());
  }
  const int k = logits.cols() == 1 ? 2 : static_cast<int>(logits.cols());
  for (const int y : labels) {
    if (y < 0 || y >= k) {
      fail(ErrorKind::kInvalidInput, "label {} outside [0, {}) for {} output(s)", y, k,
           logits.cols());
    }
  }
}

// -log softmax(z)_y per row, summed; gradient scale * (softmax(z) - onehot(y)).
double softmaxSum(const Eigen::Ref<const Mat>& z, std::span<const int> labels, double scale,
                  Mat* grad) {
  if (grad) grad->resize(z.rows(), z.cols());
  double total = 0.0;
  Eigen::RowVectorXd e(z.cols());
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const double m = z.row(i).maxCoeff();
    e = (z.row(i).array() - m).exp().matrix();
    const double s = e.sum();
    const int y = labels[static_cast<size_t>(i)];
    total += std::log(s) + m - z(i, y);
    if (grad) {
      grad->row(i) = e * (scale / s);
      (*grad)(i, y) -= scale;
    }
  }
  return total;
}

// BCE with logits: softplus(z) - y z, gradient scale * (sigmoid(z) - y).
double sigmoidSum(const Eigen::Ref<const Mat>& z, std::span<const int> labels, double scale,
                  Mat* grad) {
  if (grad) grad->resize(z.rows(), 1);
  double total = 0.0;
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const double v = z(i, 0);
    const double y = labels[static_cast<size_t>(i)];
    total += std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v))) - y * v;
    if (grad) {
      const double p = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
      (*grad)(i, 0) = scale * (p - y);
    }
  }
  return total;
}

}  // namespace

double lossSum(LossKind kind, const Eigen::Ref<const Mat>& logits, std::span<const int> labels,
               double scale, Mat* grad) {
  checkLabels(logits, labels);
  switch (kind) {
    case LossKind::kSoftmaxCrossEntropy:
      if (logits.cols() < 2) {
        fail(ErrorKind::kInvalidInput, "softmax cross-entropy needs at least 2 outputs, got {}",
             logits.cols());
      }
      return softmaxSum(logits, labels, scale, grad);
    case LossKind::kBinaryCrossEntropy:
      if (logits.cols() == 1) return sigmoidSum(logits, labels, scale, grad);
      if (logits.cols() == 2) return softmaxSum(logits, labels, scale, grad);
      fail(ErrorKind::kInvalidInput, "binary cross-entropy needs 1 or 2 outputs, got {}",
           logits.cols());
  }
  fail(ErrorKind::kInternal, "unknown loss kind");
}

double softmaxCrossEntropy(const Mat& logits, std::span<const int> labels, Mat* grad) {
  NNMIP_CHECK(logits.rows() > 0, "empty batch");
  const double n = static_cast<double>(logits.rows());
  return lossSum(LossKind::kSoftmaxCrossEntropy, logits, labels, 1.0 / n, grad) / n;
}

double binaryCrossEntropy(const Mat& logits, std::span<const int> labels, Mat* grad) {
  NNMIP_CHECK(logits.rows() > 0, "empty batch");
  const double n = static_cast<double>(logits.rows());
  return lossSum(LossKind::kBinaryCrossEntropy, logits, labels, 1.0 / n, grad) / n;
}

double penaltyValue(const nn::Network& net, Regularization kind, double lambda) {
  if (kind == Regularization::kNone || lambda == 0.0) return 0.0;
  double s = 0.0;
  for (const nn::DenseLayer& l : net.layers()) {
    s += kind == Regularization::kL1 ? l.weight.cwiseAbs().sum() : l.weight.squaredNorm();
  }
  return lambda * s;
}

void addPenaltyGradient(const Mat& w, Regularization kind, double lambda, Mat& grad) {
  if (kind == Regularization::kNone || lambda == 0.0) return;
  NNMIP_CHECK(grad.rows() == w.rows() && grad.cols() == w.cols(), "gradient shape mismatch");
  if (kind == Regularization::kL1) {
    grad.array() += lambda * w.array().sign();  // sign(0) = 0
  } else {
    grad.array() += (2.0 * lambda) * w.array();
  }
}

}  // namespace nnmip::train
