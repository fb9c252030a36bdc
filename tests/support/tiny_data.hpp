#pragma once
// Small seeded data sets shared by the tests (same recipe, same data on every platform).
#include <cstdint>

#include "core/rng.hpp"
#include "data/dataset.hpp"

namespace nnmip::support {

// n points uniform on [-1, 1]^d with labels drawn uniformly from {0, ..., classes - 1}.
inline data::Dataset randomLabelledData(int n, int d, int classes, uint64_t seed) {
  Rng rng(seed);
  data::Dataset ds;
  ds.X.resize(n, d);
  for (int i = 0; i < n; ++i) {
    for (int l = 0; l < d; ++l) ds.X(i, l) = rng.uniform(-1.0, 1.0);
    ds.y.push_back(static_cast<int>(rng.below(static_cast<uint64_t>(classes))));
  }
  ds.num_classes = classes;
  return ds;
}

// Alternating classes: class 0 uniform on [0, 0.6]^d, class 1 uniform on [0.4, 1]^d (the
// Bah & Kurtz "two overlapping regions" reading, in small).
inline data::Dataset overlapBoxesData(int n, int d, uint64_t seed) {
  Rng rng(seed);
  data::Dataset ds;
  ds.X.resize(n, d);
  for (int i = 0; i < n; ++i) {
    const int y = i % 2;
    for (int l = 0; l < d; ++l) ds.X(i, l) = y == 0 ? rng.uniform(0.0, 0.6) : rng.uniform(0.4, 1.0);
    ds.y.push_back(y);
  }
  ds.num_classes = 2;
  return ds;
}

}  // namespace nnmip::support
