#include "verify/bab_branching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace nnmip::verify::bab {
namespace {

using Mat = Eigen::MatrixXd;
using encode::LayerBounds;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Sum over the open disjuncts of how far their bound is from closing.
double openness(const std::vector<double>& ub, double margin) {
  double v = 0.0;
  for (double u : ub) v += std::max(0.0, u + margin);
  return v;
}

// Adds to `pool` the best fsb_candidates of `cands` by BaBSR score (or by intercept score) that
// it lacks, best first; once the pool holds one, a score <= 0 ends the list.
void addBest(const Context& c, const std::vector<Candidate>& cands, bool by_intercept,
             std::vector<Candidate>& pool) {
  auto by_babsr = [](const Candidate& a, const Candidate& b) { return a.babsr > b.babsr; };
  auto by_icpt = [](const Candidate& a, const Candidate& b) { return a.intercept > b.intercept; };
  const int k = std::max(1, c.opt.fsb_candidates);
  std::vector<Candidate> sorted = cands;
  const size_t n = std::min<size_t>(static_cast<size_t>(k), sorted.size());
  if (by_intercept) {
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n), sorted.end(),
                      by_icpt);
  } else {
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n), sorted.end(),
                      by_babsr);
  }
  for (size_t q = 0; q < n; ++q) {
    if ((by_intercept ? sorted[q].intercept : sorted[q].babsr) <= 0.0 && !pool.empty()) break;
    const bool dup = std::any_of(pool.begin(), pool.end(),
                                 [&](const Candidate& p) { return p.id == sorted[q].id; });
    if (!dup) pool.push_back(sorted[q]);
  }
}

std::vector<Candidate> unstableCandidates(const Context& c, const Node& node, const Crown& cr) {
  std::vector<Candidate> cands = scoreNeurons(c, node, cr);
  NNMIP_CHECK(!cands.empty(), "bab: no unstable neuron to branch on");
  return cands;
}

}  // namespace

std::vector<Candidate> scoreNeurons(const Context& c, const Node& node, const Crown& cr) {
  std::vector<Candidate> out;
  for (int i = 0; i <= c.last_relaxed; ++i) {
    const nn::DenseLayer& layer = c.net.layer(i);
    if (!encode::isReluLayer(layer)) continue;
    const LayerBounds& b = node.bounds[static_cast<size_t>(i)];
    const Mat& lam = cr.coef_h[static_cast<size_t>(i)];
    for (int j = 0; j < b.size(); ++j) {
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      if (!(lo < 0.0 && hi > 0.0)) continue;
      const double s = hi / (hi - lo);
      const double icpt = -lo * s;
      const double bias = layer.bias[j];
      Candidate cand{{i, j}, 0.0, 0.0};
      for (Eigen::Index r = 0; r < lam.rows(); ++r) {
        const double v = lam(r, j);
        // BaBSR (Bunel et al. 2020, as alpha-beta-CROWN computes it): the bias term through
        // the relaxation, max of the two phases, plus the upper line's intercept.
        const double score = std::max(bias * v * (s - 1.0), bias * v * s) + std::min(v, 0.0) * icpt;
        cand.babsr += std::abs(score);
        cand.intercept += std::abs(std::min(v, 0.0) * icpt);
      }
      out.push_back(cand);
    }
  }
  return out;
}

nn::NeuronId branchBabsr(const Context& c, const Node& node, const Crown& cr,
                         const SpecRows& /*rows*/) {
  std::vector<Candidate> pool;
  addBest(c, unstableCandidates(c, node, cr), false, pool);
  return pool.front().id;
}

nn::NeuronId branchFsb(const Context& c, const Node& node, const Crown& cr, const SpecRows& rows) {
  const std::vector<Candidate> cands = unstableCandidates(c, node, cr);
  std::vector<Candidate> pool;
  addBest(c, cands, false, pool);
  addBest(c, cands, true, pool);
  if (pool.size() == 1) return pool.front().id;
  // Filtered smart branching: bound both children of each candidate by one CROWN pass with the
  // node's bounds and the neuron clamped; smallest worst child (ties: smallest sum) wins.
  std::vector<LayerBounds> b = node.bounds;
  nn::NeuronId best = pool.front().id;
  double best_worst = kInf;
  double best_sum = kInf;
  for (const Candidate& cand : pool) {
    LayerBounds& lb = b[static_cast<size_t>(cand.id.layer)];
    const double lo = lb.lo[cand.id.index];
    const double hi = lb.hi[cand.id.index];
    double v[2];
    for (int side = 0; side < 2; ++side) {
      if (side == 0) {
        lb.hi[cand.id.index] = 0.0;  // inactive
      } else {
        lb.lo[cand.id.index] = 0.0;  // active
      }
      const BetaOutcome child =
          betaCrown(c, b, node.splits, rows.C, rows.c0, 0, kInf, rows.ids, node.slopes, false);
      std::vector<double> ub = c.spec.marginUpper(node.open, child.best);
      for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], node.ub[q]);
      v[side] = openness(ub, c.opt.close_margin);
      lb.lo[cand.id.index] = lo;
      lb.hi[cand.id.index] = hi;
    }
    const double worst = std::max(v[0], v[1]);
    const double sum = v[0] + v[1];
    if (worst < best_worst || (worst == best_worst && sum < best_sum)) {
      best_worst = worst;
      best_sum = sum;
      best = cand.id;
    }
  }
  return best;
}

BranchRule branchRule(Branching branching) {
  switch (branching) {
    case Branching::kBabsr: return branchBabsr;
    case Branching::kFsb: return branchFsb;
  }
  return branchFsb;
}

}  // namespace nnmip::verify::bab
