#pragma once
// A VNN-LIB property as the engines use it: the input checks every engine makes first, the unsafe
// disjuncts as one matrix (one row per atom coef . y <= rhs), and the attack's objective.
#include <Eigen/Dense>

#include <atomic>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/callbacks.hpp"
#include "core/timer.hpp"
#include "data/vnnlib.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"
#include "verify/result.hpp"
#include "verify/verifier.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {

using Atoms = std::vector<data::LinearAtom>;

// Throws Error{kInvalidInput} when the property's input/output counts differ from the network's,
// a box is malformed or a coefficient is not finite; Error{kUnsupported} for networks the
// engines cannot encode (step activations, a softmax output: VNN-LIB outputs then mean
// probabilities).
void checkProperty(const nn::Network& net, const data::VnnlibProperty& property);
// Error{kInvalidInput} for threads < 1 or a time limit that is not positive.
void checkOptions(const VerifyOptions& options);

// What every engine does with the input boxes: each verified separately, in order, stopping at
// the first `sat` (its counterexample becomes the result's) or when time is out; then `timeout`
// if any box timed out, `unknown` if any stayed open, else `unsat`. The texts name what stayed
// open, or what closed everything, in the engine's own words. A property without unsafe
// disjuncts is `unsat` at once.
struct BoxVerdictTexts {
  const char* timeout;
  const char* unknown;
  const char* unsat;
};
using VerifyBox = std::function<BoxReport(int box, std::optional<Counterexample>& ce)>;
Result verifyBoxes(const data::VnnlibProperty& property, const Timer& timer,
                   const std::function<bool()>& out_of_time, const VerifyBox& verify_box,
                   const BoxVerdictTexts& texts);

struct SpecMatrix {
  Eigen::MatrixXd C;                       // one row per atom: coef
  Eigen::VectorXd rhs;                     // one per atom
  std::vector<int> disjunct_of;            // atom -> disjunct
  std::vector<std::vector<int>> atoms_of;  // disjunct -> atom rows
  // The atom rows of the given disjuncts, in order.
  std::vector<int> rowsOf(const std::vector<int>& disjuncts) const;
};

SpecMatrix specMatrix(const std::vector<Atoms>& disjuncts, int num_outputs);

// f(y) = max over the `active` disjuncts d of min over the atoms a of d of (rhs_a - coef_a . y):
// > 0 where y violates the property. `s` must outlive the objective.
nn::OutputObjective specObjective(const SpecMatrix& s, std::vector<int> active);
// The same over every disjunct.
nn::OutputObjective specObjective(const SpecMatrix& s);

// What a verification engine holds for one property: the network (double and float32), the
// property and its atom matrix, the options, and the clock and stop state every phase checks.
struct EngineState {
  const nn::Network& net;
  const data::VnnlibProperty& prop;
  const VerifyOptions& opt;
  const Callbacks& cb;
  FloatNetwork net32;
  SpecMatrix spec;
  Timer timer;
  std::atomic<bool> stop{false};  // a verdict was reached (sat), or should_stop

  EngineState(const nn::Network& n, const data::VnnlibProperty& p, const VerifyOptions& o,
              const Callbacks& c)
      : net(n),
        prop(p),
        opt(o),
        cb(c),
        net32(n),
        spec(specMatrix(p.unsafe_disjuncts, p.num_outputs)) {}

  double remaining() const {
    return opt.time_limit_s ? *opt.time_limit_s - timer.seconds()
                            : std::numeric_limits<double>::infinity();
  }
  bool outOfTime() const { return remaining() <= 0.0 || cb.stopRequested(); }
  bool halted() const { return stop.load() || outOfTime(); }
  void log(const std::string& line) const { cb.log(Level::kInfo, line); }
};

}  // namespace nnmip::verify
