#pragma once
// One input box under verification, as every engine runs it: its report, its counterexample and
// its doubt flag, the candidate check, the phase runner, the attack phase and the box verdict.
#include <Eigen/Dense>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "encode/ranges.hpp"
#include "verify/result.hpp"
#include "verify/spec.hpp"

namespace nnmip::verify {

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
// disjunct, within attack_time_s (at most 10 % of the time limit); its best point goes through
// the witness check.
std::string attackPhase(EngineState& e, BoxRun& run);

// The box's verdict: sat with a counterexample; unsat when every disjunct closed and nothing was
// doubted; unknown when all closed with a doubt; timeout when the clock ran out or a solve hit
// its limit; else unknown. Moves the report out (with its wall time); `ce` gets a sat's witness.
BoxReport finishBox(const EngineState& e, BoxRun& run, double wall_s,
                    std::optional<Counterexample>& ce);

}  // namespace nnmip::verify
