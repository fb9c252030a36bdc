// Validity of every tier on a network trained by nnmip (issue 5): a narrow 200x5-style net,
// 784-32x5-10, trained two epochs on 2,000 MNIST training images, over the L-inf ball
// eps = 0.02 around test image 0. About 2,000 sampled inputs (uniform, vertices, gradient
// attack on every layer) must lie inside naive, interval, symbolic, lp and milp bounds.
// The 100,000-sample run on the real 200x5 and 256x2 networks is bench/bench_validity.cpp.
// Skipped when the shared data is missing.
#include <gtest/gtest.h>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "data/mnist.hpp"
#include "support/paths.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip {
namespace {

using bounds::Box;
using bounds::Method;

TEST(TrainedValidity, EveryTierContainsSampledPreActivations) {
  NNMIP_SKIP_WITHOUT_DATA();
  const data::Dataset train_set = data::readMnist(support::kSharedData, true).head(2000);
  const data::Dataset test_set = data::readMnist(support::kSharedData, false);
  Rng init(1);
  nn::Network net = train::makeMlp(784, {32, 32, 32, 32, 32}, 10, true, init);
  train::TrainOptions topt;
  topt.epochs = 2;
  topt.batch_size = 32;
  topt.optimizer.lr = 3e-3;
  train::train(net, train_set, nullptr, topt);
  ASSERT_GT(train::evaluateAccuracy(net, test_set.head(500)), 0.5);  // it did learn

  const Box box = bounds::linfBall(test_set.X.row(0).transpose(), 0.02);
  // 1 centre + 1000 uniform + 600 vertices + 2 * (5 * 32 + 10) attack points = 1941.
  const auto pts = testnets::samplePoints(net, box, 7, 1000, 600, 32, 10);
  ASSERT_GE(pts.size(), 1900u);
  bounds::NetworkBounds previous;
  for (const Method m :
       {Method::kNaive, Method::kInterval, Method::kSymbolic, Method::kLp, Method::kMilp}) {
    SCOPED_TRACE(bounds::methodName(m));
    bounds::BoundsOptions o;
    o.method = m;
    o.solver.threads = 2;
    if (m == Method::kMilp) o.solver.time_limit_s = 4.0;
    const auto r = bounds::computeBounds(net, box, o);
    EXPECT_LE(testnets::maxViolation(net, r.bounds, pts), 1e-9);
    // Each tier within the previous one; not the milp tier: its 4 s limit also cuts its own LP
    // pass, and on a loaded machine the neurons left then keep their symbolic bounds, looser
    // than the untimed lp tier's (valid, but timing-dependent).
    if (m != Method::kNaive && m != Method::kMilp) {
      EXPECT_TRUE(bounds::containedIn(r.bounds, previous, 1e-7));
    }
    previous = r.bounds;
  }
}

}  // namespace
}  // namespace nnmip
