#pragma once
// Input domains: boxes, L-infinity balls and the thesis's "neighbours" domain.
#include <string>

#include "encode/ranges.hpp"

namespace nnmip::bounds {

using encode::Box;
using encode::intersect;
using Vec = Eigen::VectorXd;

// The L-infinity ball of radius eps around `ref`, clipped to [clip_lo, clip_hi] per input
// (the pixel range [0,1] by default). Throws Error{kInvalidInput} for eps < 0 or NaN, or a
// reference with NaN entries.
Box linfBall(const Vec& ref, double eps, double clip_lo = 0.0, double clip_hi = 1.0);

// The "neighbours" domain of the thesis (section 3.2.1, m = 3, p = 2, eps = 0.18).
//
// Reading chosen (the text is terse; documented in docs/results_bounds.md): the image is
// height x width, row-major. `m` is the side of a square filter centred on each pixel (m odd,
// so the window is rows i-(m-1)/2 .. i+(m-1)/2 and the same for columns); the image is
// zero-padded by `p` pixels on each side (p >= (m-1)/2 so every window lies inside the
// padded image; with m = 3, p = 2 the extra padding has no effect). avg(i,j) is the mean of
// the m*m window values of the padded image (padded zeros count, divisor m*m; pixels are
// taken in absolute value as in the thesis's d(x, 0)). The box is
//   [(1 - eps) avg(i,j), min(1, (1 + eps) avg(i,j))].
// The reference image itself may lie outside this box: it is never used as a point of it.
struct NeighboursParams {
  int m = 3;
  int p = 2;
  double eps = 0.18;
};
Box neighboursBox(const Vec& image, int height, int width, const NeighboursParams& params = {});

}  // namespace nnmip::bounds
