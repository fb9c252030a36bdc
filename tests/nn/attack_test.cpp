// The library attack (nn/attack.hpp): gradients, box, known maxima, determinism.
#include "nn/attack.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"

namespace nnmip {
namespace {

using nn::Mat;
using nn::Vec;

// Central finite differences of f(forward(x)) against inputGradientBatch, at random points
// away from ReLU kinks (a kink within h would make the difference meaningless).
void expectGradientMatches(const nn::Network& net, const nn::OutputObjective& f, uint64_t seed) {
  Rng rng(seed);
  const int d = net.inputSize();
  Mat X(5, d);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (int j = 0; j < d; ++j) X(i, j) = rng.uniform(-1.0, 1.0);
  }
  const nn::BatchTrace trace = nn::forwardBatchTrace(net, X);
  Vec v;
  Mat gy;
  f(trace.post.back(), v, &gy);
  const Mat gx = nn::inputGradientBatch(net, X, trace, gy);
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (int j = 0; j < d; ++j) {
      Mat Xp = X.row(i);
      Mat Xm = X.row(i);
      Xp(0, j) += h;
      Xm(0, j) -= h;
      Vec vp;
      Vec vm;
      f(nn::forwardBatch(net, Xp), vp, nullptr);
      f(nn::forwardBatch(net, Xm), vm, nullptr);
      const double fd = (vp[0] - vm[0]) / (2 * h);
      EXPECT_NEAR(gx(i, j), fd, 1e-5 * (1 + std::abs(fd))) << "point " << i << " input " << j;
    }
  }
}

TEST(Attack, GradientMatchesFiniteDifferences) {
  const nn::Network net = testnets::randomNet({3, 6, 5, 3}, 11);
  Mat C(2, 3);
  C << 1, -1, 0, 0, 0.5, -2;
  const Vec c0 = (Vec(2) << 0.1, -0.2).finished();
  expectGradientMatches(net, nn::maxLinearObjective(C, c0), 3);
}

TEST(Attack, GradientThroughFinalSoftmax) {
  nn::Network net = testnets::randomNet({3, 5, 4}, 12);
  net.mutableLayers().back().activation = nn::Activation::kSoftmax;
  Mat C(1, 4);
  C << 0, 1, 0, -1;
  expectGradientMatches(net, nn::maxLinearObjective(C, Vec::Zero(1)), 4);
}

// y = relu(x0 - x1) + relu(x0 + x1) on [-1, 1]^2: max y = 2 at x0 = 1 (any |x1| <= 1), and the
// centre (0, 0) gives 0, so the attack has to move. Max of -y is 0 (x0 <= -|x1|... e.g. x =
// (-1,0)).
TEST(Attack, TwoReluToyReachesKnownMaximum) {
  const nn::Network net = testnets::twoReluToy();
  const Vec lo = Vec::Constant(2, -1.0);
  const Vec hi = Vec::Constant(2, 1.0);
  const nn::AttackResult r =
      nn::attackMaxLinear(net, lo, hi, Mat::Ones(1, 1), Vec::Zero(1), nn::AttackOptions{});
  EXPECT_NEAR(r.value, 2.0, 1e-12);
  EXPECT_NEAR(r.x[0], 1.0, 1e-12);
  EXPECT_NEAR(nn::forward(net, r.x)[0], r.value, 1e-12);
  EXPECT_TRUE(((r.x.array() >= lo.array()) && (r.x.array() <= hi.array())).all());
}

// On tiny random nets the attack finds the maximum of max_r (C y + c0)_r that a dense grid of
// the 2-D box finds (to within the grid's resolution), and its point reproduces its value.
TEST(Attack, MatchesDenseGridOnTinyNets) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    const nn::Network net = testnets::randomNet({2, 6, 5, 3}, seed);
    Rng rng(100 + seed);
    Mat C(2, 3);
    for (Eigen::Index i = 0; i < C.size(); ++i) C.data()[i] = rng.uniform(-1.0, 1.0);
    const Vec c0 = Vec::Zero(2);
    const Vec lo = (Vec(2) << -1.0, -0.5).finished();
    const Vec hi = (Vec(2) << 0.5, 1.0).finished();
    const int g = 301;
    Mat X(g * g, 2);
    for (int a = 0; a < g; ++a) {
      for (int b = 0; b < g; ++b) {
        X(a * g + b, 0) = lo[0] + (hi[0] - lo[0]) * a / (g - 1);
        X(a * g + b, 1) = lo[1] + (hi[1] - lo[1]) * b / (g - 1);
      }
    }
    Vec v;
    nn::maxLinearObjective(C, c0)(nn::forwardBatch(net, X), v, nullptr);
    const double grid_max = v.maxCoeff();
    nn::AttackOptions o;
    o.seed = seed;
    const nn::AttackResult r = nn::attackMaxLinear(net, lo, hi, C, c0, o);
    // The grid spacing is 0.005; a Lipschitz constant of a few units bounds the loss to ~0.02.
    EXPECT_GE(r.value, grid_max - 0.02) << "grid " << grid_max << " attack " << r.value;
    Vec check;
    nn::maxLinearObjective(C, c0)(nn::forward(net, r.x).transpose(), check, nullptr);
    EXPECT_NEAR(check[0], r.value, 1e-12);
  }
}

