#include "data/dataset.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace nnmip::data {

Dataset Dataset::subset(const std::vector<int>& rows) const {
  Dataset out;
  out.name = name;
  out.num_classes = num_classes;
  out.image_height = image_height;
  out.image_width = image_width;
  out.X.resize(static_cast<Eigen::Index>(rows.size()), X.cols());
  if (!y.empty()) out.y.reserve(rows.size());
  if (target.size() > 0) out.target.resize(static_cast<Eigen::Index>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const int r = rows[i];
    NNMIP_CHECK(r >= 0 && r < size(), "row {} out of range [0, {})", r, size());
    out.X.row(static_cast<Eigen::Index>(i)) = X.row(r);
    if (!y.empty()) out.y.push_back(y[static_cast<size_t>(r)]);
    if (target.size() > 0) out.target(static_cast<Eigen::Index>(i)) = target(r);
  }
  return out;
}

Dataset Dataset::head(int n) const {
  std::vector<int> rows(static_cast<size_t>(std::min(n, size())));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
  return subset(rows);
}

Split shuffleSplit(const Dataset& all, double train_fraction, uint64_t seed) {
  if (!(train_fraction > 0.0 && train_fraction < 1.0)) {
    fail(ErrorKind::kInvalidInput, "train fraction {} must lie strictly between 0 and 1",
         train_fraction);
  }
  Rng rng(seed);
  const std::vector<int> perm = rng.permutation(all.size());
  const auto n_train = static_cast<size_t>(std::lround(train_fraction * all.size()));
  Split s;
  s.train = all.subset(std::vector<int>(perm.begin(), perm.begin() + static_cast<long>(n_train)));
  s.test = all.subset(std::vector<int>(perm.begin() + static_cast<long>(n_train), perm.end()));
  return s;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
  NNMIP_CHECK(predicted.size() == labels.size(), "{} predictions for {} labels", predicted.size(),
              labels.size());
  if (labels.empty()) return 0.0;
  size_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace nnmip::data
