// Input domains: validation, L-infinity balls, the thesis's neighbours domain.
#include <gtest/gtest.h>

#include <cmath>

#include "bounds/box.hpp"
#include "core/error.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using bounds::Vec;

TEST(Box, RejectsInvertedNanInfAndSizeMismatch) {
  EXPECT_THROW(Box(Vec{{0.0, 1.0}}, Vec{{1.0, 0.5}}), Error);           // inverted
  EXPECT_THROW(Box(Vec{{0.0, std::nan("")}}, Vec{{1.0, 1.0}}), Error);  // NaN
  EXPECT_THROW(Box(Vec{{0.0, 0.0}}, Vec{{1.0, INFINITY}}), Error);      // Inf
  EXPECT_THROW(Box(Vec{{0.0}}, Vec{{1.0, 1.0}}), Error);                // sizes
  const Box ok(Vec{{0.0, 0.25}}, Vec{{0.0, 1.0}});                      // point ok
  EXPECT_THROW(ok.validate("box", 3), Error);
  try {
    Box(Vec{{0.0, 1.0}}, Vec{{1.0, 0.5}});
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("inverted"), std::string::npos);
  }
}

TEST(Box, LinfBallIsClippedToUnitRange) {
  const Box b = bounds::linfBall(Vec{{0.0, 0.5, 0.98}}, 0.05);
  EXPECT_DOUBLE_EQ(b.lo[0], 0.0);
  EXPECT_DOUBLE_EQ(b.hi[0], 0.05);
  EXPECT_DOUBLE_EQ(b.lo[1], 0.45);
  EXPECT_DOUBLE_EQ(b.hi[1], 0.55);
  EXPECT_DOUBLE_EQ(b.lo[2], 0.93);
  EXPECT_DOUBLE_EQ(b.hi[2], 1.0);
  EXPECT_THROW(bounds::linfBall(Vec{{0.5}}, -0.1), Error);
  EXPECT_THROW(bounds::linfBall(Vec{{std::nan("")}}, 0.1), Error);
}

// 5x5 image, m = 3 (3x3 window centred on the pixel), p = 2 (zero padding), eps = 0.18:
//   0.45  0    0    0    0
//   0     0    0    0    0
//   0     0    0.9  0    0
//   0     0    0    0    0
//   0     0    0    0    0
// avg(0,0) = 0.45/9 = 0.05          box [0.82*0.05, 1.18*0.05] = [0.041, 0.059]
// avg(1,1) = (0.45+0.9)/9 = 0.15    box [0.123, 0.177]
// avg(2,2) = 0.9/9 = 0.1            box [0.082, 0.118]  (the reference 0.9 lies outside)
// avg(1,0) = 0.45/9 = 0.05; avg(3,3) = 0.1; avg(4,4) = avg(0,4) = 0.
TEST(Box, NeighboursDomainOnHandMadeImage) {
  Vec img = Vec::Zero(25);
  img[0] = 0.45;
  img[2 * 5 + 2] = 0.9;
  const Box b = bounds::neighboursBox(img, 5, 5, {3, 2, 0.18});
  auto at = [](int i, int j) { return i * 5 + j; };
  EXPECT_NEAR(b.lo[at(0, 0)], 0.041, 1e-15);
  EXPECT_NEAR(b.hi[at(0, 0)], 0.059, 1e-15);
  EXPECT_NEAR(b.lo[at(1, 1)], 0.123, 1e-15);
  EXPECT_NEAR(b.hi[at(1, 1)], 0.177, 1e-15);
  EXPECT_NEAR(b.lo[at(2, 2)], 0.082, 1e-15);
  EXPECT_NEAR(b.hi[at(2, 2)], 0.118, 1e-15);
  EXPECT_FALSE(b.contains(img));  // the reference image is not a point of its domain
  EXPECT_NEAR(b.lo[at(1, 0)], 0.041, 1e-15);
  EXPECT_NEAR(b.hi[at(3, 3)], 0.118, 1e-15);
  EXPECT_EQ(b.lo[at(4, 4)], 0.0);
  EXPECT_EQ(b.hi[at(4, 4)], 0.0);
  EXPECT_EQ(b.hi[at(0, 4)], 0.0);
}

// All-ones image: interior avg 1 -> [0.82, min(1, 1.18)] = [0.82, 1]; corner avg 4/9.
TEST(Box, NeighboursDomainSaturatesAtOne) {
  const Box b = bounds::neighboursBox(Vec::Ones(25), 5, 5);
  EXPECT_NEAR(b.lo[12], 0.82, 1e-15);
  EXPECT_EQ(b.hi[12], 1.0);
  EXPECT_NEAR(b.lo[0], 0.82 * 4.0 / 9.0, 1e-15);
  EXPECT_NEAR(b.hi[0], 1.18 * 4.0 / 9.0, 1e-15);
  // Edge (0,2): 6 of 9 cells inside.
  EXPECT_NEAR(b.lo[2], 0.82 * 6.0 / 9.0, 1e-15);
}

TEST(Box, NeighboursRejectsBadParameters) {
  EXPECT_THROW(bounds::neighboursBox(Vec::Ones(25), 5, 4), Error);                // shape
  EXPECT_THROW(bounds::neighboursBox(Vec::Ones(25), 5, 5, {4, 2, 0.18}), Error);  // even m
  EXPECT_THROW(bounds::neighboursBox(Vec::Ones(25), 5, 5, {7, 2, 0.18}), Error);  // p < 3
  EXPECT_THROW(bounds::neighboursBox(Vec::Ones(25), 5, 5, {3, 2, -0.1}), Error);  // eps
  // m = 5 with p = 2 is allowed: centre pixel averages all 25 cells.
  const Box b = bounds::neighboursBox(Vec::Ones(25), 5, 5, {5, 2, 0.0});
  EXPECT_NEAR(b.lo[12], 1.0, 1e-15);
}

}  // namespace
}  // namespace nnmip
