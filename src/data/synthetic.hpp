#pragma once
// Seeded synthetic data sets.
#include <cstdint>

#include "data/dataset.hpp"

namespace nnmip::data {

// The random data set of Bah & Kurtz (binarized-network training by MILP): N features, m points,
// half per class, in "two overlapping regions". The paper does not give the regions; we read
// it as: class 0 uniform on [0, 0.6]^N, class 1 uniform on [0.4, 1]^N (the two boxes overlap on
// [0.4, 0.6]^N). Rows: the n_points/2 class-0 points first, then the class-1 points (class 0
// gets the extra point when n_points is odd); use shuffleSplit to mix them. Every coordinate
// is Rng(seed).uniform(lo, hi) drawn row by row, so the same seed gives the same data on every
// platform. num_classes = 2.
Dataset makeRandomOverlap(int n_features = 100, int n_points = 200, uint64_t seed = 1);

}  // namespace nnmip::data
