#include "bounds/partial_milp.hpp"

#include <algorithm>
#include <optional>

#include "core/error.hpp"
#include "encode/ranges.hpp"

namespace nnmip::bounds {

std::vector<Vec> relaxationImpact(const nn::Network& net, const encode::Domain& domain,
                                  const NetworkBounds& bounds, int k, int j) {
  encode::checkBoundsFor(net, bounds);
  if (k < 1 || k >= net.numLayers() || j < 0 || j >= net.layer(k).outputSize()) {
    fail(ErrorKind::kInvalidInput, "partial MILP: no neuron {} in layer {}", j, k);
  }
  std::vector<Vec> scores(static_cast<size_t>(k));
  Vec g = Vec::Zero(net.layer(k).outputSize());  // |d a_j / d a_{m+1}| under the upper slopes
  g[j] = 1.0;
  for (int m = k - 1; m >= 0; --m) {
    const Vec s = net.layer(m + 1).weight.cwiseAbs().transpose() * g;  // ... / d h_m
    const LayerBounds& b = bounds.layers[static_cast<size_t>(m)];
    Vec& score = scores[static_cast<size_t>(m)];
    score = Vec::Zero(s.size());
    g = s;
    if (!encode::isReluLayer(net.layer(m))) continue;
    for (Eigen::Index i = 0; i < s.size(); ++i) {
      const std::optional<encode::Phase> split = domain.phaseOf({m, static_cast<int>(i)});
      const double l = b.lo[i];
      const double u = b.hi[i];
      if (split) {
        g[i] = *split == encode::Phase::kActive ? s[i] : 0.0;
      } else if (u <= 0.0) {
        g[i] = 0.0;
      } else if (l < 0.0) {
        score[i] = s[i] * (-l * u / (u - l));
        g[i] = s[i] * u / (u - l);
      }
    }
  }
  return scores;
}

void keepImportantBinaries(mip::Model& model, const encode::CompactEncoding& enc,
                           const nn::Network& net, const encode::Domain& domain,
                           const NetworkBounds& bounds, int k, int j, int keep) {
  if (keep < 0) fail(ErrorKind::kInvalidInput, "partial MILP: binaries to keep < 0");
  if (static_cast<size_t>(keep) >= enc.unstable.size()) return;
  const std::vector<Vec> scores = relaxationImpact(net, domain, bounds, k, j);
  std::vector<double> impact;
  impact.reserve(enc.unstable.size());
  for (const encode::CompactEncoding::Unstable& u : enc.unstable) {
    impact.push_back(scores[static_cast<size_t>(u.id.layer)][u.id.index]);
  }
  std::vector<size_t> order(enc.unstable.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t c) { return impact[a] > impact[c]; });
  for (size_t r = static_cast<size_t>(keep); r < order.size(); ++r) {
    model.setVarType(enc.unstable[order[r]].z, mip::VarType::kContinuous);
  }
}

}  // namespace nnmip::bounds
