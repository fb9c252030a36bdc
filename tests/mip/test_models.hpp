#pragma once
// Small models with hand-computed optima, shared by the mip tests.
#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "mip/model.hpp"

namespace nnmip::mip::testing {

// 0/1 knapsack, maximise.
//   item      0   1   2   3   4
//   value    10  13   7   8   4
//   weight    5   6   4   3   2      capacity 10
// Best sets by enumeration of the few sets of weight <= 10:
//   {0,3,4}: w 10, v 22   {1,3}: w 9, v 21   {1,2}: w 10, v 20   {2,3,4}: w 9, v 19
// so the optimum is 22 with x = (1,0,0,1,1).
// LP relaxation (ratio order 3, 1, then 0/4 at ratio 2): 8 + 13 + 1 unit at ratio 2 = 23.
inline Model knapsack(double constant = 0.0) {
  Model m;
  const double value[] = {10, 13, 7, 8, 4};
  const double weight[] = {5, 6, 4, 3, 2};
  std::vector<Term> obj, row;
  for (int j = 0; j < 5; ++j) {
    const Var x = m.addBinary(fmt::format("x{}", j));
    obj.push_back({x, value[j]});
    row.push_back({x, weight[j]});
  }
  m.addLe(row, 10.0, "capacity");
  m.setObjective(Sense::kMaximize, obj, constant);
  return m;
}

// LP: max 3x + 2y  s.t.  x + y <= 4 (r0),  x + 3y <= 9 (r1),  x <= 3 (r2),  x, y >= 0.
// Vertices: (0,0) 0, (3,0) 9, (3,1) 11, (1.5,2.5) 9.5, (0,3) 6  ->  optimum 11 at (3,1).
// Active rows at (3,1): r0 and r2 (r1: 6 < 9). Duals: 3 = u0 + u2, 2 = u0 -> u0 = 2, u2 = 1;
// dual objective 4*2 + 3*1 = 11. Raising r0's rhs by 0.5 moves the optimum to (3,1.5) = 12.
inline Model smallLp(double r0_rhs = 4.0) {
  Model m;
  const Var x = m.addContinuous(0.0, kInf, "x");
  const Var y = m.addContinuous(0.0, kInf, "y");
  m.addLe({{x, 1.0}, {y, 1.0}}, r0_rhs, "r0");
  m.addLe({{x, 1.0}, {y, 3.0}}, 9.0, "r1");
  m.addLe({{x, 1.0}}, 3.0, "r2");
  m.setObjective(Sense::kMaximize, {{x, 3.0}, {y, 2.0}});
  return m;
}

// Deterministic generator (splitmix64), identical on every platform.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int uniformInt(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// Multi-dimensional knapsack: max sum v_j x_j, sum_j w_ij x_j <= cap_i, x binary.
// Integer data from SplitMix(seed); capacities are half the row sums.
inline Model multiKnapsack(int items, int dims, uint64_t seed) {
  SplitMix rng(seed);
  Model m;
  std::vector<Var> x;
  std::vector<Term> obj;
  for (int j = 0; j < items; ++j) x.push_back(m.addBinary(fmt::format("x{}", j)));
  std::vector<std::vector<int>> w(static_cast<size_t>(dims),
                                  std::vector<int>(static_cast<size_t>(items)));
  for (int i = 0; i < dims; ++i) {
    for (int j = 0; j < items; ++j)
      w[static_cast<size_t>(i)][static_cast<size_t>(j)] = rng.uniformInt(10, 100);
  }
  for (int j = 0; j < items; ++j) {
    int sum = 0;
    for (int i = 0; i < dims; ++i) sum += w[static_cast<size_t>(i)][static_cast<size_t>(j)];
    // Correlated values make the instance hard for branch and bound.
    obj.push_back(
        {x[static_cast<size_t>(j)], static_cast<double>(sum / dims + rng.uniformInt(0, 10))});
  }
  for (int i = 0; i < dims; ++i) {
    std::vector<Term> row;
    int total = 0;
    for (int j = 0; j < items; ++j) {
      row.push_back({x[static_cast<size_t>(j)],
                     static_cast<double>(w[static_cast<size_t>(i)][static_cast<size_t>(j)])});
      total += w[static_cast<size_t>(i)][static_cast<size_t>(j)];
    }
    m.addLe(row, total / 2, fmt::format("cap{}", i));
  }
  m.setObjective(Sense::kMaximize, obj);
  return m;
}

// Market split (Cornuejols & Dawande) with a planted solution, written as a maximisation:
//   max  constant - sum_i (s+_i + s-_i)
//   s.t. sum_j a_ij x_j + s+_i - s-_i = d_i   (i < rows),  x binary,  s+-, s- >= 0,
// a_ij uniform in [0, 99] and d = A x* for a random binary x*. Every point has
// sum(s) >= 0 and x* has sum(s) = 0, so the optimum is exactly `constant`; yet branch and bound
// needs a huge tree to find or prove it (the LP bound is `constant` at every node).
inline Model plantedMarketSplit(int rows, int cols, uint64_t seed, double constant) {
  SplitMix rng(seed);
  Model m;
  std::vector<Var> x;
  std::vector<int> planted;
  for (int j = 0; j < cols; ++j) {
    x.push_back(m.addBinary(fmt::format("x{}", j)));
    planted.push_back(rng.uniformInt(0, 1));
  }
  std::vector<Term> obj;
  for (int i = 0; i < rows; ++i) {
    const Var sp = m.addContinuous(0.0, kInf, fmt::format("sp{}", i));
    const Var sm = m.addContinuous(0.0, kInf, fmt::format("sm{}", i));
    std::vector<Term> row;
    int d = 0;
    for (int j = 0; j < cols; ++j) {
      const int a = rng.uniformInt(0, 99);
      row.push_back({x[static_cast<size_t>(j)], static_cast<double>(a)});
      d += a * planted[static_cast<size_t>(j)];
    }
    row.push_back({sp, 1.0});
    row.push_back({sm, -1.0});
    m.addEq(row, d, fmt::format("split{}", i));
    obj.push_back({sp, -1.0});
    obj.push_back({sm, -1.0});
  }
  m.setObjective(Sense::kMaximize, obj, constant);
  return m;
}

}  // namespace nnmip::mip::testing
