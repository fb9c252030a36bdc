#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace nnmip::mip {

enum class Termination {
  kOptimal,          // proven optimal (within the requested gap of 0)
  kInfeasible,
  kUnbounded,
  kLimitFeasible,    // stopped by a limit (see Limit) with an incumbent
  kLimitNoSolution,  // stopped by a limit without an incumbent
  kError,
};
enum class Limit { kNone, kTime, kNodes, kGap, kSolutions, kIterations, kInterrupted };

const char* terminationName(Termination t);
const char* limitName(Limit l);

struct SolveStats {
  double wall_s = 0.0;
  long nodes = 0;
  long lp_iterations = 0;
  std::string backend;  // name + version
};

struct MipResult {
  Termination termination = Termination::kError;
  Limit limit = Limit::kNone;
  std::string detail;                // backend-specific, e.g. "cbc status 1/4"
  std::optional<double> objective;   // user sense, constant included; only with a solution
  double best_bound = NAN;           // dual bound, user sense, constant included
  std::vector<double> values;        // empty when no solution
  SolveStats stats;

  bool hasSolution() const { return !values.empty(); }
  // Relative gap |obj - bound| / max(1e-10, |obj|); NaN without an incumbent.
  double gap() const;
};

struct LpResult {
  Termination termination = Termination::kError;
  Limit limit = Limit::kNone;
  std::string detail;
  std::optional<double> objective;  // only when proven optimal
  std::vector<double> values;
  SolveStats stats;
  bool optimal() const { return termination == Termination::kOptimal; }
};

}  // namespace nnmip::mip