// Y = X (one identity layer), objective pushes every coordinate outward: every point the
// objective ever sees must lie in the box.
TEST(Attack, NeverLeavesTheBox) {
  nn::DenseLayer id;
  id.weight = Mat::Identity(4, 4);
  id.bias = Vec::Zero(4);
  const nn::Network net({id});
  const Vec lo = (Vec(4) << -1, 0, 0.25, -3).finished();
  const Vec hi = (Vec(4) << -0.5, 0, 2, 3).finished();  // input 1 is a point
  long seen = 0;
  bool outside = false;
  const nn::OutputObjective f = [&](const Mat& Y, Vec& value, Mat* grad) {
    for (Eigen::Index i = 0; i < Y.rows(); ++i) {
      ++seen;
      for (int j = 0; j < 4; ++j) outside |= Y(i, j) < lo[j] || Y(i, j) > hi[j];
    }
    // Pushes x0 and x3 up, x2 down, and x1 (a fixed input) up.
    const Vec w = (Vec(4) << 1, 1, -1, 1).finished();
    value = Y * w;
    if (grad != nullptr) *grad = Mat::Ones(Y.rows(), 1) * w.transpose();
  };
  nn::AttackOptions o;
  o.restarts = 16;
  o.steps = 30;
  o.step_size = 0.9;
  o.decay = 1.0;
  const nn::AttackResult r = nn::attackBox(net, lo, hi, f, o);
  EXPECT_FALSE(outside);
  EXPECT_EQ(seen, r.evaluations);
  EXPECT_EQ(r.evaluations, 16L * 31L);
  EXPECT_DOUBLE_EQ(r.value, -0.5 + 0 - 0.25 + 3);  // exact: the corner (hi0, 0, lo2, hi3)
}

TEST(Attack, StopsAtTargetAndIsDeterministic) {
  const nn::Network net = testnets::randomNet({3, 8, 8, 2}, 5);
  const Vec lo = Vec::Constant(3, -1.0);
  const Vec hi = Vec::Constant(3, 1.0);
  Mat C(1, 2);
  C << 1, -1;
  nn::AttackOptions o;
  o.seed = 9;
  o.rounds = 3;
  const nn::AttackResult full = nn::attackMaxLinear(net, lo, hi, C, Vec::Zero(1), o);
  const nn::AttackResult again = nn::attackMaxLinear(net, lo, hi, C, Vec::Zero(1), o);
  EXPECT_EQ(full.x, again.x);
  EXPECT_EQ(full.value, again.value);
  EXPECT_EQ(full.rounds, 3);
  o.target = full.value - 0.5;
  const nn::AttackResult early = nn::attackMaxLinear(net, lo, hi, C, Vec::Zero(1), o);
  EXPECT_TRUE(early.reached_target);
  EXPECT_GE(early.value, o.target);
  EXPECT_LT(early.evaluations, full.evaluations);
}

TEST(Attack, RejectsBadInput) {
  const nn::Network net = testnets::twoReluToy();
  const Mat C = Mat::Ones(1, 1);
  EXPECT_THROW(nn::attackMaxLinear(net, Vec::Zero(3), Vec::Ones(3), C, Vec::Zero(1)), Error);
  EXPECT_THROW(nn::attackMaxLinear(net, Vec::Ones(2), Vec::Zero(2), C, Vec::Zero(1)), Error);
  EXPECT_THROW(nn::attackMaxLinear(net, Vec::Zero(2), Vec::Ones(2), Mat::Ones(1, 2), Vec::Zero(1)),
               Error);
  nn::Network step = net;
  step.mutableLayers()[0].activation = nn::Activation::kStep;
  step.mutableLayers()[0].step.lambda = Vec::Zero(2);
  try {
    nn::attackMaxLinear(step, Vec::Zero(2), Vec::Ones(2), C, Vec::Zero(1));
    FAIL() << "step layer accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
  }
}

}  // namespace
}  // namespace nnmip
