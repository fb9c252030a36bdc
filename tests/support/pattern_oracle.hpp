#pragma once
// Exact oracle for tests on tiny networks: depth-first over activation patterns of the hidden
// ReLUs; with a pattern fixed the network is affine in x, so the pattern's region is a polytope
// of the box and the largest margin max_x min_a (rhs_a - coef_a . y) over it is one LP (CLP
// through mip::makeLpSession); subtrees whose pattern rows are infeasible are pruned by the same
// LP. Phase splits restrict the enumeration. The last layer is taken as affine (identity).
// Independent of every bound tier: shared by the bounds and verify tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "data/vnnlib.hpp"
#include "encode/domain.hpp"
#include "mip/solver.hpp"
#include "nn/network.hpp"

namespace nnmip::testsupport {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct Affine {  // v = A x + c
  Mat A;
  Vec c;
};

struct Oracle {
  const nn::Network& net;
  const data::InputBox& box;
  const std::vector<std::vector<data::LinearAtom>>& disjuncts;
  std::vector<std::pair<Eigen::RowVectorXd, double>> rows;  // r . x + k >= 0
  double best = -kInf;                                      // largest margin found
  long lps = 0;
  // Phase decisions of hidden ReLUs (a split neuron is enumerated in its phase only).
  const std::map<nn::NeuronId, encode::Phase>* splits = nullptr;

  bool allowed(int layer, int j, encode::Phase phase) const {
    if (splits == nullptr) return true;
    const auto it = splits->find(nn::NeuronId{layer, j});
    return it == splits->end() || it->second == phase;
  }

  // max of objective over the box and rows: t <= rhs_a - coef_a . (A x + c) when `out` is given,
  // otherwise a feasibility check (returns 0 when feasible, -inf when not).
  double solve(const Affine* out, const std::vector<data::LinearAtom>* atoms) {
    mip::Model m;
    const int n = net.inputSize();
    std::vector<mip::Var> x;
    for (int i = 0; i < n; ++i) x.push_back(m.addContinuous(box.lo[i], box.hi[i]));
    std::vector<mip::Term> terms;
    for (const auto& [r, k] : rows) {
      terms.clear();
      for (int i = 0; i < n; ++i) terms.push_back({x[i], r[i]});
      m.addGe(terms, -k);
    }
    mip::Var t;
    if (out != nullptr) {
      t = m.addContinuous(-1e6, 1e6);
      for (const data::LinearAtom& a : *atoms) {
        // t + coef . (A x + c) <= rhs
        const Eigen::RowVectorXd cf = Eigen::Map<const Eigen::RowVectorXd>(
            a.coef.data(), static_cast<Eigen::Index>(a.coef.size()));
        const Eigen::RowVectorXd g = cf * out->A;
        terms.clear();
        terms.push_back({t, 1.0});
        for (int i = 0; i < n; ++i) terms.push_back({x[i], g[i]});
        m.addLe(terms, a.rhs - cf.dot(out->c));
      }
      m.setObjective(mip::Sense::kMaximize, {{t, 1.0}});
    }
    auto s = mip::makeLpSession(m);
    const mip::LpResult r = s->solve();
    ++lps;
    if (r.termination == mip::Termination::kInfeasible) return -kInf;
    EXPECT_TRUE(r.optimal()) << mip::terminationName(r.termination);
    return out != nullptr ? r.objective.value_or(kInf) : 0.0;
  }

  void dfs(int layer, const Affine& h) {
    const nn::DenseLayer& L = net.layer(layer);
    Affine a{L.weight * h.A, L.weight * h.c + L.bias};
    if (layer + 1 == net.numLayers()) {
      for (const auto& atoms : disjuncts) best = std::max(best, solve(&a, &atoms));
      return;
    }
    // Range of each pre-activation over the box (exact for an affine map), to skip stable ones.
    const Vec mid = 0.5 * (Eigen::Map<const Vec>(box.lo.data(), net.inputSize()) +
                           Eigen::Map<const Vec>(box.hi.data(), net.inputSize()));
    const Vec rad = 0.5 * (Eigen::Map<const Vec>(box.hi.data(), net.inputSize()) -
                           Eigen::Map<const Vec>(box.lo.data(), net.inputSize()));
    const Vec centre = a.A * mid + a.c;
    const Vec spread = a.A.cwiseAbs() * rad;
    branch(layer, a, centre, spread, 0,
           Affine{Mat::Zero(L.outputSize(), net.inputSize()), Vec::Zero(L.outputSize())});
  }

  void branch(int layer, const Affine& a, const Vec& centre, const Vec& spread, int j, Affine h) {
    const int n = static_cast<int>(a.c.size());
    if (j == n) {
      if (solve(nullptr, nullptr) == -kInf) return;  // pattern region empty
      dfs(layer + 1, h);
      return;
    }
    const double lo = centre[j] - spread[j];
    const double hi = centre[j] + spread[j];
    if (hi > 0 && allowed(layer, j, encode::Phase::kActive)) {  // a_j >= 0, h_j = a_j
      const bool needs_row = lo < 0;
      if (needs_row) rows.push_back({a.A.row(j), a.c[j]});
      Affine h2 = h;
      h2.A.row(j) = a.A.row(j);
      h2.c[j] = a.c[j];
      branch(layer, a, centre, spread, j + 1, h2);
      if (needs_row) rows.pop_back();
    }
    if (lo < 0 && allowed(layer, j, encode::Phase::kInactive)) {  // a_j <= 0, h_j = 0
      const bool needs_row = hi > 0;
      if (needs_row) rows.push_back({-a.A.row(j), -a.c[j]});
      branch(layer, a, centre, spread, j + 1, h);
      if (needs_row) rows.pop_back();
    }
  }
};

// Largest margin over the boxes and disjuncts of the property (exact up to LP tolerances).
inline double bruteForceMargin(const nn::Network& net, const data::VnnlibProperty& p) {
  double best = -kInf;
  for (const data::InputBox& box : p.input_boxes) {
    Oracle o{net, box, p.unsafe_disjuncts, {}, -kInf, 0, nullptr};
    o.dfs(0, Affine{Mat::Identity(net.inputSize(), net.inputSize()), Vec::Zero(net.inputSize())});
    best = std::max(best, o.best);
  }
  return best;
}

// min over the box and the splits of c . y + c0 (y: the outputs, last layer affine); +inf when
// no input satisfies the splits.
inline double bruteForceMinimum(const nn::Network& net, const data::InputBox& box,
                                const std::map<nn::NeuronId, encode::Phase>& splits, const Vec& c,
                                double c0) {
  data::LinearAtom atom;  // margin rhs - c . y with rhs = -c0: the largest margin is -min
  atom.coef.assign(c.data(), c.data() + c.size());
  atom.rhs = -c0;
  const std::vector<std::vector<data::LinearAtom>> disjuncts{{atom}};
  Oracle o{net, box, disjuncts, {}, -kInf, 0, &splits};
  o.dfs(0, Affine{Mat::Identity(net.inputSize(), net.inputSize()), Vec::Zero(net.inputSize())});
  return -o.best;
}

}  // namespace nnmip::testsupport
