#pragma once
// The thesis's "Rounder" (Algorithm 2): set every weight with |w| <= eps to zero. Biases are
// never touched. pruneByPercent chooses eps as a quantile of |w| (per layer or over all layers).
#include <vector>

#include "nn/network.hpp"

namespace nnmip::nn {

enum class PruneScope { kLayer, kGlobal };

struct LayerPruneStats {
  int layer = 0;
  double eps = 0;        // threshold used for this layer (-1: nothing pruned)
  long total = 0;        // weights in the layer
  long zero_before = 0;  // exact zeros before rounding
  long zero_after = 0;   // exact zeros after rounding
  long zeroed() const { return zero_after - zero_before; }  // newly set to zero
  double zeroFraction() const { return total ? static_cast<double>(zero_after) / total : 0.0; }
};

struct PruneReport {
  std::vector<LayerPruneStats> layers;
  long total() const;
  long zeroBefore() const;
  long zeroAfter() const;
  long zeroed() const { return zeroAfter() - zeroBefore(); }
  double zeroFraction() const;  // share of all weights that are zero after rounding
};

// The share of all weights (biases not counted) with |w| <= eps: what roundWeights(eps) leaves at
// zero, without changing the network. 0 for a network without weights.
double shareOfWeightsAtMost(const Network& net, double eps);

// Zeroes every weight with |w| <= eps (eps >= 0; Error{kInvalidInput} otherwise).
PruneReport roundWeights(Network& net, double eps);

// The threshold that prunes `percent` % of the given magnitudes: with |w| sorted ascending
// and k = ceil(percent/100 * n), eps = the k-th smallest (-1 when k = 0, i.e. prune nothing).
// Ties at eps are all pruned, so slightly more than k weights may go.
double percentThreshold(std::vector<double> magnitudes, double percent);

// Zeroes percent % of the weights (0 <= percent <= 100): eps per layer (kLayer) or one eps
// over all weight matrices together (kGlobal).
PruneReport pruneByPercent(Network& net, double percent, PruneScope scope);

}  // namespace nnmip::nn
