// The bound kernel (bounds/backsub.hpp) against the exact pattern oracle on random tiny
// networks with random phase splits: every iterate of every tier (symbolic, alpha, beta) is a
// valid lower bound, iteration 0 is the symbolic tier, and the input form A x + c reproduces the
// bound at its vertex and lies below the network on the domain.
#include "bounds/backsub.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "bounds/alpha.hpp"
#include "bounds/propagation.hpp"
#include "core/rng.hpp"
#include "encode/domain.hpp"
#include "encode/tiny_nets.hpp"
#include "nn/forward.hpp"
#include "support/pattern_oracle.hpp"

namespace nnmip {
namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using bounds::BackSubRequest;
using bounds::BackSubResult;
using bounds::SlopeOptimiser;

constexpr double kTol = 1e-6;  // LP tolerance of the oracle plus round-off

struct Case {
  nn::Network net;
  data::InputBox box;
  encode::Domain domain;
  encode::NetworkBounds nb;  // symbolic bounds over the domain
  Mat c;
  Vec c0;
  std::vector<double> truth;  // per row: min over the domain of c . y + c0
};

// A random net (2-3 inputs, two hidden ReLU layers of 3-4, 2 outputs), box, 0-3 splits on hidden
// neurons and 3 rows over the outputs; false when the splits leave no input.
bool makeCase(uint64_t seed, Case& k) {
  Rng rng(seed);
  const int n_in = 2 + static_cast<int>(rng.below(2));
  const int h1 = 3 + static_cast<int>(rng.below(2));
  const int h2 = 3 + static_cast<int>(rng.below(2));
  k.net = testnets::randomNet({n_in, h1, h2, 2}, seed * 17 + 3);
  for (int i = 0; i < n_in; ++i) {
    const double mid = rng.uniform(-1.0, 1.0);
    const double rad = rng.uniform(0.2, 1.0);
    k.box.lo.push_back(mid - rad);
    k.box.hi.push_back(mid + rad);
  }
  k.domain = encode::Domain(encode::Box(k.box.lo, k.box.hi));
  const int n_splits = static_cast<int>(rng.below(4));
  for (int s = 0; s < n_splits; ++s) {
    const int layer = static_cast<int>(rng.below(2));
    const int j = static_cast<int>(rng.below(static_cast<uint64_t>(layer == 0 ? h1 : h2)));
    k.domain.splits[nn::NeuronId{layer, j}] =
        rng.below(2) == 0 ? encode::Phase::kInactive : encode::Phase::kActive;
  }
  k.nb = bounds::computeSymbolic(k.net, k.domain);
  if (k.nb.empty) return false;
  k.c = Mat(3, 2);
  k.c0 = Vec(3);
  for (int r = 0; r < 3; ++r) {
    for (int j = 0; j < 2; ++j) k.c(r, j) = std::round(rng.uniform(-2.0, 2.0));
    k.c0[r] = rng.uniform(-1.0, 1.0);
  }
  for (int r = 0; r < 3; ++r) {
    k.truth.push_back(testsupport::bruteForceMinimum(k.net, k.box, k.domain.splits,
                                                     k.c.row(r).transpose(), k.c0[r]));
  }
  return std::all_of(k.truth.begin(), k.truth.end(), [](double t) { return std::isfinite(t); });
}

BackSubResult run(const Case& k, bool betas, int iterations, const BackSubRequest& req = {}) {
  SlopeOptimiser opt;
  opt.iterations = iterations;
  const bounds::Relaxation rx =
      bounds::relaxLayers(k.net, k.domain.box, k.nb.layers, bounds::outputRelaxDepth(k.net),
                          betas ? &k.domain.splits : nullptr);
  return bounds::backSubstitute(rx, bounds::rowsOnOutputs(k.net, rx, k.c, k.c0), opt, req);
}

void expectBelowTruth(const Case& k, const Vec& lower, const char* what) {
  for (int r = 0; r < 3; ++r) {
    EXPECT_LE(lower[r], k.truth[static_cast<size_t>(r)] + kTol)
        << what << " row " << r << ": not a lower bound of the minimum "
        << k.truth[static_cast<size_t>(r)];
  }
}

TEST(BackSub, EveryTierBelowBruteForceUnderRandomSplits) {
  int cases = 0;
  int with_splits = 0;
  int improved = 0;  // rows where the beta ascent beat the symbolic bound
  for (uint64_t seed = 1; cases < 40 && seed < 400; ++seed) {
    SCOPED_TRACE(seed);
    Case k;
    if (!makeCase(seed, k)) continue;
    ++cases;
    with_splits += !k.domain.splits.empty();
    const Vec sym = bounds::symbolicLowerBounds(k.net, k.nb, k.net.numLayers() - 1, k.c, k.c0);
    expectBelowTruth(k, sym, "symbolic");
    // Every iterate is below the truth: the best of the first n is, for every n.
    for (int n : {1, 3, 10, 30}) {
      expectBelowTruth(k, run(k, false, n).lower, "alpha");
      expectBelowTruth(k, run(k, true, n).lower, "beta");
    }
    // Iteration 0 is the symbolic tier, with and without beta terms.
    const Vec alpha0 = run(k, false, 0).lower;
    const Vec beta0 = run(k, true, 0).lower;
    for (int r = 0; r < 3; ++r) {
      EXPECT_NEAR(alpha0[r], sym[r], 1e-9 * (1.0 + std::abs(sym[r])));
      EXPECT_NEAR(beta0[r], sym[r], 1e-9 * (1.0 + std::abs(sym[r])));
    }
    // The best iterate never falls below iteration 0.
    const Vec beta30 = run(k, true, 30).lower;
    for (int r = 0; r < 3; ++r) {
      EXPECT_GE(beta30[r], beta0[r]);
      improved += beta30[r] > beta0[r] + 1e-6;
    }
    // The alpha tier's public entry is the same kernel.
    bounds::AlphaOptions ao;
    ao.iterations = 0;
    const Vec tier0 = bounds::alphaSpecLowerBounds(k.net, k.domain, k.nb, k.c, k.c0, ao);
    ao.iterations = 30;
    const Vec tier30 = bounds::alphaSpecLowerBounds(k.net, k.domain, k.nb, k.c, k.c0, ao);
    expectBelowTruth(k, tier30, "alpha tier");
    for (int r = 0; r < 3; ++r) EXPECT_NEAR(tier0[r], sym[r], 1e-9 * (1.0 + std::abs(sym[r])));
  }
  EXPECT_EQ(cases, 40);
  EXPECT_GT(with_splits, 20);
  EXPECT_GT(improved, 0) << "the beta ascent never improved a bound: the test checks too little";
}

TEST(BackSub, InputFormReproducesTheBoundAndLiesBelowTheNetwork) {
  int cases = 0;
  long total_checked = 0;
  for (uint64_t seed = 500; cases < 30 && seed < 900; ++seed) {
    SCOPED_TRACE(seed);
    Case k;
    if (!makeCase(seed, k)) continue;
    ++cases;
    BackSubRequest req;
    req.want_input_form = true;
    for (int n : {0, 10}) {
      const BackSubResult r = run(k, true, n, req);
      Rng rng(seed);
      for (int row = 0; row < 3; ++row) {
        const Eigen::RowVectorXd a = r.a.row(row);
        const Eigen::RowVectorXd v = r.vertex.row(row);
        const double at_vertex = a.dot(v) + r.c[row];
        if (n == 0) {
          EXPECT_NEAR(at_vertex, r.lower[row], 1e-9 * (1.0 + std::abs(r.lower[row])));
        }
        EXPECT_LE(at_vertex, r.lower[row] + 1e-9 * (1.0 + std::abs(r.lower[row])));
        for (int i = 0; i < a.size(); ++i) {
          EXPECT_GE(v[i], k.box.lo[static_cast<size_t>(i)]);
          EXPECT_LE(v[i], k.box.hi[static_cast<size_t>(i)]);
          // The vertex minimises A x + c over the box.
          if (a[i] > 0) {
            EXPECT_EQ(v[i], k.box.lo[static_cast<size_t>(i)]);
          } else if (a[i] < 0) {
            EXPECT_EQ(v[i], k.box.hi[static_cast<size_t>(i)]);
          }
        }
      }
      // A x + c <= c . y + c0 at points of the domain (box points that satisfy the splits).
      int checked = 0;
      for (int s = 0; s < 200; ++s) {
        Vec x(k.net.inputSize());
        for (int i = 0; i < x.size(); ++i) {
          x[i] = rng.uniform(k.box.lo[static_cast<size_t>(i)], k.box.hi[static_cast<size_t>(i)]);
        }
        if (!k.domain.satisfiedBy(k.net, x)) continue;
        ++checked;
        const Vec y = nn::forward(k.net, x);
        for (int row = 0; row < 3; ++row) {
          const double f = k.c.row(row).dot(y) + k.c0[row];
          EXPECT_LE(r.a.row(row).dot(x) + r.c[row], f + 1e-9 * (1.0 + std::abs(f)));
        }
      }
      total_checked += checked;
    }
  }
  EXPECT_EQ(cases, 30);
  EXPECT_GT(total_checked, 2000);  // small split regions may get no sample; most cases do
}

TEST(BackSub, LayerCoefficientsAreTheRowsOnEachLayer) {
  Case k;
  for (uint64_t seed = 3; !makeCase(seed, k); ++seed) k = Case{};
  BackSubRequest req;
  req.want_layer_coefs = true;
  const BackSubResult r = run(k, false, 0, req);
  ASSERT_EQ(r.layer_coefs.size(), 2u);
  // On the top relaxed layer (h of the second hidden layer) the rows are C W_out, zero where h
  // is fixed at 0.
  const Mat top = k.c * k.net.layer(2).weight;
  const encode::LayerBounds& b = k.nb.layers[1];
  for (int j = 0; j < b.size(); ++j) {
    for (int row = 0; row < 3; ++row) {
      EXPECT_NEAR(r.layer_coefs[1](row, j), b.hi[j] <= 0.0 ? 0.0 : top(row, j), 1e-12);
    }
  }
}

TEST(BackSub, WarmStartFromSavedSlopesIsValid) {
  int cases = 0;
  for (uint64_t seed = 1000; cases < 15 && seed < 1300; ++seed) {
    SCOPED_TRACE(seed);
    Case k;
    if (!makeCase(seed, k)) continue;
    ++cases;
    BackSubRequest keep;
    keep.keep_slopes = true;
    keep.row_ids = {7, 8, 9};
    const BackSubResult first = run(k, true, 20, keep);
    ASSERT_FALSE(first.slopes.empty());
    BackSubRequest warm;
    warm.row_ids = {9, 7, 8};  // other order: matched by id
    warm.warm = &first.slopes;
    Mat c = k.c;
    Vec c0 = k.c0;
    k.c.row(0) = c.row(2);
    k.c.row(1) = c.row(0);
    k.c.row(2) = c.row(1);
    k.c0 << c0[2], c0[0], c0[1];
    std::swap(k.truth[0], k.truth[2]);  // truth was (0, 1, 2): now (2, 0, 1)
    std::swap(k.truth[1], k.truth[2]);
    const BackSubResult again = run(k, true, 0, warm);
    expectBelowTruth(k, again.lower, "warm start");
    // The saved parameters are the best iterate's, stored as floats.
    const int from[3] = {2, 0, 1};
    for (int r = 0; r < 3; ++r) {
      const double best = first.lower[from[r]];
      EXPECT_NEAR(again.lower[r], best, 1e-5 * (1.0 + std::abs(best)));
    }
  }
  EXPECT_EQ(cases, 15);
}

}  // namespace
}  // namespace nnmip
