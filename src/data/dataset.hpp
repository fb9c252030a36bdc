#pragma once
// A labelled data set: one sample per row of X, integer class labels (or real targets).
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace nnmip::data {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

struct Dataset {
  std::string name;
  Mat X;               // n_samples x n_features
  std::vector<int> y;  // class labels 0..num_classes-1 (empty for regression)
  Vec target;          // real targets for regression (empty for classification)
  int num_classes = 0;
  // For images: height x width (0 when not an image data set).
  int image_height = 0;
  int image_width = 0;

  int size() const { return static_cast<int>(X.rows()); }
  int features() const { return static_cast<int>(X.cols()); }
  // Rows selected by index, in the given order.
  Dataset subset(const std::vector<int>& rows) const;
  // The first n rows.
  Dataset head(int n) const;
};

struct Split {
  Dataset train;
  Dataset test;
};

// Seeded shuffle then split: the first round(train_fraction*n) shuffled rows train, the rest test.
Split shuffleSplit(const Dataset& all, double train_fraction, uint64_t seed);

// Accuracy of predicted classes against labels.
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels);

}  // namespace nnmip::data
