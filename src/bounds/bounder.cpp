#include "bounds/bounder.hpp"

#include "bounds/propagation.hpp"
#include "core/timer.hpp"

namespace nnmip::bounds {

BoundsResult computeBounds(const nn::Network& net, const Box& box, const BoundsOptions& options,
                           const Callbacks& callbacks) {
  const Timer timer;
  encode::checkSupported(net);
  box.validate("input domain", net.inputSize());
  const NetworkBounds naive = computeNaive(net, box);
  BoundsResult out;
  if (options.method == Method::kNaive) {
    out.bounds = naive;
  } else {
    NetworkBounds best = computeInterval(net, box, &naive);
    if (options.method == Method::kSymbolic ||
        (options.method >= Method::kLp && options.symbolic_seed)) {
      best = computeSymbolic(net, box, &best);
    }
    if (options.method == Method::kLp) {
      out = computeLpBounds(net, best, options.solver, callbacks);
    } else if (options.method == Method::kMilp) {
      out = computeMilpBounds(net, best, options.solver, callbacks);
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
