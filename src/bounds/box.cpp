#include "bounds/box.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::bounds {

namespace {
void checkFiniteRef(const Vec& ref, const char* what) {
  if (ref.size() == 0) fail(ErrorKind::kInvalidInput, "{}: empty reference input", what);
  for (Eigen::Index i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(ref[i])) {
      fail(ErrorKind::kInvalidInput, "{}: reference input {} is not finite ({})", what, i, ref[i]);
    }
  }
}
}  // namespace

Box linfBall(const Vec& ref, double eps, double clip_lo, double clip_hi) {
  checkFiniteRef(ref, "linf ball");
  if (!std::isfinite(eps) || eps < 0.0) {
    fail(ErrorKind::kInvalidInput, "linf ball: radius must be finite and >= 0, got {}", eps);
  }
  if (!(clip_lo <= clip_hi)) {
    fail(ErrorKind::kInvalidInput, "linf ball: clip range [{}, {}] is empty", clip_lo, clip_hi);
  }
  Vec lo = (ref.array() - eps).max(clip_lo).min(clip_hi).matrix();
  Vec hi = (ref.array() + eps).min(clip_hi).max(clip_lo).matrix();
  return Box(std::move(lo), std::move(hi), "linf ball");
}

Box neighboursBox(const Vec& image, int height, int width, const NeighboursParams& params) {
  checkFiniteRef(image, "neighbours domain");
  if (height <= 0 || width <= 0 || static_cast<Eigen::Index>(height) * width != image.size()) {
    fail(ErrorKind::kInvalidInput, "neighbours domain: image of {} values is not {} x {}",
         image.size(), height, width);
  }
  if (params.m < 1 || params.m % 2 == 0) {
    fail(ErrorKind::kInvalidInput,
         "neighbours domain: filter side m must be odd and >= 1, got "
         "{}",
         params.m);
  }
  const int half = (params.m - 1) / 2;
  if (params.p < half) {
    fail(ErrorKind::kInvalidInput,
         "neighbours domain: padding p = {} is smaller than the "
         "filter half-width {} (m = {})",
         params.p, half, params.m);
  }
  if (!std::isfinite(params.eps) || params.eps < 0.0 || params.eps > 1.0) {
    fail(ErrorKind::kInvalidInput, "neighbours domain: eps must be in [0, 1], got {}", params.eps);
  }
  const double cells = static_cast<double>(params.m) * params.m;
  Vec lo(image.size());
  Vec hi(image.size());
  for (int i = 0; i < height; ++i) {
    for (int j = 0; j < width; ++j) {
      double sum = 0.0;
      for (int di = -half; di <= half; ++di) {
        for (int dj = -half; dj <= half; ++dj) {
          const int r = i + di;
          const int c = j + dj;
          if (r < 0 || r >= height || c < 0 || c >= width) continue;  // padded zero
          sum += std::abs(image[static_cast<Eigen::Index>(r) * width + c]);
        }
      }
      const double avg = sum / cells;
      const Eigen::Index k = static_cast<Eigen::Index>(i) * width + j;
      lo[k] = (1.0 - params.eps) * avg;
      hi[k] = std::min(1.0, (1.0 + params.eps) * avg);
      if (lo[k] > hi[k]) lo[k] = hi[k];  // only when avg > 1/(1-eps): pixels beyond [0,1]
    }
  }
  return Box(std::move(lo), std::move(hi), "neighbours domain");
}

}  // namespace nnmip::bounds
