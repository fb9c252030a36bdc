#pragma once
// What every engine runs: the option check, the loop over the input boxes (verifyBoxes), the
// engine's shared state (EngineState), and one input box under verification: its report, its
// counterexample and its doubt flag, the candidate check, the phase runner, the attack phase and
// the box verdict.
#include <Eigen/Dense>

#include <atomic>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/callbacks.hpp"
#include "core/timer.hpp"
#include "data/vnnlib.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"
#include "verify/result.hpp"
#include "verify/spec.hpp"
#include "verify/verifier.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {

// options.validate(): Error{kInvalidInput} naming the first field out of its range.
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

// What a verification engine holds for one property: the network (double and float32), the
// property and its atom matrix, the options, and the clock and stop state every phase checks.
struct EngineState {
  const nn::Network& net;
  const data::VnnlibProperty& prop;
  const VerifyOptions& opt;
  const Callbacks& cb;
  FloatNetwork net32;
  Spec spec;
  Timer timer;
  std::atomic<bool> stop{false};  // a verdict was reached (sat), or should_stop

  EngineState(const nn::Network& n, const data::VnnlibProperty& p, const VerifyOptions& o,
              const Callbacks& c)
      : net(n), prop(p), opt(o), cb(c), net32(n), spec(p.unsafe_disjuncts, p.num_outputs) {}

  double remaining() const {
    return opt.time_limit_s ? *opt.time_limit_s - timer.seconds()
                            : std::numeric_limits<double>::infinity();
  }
  bool outOfTime() const { return remaining() <= 0.0 || cb.stopRequested(); }
  bool halted() const { return stop.load() || outOfTime(); }
  void log(const std::string& line) const { cb.log(Level::kInfo, line); }
};

struct BoxRun {
  int index = 0;
  encode::Box box;
  BoxReport report;
  std::optional<Counterexample> ce;
  bool doubt = false;         // a phase failed or doubted: no verdict from this box except sat
  bool time_limited = false;  // a solve stopped at its time limit: the box ends as `timeout`

  // Input box `index` of the engine's property, every disjunct open.
  BoxRun(const EngineState& e, int index);
  int openCount() const;
  std::vector<int> open() const;
};

// Raises every disjunct's best margin by the double forward pass of x and runs the witness check
// (verify/witness.hpp); a valid counterexample is the box's first one and stops the engine.
// `mu` guards the report when several workers call this.
bool tryCandidate(EngineState& e, BoxRun& run, const Eigen::VectorXd& x, const std::string& by,
                  std::mutex* mu = nullptr);

// Runs `body` as the phase `name`: its detail string, wall time, open and closed disjuncts after
// it, a log line; an exception is recorded as the phase's detail and makes the box doubtful.
void runPhase(EngineState& e, BoxRun& run, const std::string& name,
              const std::function<std::string()>& body);

// The centre of the box through the witness check.
std::string centrePhase(EngineState& e, BoxRun& run);
// Projected gradient on the open disjuncts (nn/attack.hpp) with one output-targeted start per
// disjunct; its best point goes through the witness check. The attack's budget is attack_time_s
// (at most kAttackTimeShare of the time limit), spent in two stages (phase_budget.hpp): the first
// share before the bounds, the rest, from other random starts, after the engine's cheap bounds.
enum class AttackStage { kFirst, kSecond };
std::string attackPhase(EngineState& e, BoxRun& run, AttackStage stage);

// The box's verdict: sat with a counterexample; unsat when every disjunct closed and nothing was
// doubted; unknown when all closed with a doubt; timeout when the clock ran out or a solve hit
// its limit; else unknown. Moves the report out (with its wall time); `ce` gets a sat's witness.
BoxReport finishBox(const EngineState& e, BoxRun& run, double wall_s,
                    std::optional<Counterexample>& ce);

}  // namespace nnmip::verify
