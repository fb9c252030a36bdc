#include "bounds/bounder.hpp"

#include "bounds/alpha.hpp"
#include "bounds/propagation.hpp"
#include "core/timer.hpp"

namespace nnmip::bounds {

BoundsResult computeBounds(const nn::Network& net, const Box& box, const BoundsOptions& options,
                           const Callbacks& callbacks) {
  return computeBounds(net, encode::Domain(box), options, callbacks);
}

BoundsResult computeBounds(const nn::Network& net, const encode::Domain& domain,
                           const BoundsOptions& options, const Callbacks& callbacks) {
  const Timer timer;
  encode::checkSupported(net);
  domain.validate(net, "input domain");
  const Box& box = domain.box;
  const NetworkBounds naive = computeNaive(net, box);
  BoundsResult out;
  if (options.method == Method::kNaive) {
    out.bounds = naive;
  } else {
    NetworkBounds best = computeInterval(net, domain, &naive);
    if (options.method == Method::kSymbolic || options.method == Method::kAlpha ||
        (options.method >= Method::kLp && options.symbolic_seed)) {
      best = computeSymbolic(net, domain, &best);
    }
    if (options.method == Method::kAlpha) {
      std::vector<AlphaLayerStats> alpha_stats;
      out.bounds = computeAlpha(net, domain, &best, options.alpha, &alpha_stats);
      out.stats = describeBounds(net, out.bounds);
      for (size_t l = 0; l < out.stats.size(); ++l) out.stats[l].time_s = alpha_stats[l].time_s;
    } else if (options.method == Method::kLp) {
      out = computeLpBounds(net, domain, best, options.solver, callbacks);
    } else if (options.method == Method::kMilp) {
      out = computeMilpBounds(net, domain, best, options.solver, callbacks);
    } else {
      out.bounds = std::move(best);
    }
  }
  out.bounds.method = methodName(options.method);
  if (out.stats.empty()) out.stats = describeBounds(net, out.bounds);
  out.wall_s = timer.seconds();
  return out;
}

}  // namespace nnmip::bounds
