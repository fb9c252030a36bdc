// The Bah & Kurtz random overlap data set.
#include "data/synthetic.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace nnmip::data {
namespace {

TEST(RandomOverlap, SizesBalanceAndRanges) {
  const Dataset ds = makeRandomOverlap();
  ASSERT_EQ(ds.size(), 200);
  ASSERT_EQ(ds.features(), 100);
  EXPECT_EQ(ds.num_classes, 2);
  int n0 = 0;
  for (int i = 0; i < ds.size(); ++i) {
    const int c = ds.y[static_cast<size_t>(i)];
    n0 += c == 0 ? 1 : 0;
    const double lo = c == 0 ? 0.0 : 0.4, hi = c == 0 ? 0.6 : 1.0;
    EXPECT_GE(ds.X.row(i).minCoeff(), lo);
    EXPECT_LT(ds.X.row(i).maxCoeff(), hi);
  }
  EXPECT_EQ(n0, 100);
  // Uniform: means near 0.3 and 0.7, and both boxes are filled up to their edges.
  EXPECT_NEAR(ds.X.topRows(100).mean(), 0.3, 0.01);
  EXPECT_NEAR(ds.X.bottomRows(100).mean(), 0.7, 0.01);
  EXPECT_LT(ds.X.topRows(100).minCoeff(), 0.001);
  EXPECT_GT(ds.X.bottomRows(100).maxCoeff(), 0.999);
}

TEST(RandomOverlap, SameSeedSameData) {
  const Dataset a = makeRandomOverlap(100, 200, 7);
  const Dataset b = makeRandomOverlap(100, 200, 7);
  const Dataset c = makeRandomOverlap(100, 200, 8);
  EXPECT_EQ(a.X, b.X);
  EXPECT_EQ(a.y, b.y);
  EXPECT_NE(a.X, c.X);
}

TEST(RandomOverlap, OtherSizesAndErrors) {
  const Dataset ds = makeRandomOverlap(3, 7, 1);
  EXPECT_EQ(ds.size(), 7);
  EXPECT_EQ(ds.features(), 3);
  EXPECT_EQ(std::count(ds.y.begin(), ds.y.end(), 0), 4);
  EXPECT_THROW(makeRandomOverlap(0, 10), Error);
  EXPECT_THROW(makeRandomOverlap(10, 1), Error);
}

}  // namespace
}  // namespace nnmip::data
