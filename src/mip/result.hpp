#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace nnmip::mip {

enum class Termination {
  kOptimal,  // proven optimal (within the requested gap of 0)
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
  std::string detail;               // backend-specific, e.g. "cbc status 1/4"
  std::optional<double> objective;  // user sense, constant included; only with a solution
  double best_bound = NAN;          // dual bound, user sense, constant included
  std::vector<double> values;       // empty when no solution
  SolveStats stats;

  bool hasSolution() const { return !values.empty(); }
  // Relative gap |obj - bound| / max(1e-10, |obj|); NaN without an incumbent.
  double gap() const;
  // The bound this solve proves on the optimum (user sense; NaN when it proves none): the dual
  // bound of an optimal or limit-stopped run, never the incumbent (an optimal run without a
  // finite dual bound proves its objective).
  double provenBound() const;
};

// Dual information (the sign conventions are the same for both senses): after an optimal solve,
// row_duals y and reduced_costs d with c = A^T y + d for the objective c as set (user sense),
// y_i the shadow price of row i (d objective / d its active side): for a minimisation
// y_i >= 0 at an active lower side and <= 0 at an active upper side, for a maximisation the
// reverse. Any y gives a valid bound through mip::safeObjectiveBound (safe_bound.hpp); these
// are the ones that make it tight. After an infeasible solve, when the backend can give one,
// farkas_ray is a vector over the rows meant to prove that no x in the column box satisfies the
// rows (CLP: its infeasibility ray, else the duals of the elastic LP; signed so that it proves it
// in double arithmetic when either sign does). Verify it with mip::farkasCertifiesInfeasible
// before relying on it. Empty when unavailable (e.g. crossed bounds found before solving).
struct LpResult {
  Termination termination = Termination::kError;
  Limit limit = Limit::kNone;
  std::string detail;
  std::optional<double> objective;  // only when proven optimal
  std::vector<double> values;
  std::vector<double> row_duals;      // optimal only; one per row
  std::vector<double> reduced_costs;  // optimal only; one per column
  std::vector<double> farkas_ray;     // infeasible only, when available; one per row
  SolveStats stats;
  bool optimal() const { return termination == Termination::kOptimal; }
};

}  // namespace nnmip::mip
