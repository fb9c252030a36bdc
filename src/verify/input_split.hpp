#pragma once
// Input-splitting branch and bound: the verification engine for networks with few inputs (ACAS Xu
// has 5), where bisecting the input box beats splitting ReLUs.
//
// Per input box of the property (each separately, never their hull):
//   centre  forward pass of the box centre -> witness check (verify/witness.hpp);
//   attack  projected gradient on max_d min_a (rhs_a - coef_a . y) (nn/attack.hpp), as in the
//           ReLU engine: the first stage of VerifyOptions::attack_time_s (verify/phase_budget.hpp);
//           the split's own candidates (sub-box centres, minimising corners) search on after it;
//   split   a best-first worklist of sub-boxes (largest upper bound on a disjunct's margin
//           first). Per sub-box:
//             1. symbolic pre-activation bounds (bounds::computeSymbolic, CROWN-style
//                back-substitution intersected with interval arithmetic);
//             2. per atom a of every disjunct still open there, a linear lower bound
//                coef_a . y >= A_a x + c_a valid on the sub-box (back-substitution of coef_a
//                through the same relaxations), hence the margin bound
//                U_a = rhs_a - min over the sub-box of (A_a x + c_a);
//                with `bound = alpha` (the default) the optimised slopes
//                (bounds::alphaSpecLowerBounds, alpha_iterations steps) are tried as well when
//                the symbolic bound does not close the disjunct;
//             3. a disjunct is closed on the sub-box when some atom has U_a < -tau_a,
//                tau_a = close_margin + close_rel * (|rhs_a| + |c_a| + sum_i |A_a,i| max|x_i|)
//                (the numerical margin of VERIFY.md section 4: the bounds are computed in plain
//                double); a sub-box is a closed leaf when every disjunct is closed there, and a
//                disjunct closed on a sub-box stays closed on its pieces;
//             4. otherwise the sub-box centre and, per open disjunct, the corner of the sub-box
//                that minimises its binding atom's linear bound go to the witness check;
//             5. then the sub-box is bisected at the midpoint of one input, the one with the
//                largest score summed over the open disjuncts' binding atoms:
//                kSmear (default)  max |d(coef . y)/dx_i| over the sub-box (interval bounds on
//                                  the gradient, ReLU derivative [0, 1] where unstable) times
//                                  width_i (ReluVal's smear);
//                kGradient         |A_i| * width_i (the input whose width costs the linear
//                                  bound most); blind to inputs that act only through unstable
//                                  neurons relaxed with slope 0;
//                kWidest           width_i relative to the root box.
//                Measured on ACAS Xu in docs/results_acasxu.md.
//           Sub-boxes are bounded in batches on VerifyOptions::threads workers
//           (core/parallel.hpp); the batch results are applied in order, so a run with a fixed
//           seed gives the same tree whatever the thread count.
//   attack-2  the rest of the attack when the split stops early (depth, frontier or a bound
//           failure) with time left.
// Soundness: `unsat` only when every leaf of every box is closed with its margin; `sat` only
// from the witness check. An exception while bounding a sub-box, a sub-box that cannot be split
// further (max_depth, or a width that no longer halves in double) and the frontier limit leave
// the box open: `unknown`; the time limit or Callbacks::should_stop give `timeout`.
#include <string>
#include <string_view>

#include "core/callbacks.hpp"
#include "data/vnnlib.hpp"
#include "nn/network.hpp"
#include "verify/result.hpp"
#include "verify/verifier.hpp"

namespace nnmip::verify {

enum class SplitBound { kSymbolic, kAlpha };
enum class SplitRule { kGradient, kSmear, kWidest };
const char* splitBoundName(SplitBound bound);  // "symbolic", "alpha"
const char* splitRuleName(SplitRule rule);     // "gradient", "smear", "widest"

struct InputSplitOptions {
  SplitBound bound = SplitBound::kAlpha;
  SplitRule rule = SplitRule::kSmear;
  double close_margin = 1e-5;  // absolute part of tau (output units)
  double close_rel = 1e-9;     // relative part of tau (times the size of the bound's terms)
  int batch = 32;              // sub-boxes bounded per parallel round (per worker: batch/threads)
  long max_frontier = 400000;  // open sub-boxes kept at once; beyond it the box is unknown
  int max_depth = 200;         // a deeper open sub-box is not split further (unknown)
  int alpha_iterations = 10;   // bound = alpha: gradient steps per sub-box
};

// Throws Error{kInvalidInput} when the property's input/output counts differ from the network's
// or a box is malformed, Error{kUnsupported} for step activations or a softmax output (as
// verifyProperty). Everything that goes wrong later ends as `unknown`, never as a verdict.
// Uses VerifyOptions::time_limit_s, threads, seed, attack and attack_time_s.
Result verifyByInputSplit(const nn::Network& net, const data::VnnlibProperty& property,
                          const VerifyOptions& options = {}, const Callbacks& callbacks = {},
                          const InputSplitOptions& split = {});

}  // namespace nnmip::verify
