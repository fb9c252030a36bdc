// The 60000-image MNIST training set (slow: 376 MB of doubles, seconds to fill).
#include <gtest/gtest.h>

#include <array>

#include "data/mnist.hpp"
#include "support/paths.hpp"

namespace nnmip::data {
namespace {

TEST(Mnist, TrainSetCountsHistogramAndMean) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Dataset ds = readMnist(support::kSharedData, /*train=*/true);
  EXPECT_EQ(ds.size(), 60000);
  std::array<int, 10> hist{};
  for (int c : ds.y) ++hist[static_cast<size_t>(c)];
  EXPECT_EQ(hist,
            (std::array<int, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_NEAR(ds.X.mean(), 0.1307, 5e-5);
}

}  // namespace
}  // namespace nnmip::data
