#pragma once
// Pre-activation bounds per layer, their statistics and the gap between two tiers.
#include <string>
#include <string_view>
#include <vector>

#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

using encode::LayerBounds;
using encode::NetworkBounds;
using Vec = Eigen::VectorXd;

// Ordered by strength of the chain (bounder.cpp: a tier starts from the ones before it).
enum class Method { kNaive, kInterval, kSymbolic, kAlpha, kLp, kMilp };
const char* methodName(Method method);
// "naive", "interval", "symbolic", "alpha", "lp", "milp"; throws Error{kInvalidInput} otherwise.
Method parseMethod(std::string_view name);

// Per-layer report of one bound computation.
struct LayerStats {
  int layer = 0;  // 0-based DenseLayer index (printed 1-based)
  int size = 0;
  bool relu = false;    // stability counts are meaningful only for ReLU layers
  bool logits = false;  // a final softmax layer: the bounds are on its logits, not probabilities
  double mean_width = 0.0;  // mean of hi - lo
  double max_width = 0.0;
  int stable_active = 0;    // lo >= 0
  int stable_inactive = 0;  // hi <= 0
  int unstable = 0;
  long lps = 0;            // LP solves taken by this layer (both senses)
  long milps = 0;          // MILP solves
  long failed = 0;         // solves whose value was not proven (weaker bound kept)
  long lp_retries = 0;     // LP solves repeated cold after an unproven warm solve
  long lp_iterations = 0;  // simplex iterations (LP solves)
  long mip_nodes = 0;
  double time_s = 0.0;
};

// Widths and stability counts of `bounds` (solver counters left at 0).
std::vector<LayerStats> describeBounds(const nn::Network& net, const NetworkBounds& bounds);
void fillShapeStats(const nn::DenseLayer& layer, const LayerBounds& b, LayerStats& s);

// The thesis's relative gap between two tiers, per neuron and side:
//   |B_a - B_b| / (|B_b| + 1e-10)   (B_b is the reference, e.g. a = LP, b = MILP).
struct LayerGap {
  int layer = 0;
  double mean_lo = 0.0;
  double max_lo = 0.0;
  double mean_hi = 0.0;
  double max_hi = 0.0;
};
double relativeGap(double a, double b);
std::vector<LayerGap> compareBounds(const NetworkBounds& a, const NetworkBounds& b);

// Tightest of two valid bound sets: per neuron max of the lows and min of the highs.
// Throws Error{kInternal} if they are disjoint by more than tol*(1+|v|) (one of them is
// wrong); a crossing within that tolerance (solver round-off) is swapped, so the result is
// still an interval that contains the true value.
NetworkBounds intersectBounds(const NetworkBounds& a, const NetworkBounds& b, double tol = 1e-6);
LayerBounds intersectLayer(const LayerBounds& a, const LayerBounds& b, double tol = 1e-6);

// Whether `inner` lies inside `outer` up to tol on every neuron.
bool containedIn(const NetworkBounds& inner, const NetworkBounds& outer, double tol);

}  // namespace nnmip::bounds
