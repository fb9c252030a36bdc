#include "data/synthetic.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace nnmip::data {

Dataset makeRandomOverlap(int n_features, int n_points, uint64_t seed) {
  if (n_features <= 0 || n_points < 2) {
    fail(ErrorKind::kInvalidInput,
         "makeRandomOverlap: need n_features > 0 and n_points >= 2 (got {}, {})", n_features,
         n_points);
  }
  Rng rng(seed);
  Dataset ds;
  ds.name = fmt::format("random-overlap-N{}-m{}-seed{}", n_features, n_points, seed);
  ds.num_classes = 2;
  ds.X.resize(n_points, n_features);
  const int n0 = (n_points + 1) / 2;
  for (int i = 0; i < n_points; ++i) {
    const int cls = i < n0 ? 0 : 1;
    const double lo = cls == 0 ? 0.0 : 0.4;
    const double hi = cls == 0 ? 0.6 : 1.0;
    for (int j = 0; j < n_features; ++j) ds.X(i, j) = rng.uniform(lo, hi);
    ds.y.push_back(cls);
  }
  return ds;
}

}  // namespace nnmip::data
