#pragma once
// Brute force for verification tests on tiny networks (support/pattern_oracle.hpp: the property
// is violated exactly when the largest margin over every box and disjunct is >= 0), and the
// random properties they use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "data/vnnlib.hpp"
#include "encode/tiny_nets.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"
#include "support/pattern_oracle.hpp"
#include "verify/verifier.hpp"
#include "verify/witness.hpp"

namespace nnmip::testverify {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

using testsupport::Affine;
using testsupport::bruteForceMargin;
using testsupport::Oracle;

// A random property: 1-2 boxes, 1-3 disjuncts of 1-2 atoms, thresholds drawn from the outputs
// of sampled inputs so that about half the properties are violated.
inline data::VnnlibProperty randomProperty(const nn::Network& net, Rng& rng) {
  data::VnnlibProperty p;
  p.num_inputs = net.inputSize();
  p.num_outputs = net.outputSize();
  const int n_boxes = 1 + static_cast<int>(rng.below(2));
  for (int b = 0; b < n_boxes; ++b) {
    data::InputBox box;
    for (int i = 0; i < p.num_inputs; ++i) {
      const double c = rng.uniform(-1.0, 1.0);
      const double r = rng.uniform(0.05, 0.6);
      box.lo.push_back(c - r);
      box.hi.push_back(c + r);
    }
    p.input_boxes.push_back(box);
  }
  p.input_lo = p.input_boxes[0].lo;
  p.input_hi = p.input_boxes[0].hi;
  const int n_dis = 1 + static_cast<int>(rng.below(3));
  for (int d = 0; d < n_dis; ++d) {
    std::vector<data::LinearAtom> atoms;
    const int n_atoms = 1 + static_cast<int>(rng.below(2));
    for (int k = 0; k < n_atoms; ++k) {
      data::LinearAtom a;
      for (int j = 0; j < p.num_outputs; ++j) a.coef.push_back(std::round(rng.uniform(-2, 2)));
      if (std::all_of(a.coef.begin(), a.coef.end(), [](double c) { return c == 0; })) a.coef[0] = 1;
      // rhs near the values coef . y takes on the first box: a quantile of 30 samples.
      std::vector<double> v;
      const data::InputBox& box = p.input_boxes[0];
      for (int s = 0; s < 30; ++s) {
        Vec x(p.num_inputs);
        for (int i = 0; i < p.num_inputs; ++i) x[i] = rng.uniform(box.lo[i], box.hi[i]);
        const Vec y = nn::forward(net, x);
        double cy = 0;
        for (int j = 0; j < p.num_outputs; ++j) cy += a.coef[j] * y[j];
        v.push_back(cy);
      }
      std::sort(v.begin(), v.end());
      a.rhs = v[static_cast<size_t>(rng.below(6))] - rng.uniform(0.0, 0.8);  // low tail: rare
      atoms.push_back(a);
    }
    p.unsafe_disjuncts.push_back(atoms);
  }
  return p;
}

struct Tally {
  int sat = 0, unsat = 0, unknown = 0, timeout = 0, truth_sat = 0;
  std::map<std::string, int> closed_by;  // unsat verdicts: disjuncts per closing phase
};

inline void printTally(const char* what, const Tally& t) {
  std::printf("%s: sat %d unsat %d unknown %d timeout %d (brute-force sat %d)\n", what, t.sat,
              t.unsat, t.unknown, t.timeout, t.truth_sat);
  for (const auto& [by, n] : t.closed_by) std::printf("  closed by %s: %d\n", by.c_str(), n);
}

// Verdicts of verifyProperty (options `base`, threads and time limit set per property) against
// brute force on n_props random tiny networks and properties.
inline void checkAgainstBruteForce(int n_props, uint64_t seed0, const verify::VerifyOptions& base,
                                   Tally& t) {
  for (int k = 0; k < n_props; ++k) {
    const uint64_t seed = seed0 + static_cast<uint64_t>(k);
    SCOPED_TRACE(seed);
    Rng rng(seed);
    const int n_in = 2 + static_cast<int>(rng.below(3));
    const int h1 = 4 + static_cast<int>(rng.below(3));
    const int h2 = 4 + static_cast<int>(rng.below(3));
    const int n_out = 2 + static_cast<int>(rng.below(2));
    const nn::Network net = testnets::randomNet({n_in, h1, h2, n_out}, seed * 31 + 7);
    const data::VnnlibProperty p = randomProperty(net, rng);
    const double truth = bruteForceMargin(net, p);
    verify::VerifyOptions o = base;
    o.threads = 1 + static_cast<int>(k % 2);
    o.time_limit_s = 30;
    const verify::Result r = verify::verifyProperty(net, p, o);
    t.truth_sat += truth >= 0;
    switch (r.status) {
      case verify::Status::kSat: {
        ++t.sat;
        ASSERT_TRUE(r.counterexample.has_value());
        EXPECT_GE(truth, -1e-6) << "sat, but brute force says the largest margin is " << truth;
        const verify::Counterexample& c = *r.counterexample;
        const data::InputBox& box = p.input_boxes[static_cast<size_t>(c.box)];
        for (size_t i = 0; i < c.x.size(); ++i) {
          EXPECT_GE(c.x[i], box.lo[i]);
          EXPECT_LE(c.x[i], box.hi[i]);
        }
        const Vec y = nn::forward(net, Eigen::Map<const Vec>(c.x.data(), n_in));
        EXPECT_GE(verify::disjunctMargin(p.unsafe_disjuncts[static_cast<size_t>(c.disjunct)], y),
                  -1e-9);
        break;
      }
      case verify::Status::kUnsat:
        ++t.unsat;
        EXPECT_LT(truth, 0.0) << "unsat, but brute force finds margin " << truth;
        for (const verify::BoxReport& b : r.boxes) {
          for (const verify::DisjunctReport& d : b.disjuncts) ++t.closed_by[d.closed_by];
        }
        break;
      case verify::Status::kUnknown: ++t.unknown; break;
      case verify::Status::kTimeout: ++t.timeout; break;
    }
    // Complete on these nets: a clear margin must give the verdict.
    if (truth > 1e-3) {
      EXPECT_EQ(r.status, verify::Status::kSat) << "truth " << truth << ": " << r.reason;
    }
    if (truth < -1e-3) {
      EXPECT_EQ(r.status, verify::Status::kUnsat) << "truth " << truth << ": " << r.reason;
    }
  }
}

}  // namespace nnmip::testverify
