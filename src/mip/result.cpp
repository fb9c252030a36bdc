#include "mip/result.hpp"

#include <algorithm>

namespace nnmip::mip {

const char* terminationName(Termination t) {
  switch (t) {
    case Termination::kOptimal: return "optimal";
    case Termination::kInfeasible: return "infeasible";
    case Termination::kUnbounded: return "unbounded";
    case Termination::kLimitFeasible: return "limit_feasible";
    case Termination::kLimitNoSolution: return "limit_no_solution";
    case Termination::kError: return "error";
  }
  return "?";
}

const char* limitName(Limit l) {
  switch (l) {
    case Limit::kNone: return "none";
    case Limit::kTime: return "time";
    case Limit::kNodes: return "nodes";
    case Limit::kGap: return "gap";
    case Limit::kSolutions: return "solutions";
    case Limit::kIterations: return "iterations";
    case Limit::kInterrupted: return "interrupted";
  }
  return "?";
}

double MipResult::gap() const {
  if (!objective || std::isnan(best_bound)) return NAN;
  return std::abs(*objective - best_bound) / std::max(1e-10, std::abs(*objective));
}

double MipResult::provenBound() const {
  switch (termination) {
    case Termination::kOptimal:
      return std::isfinite(best_bound) ? best_bound : objective.value_or(NAN);
    case Termination::kLimitFeasible:
    case Termination::kLimitNoSolution: return best_bound;
    default: return NAN;
  }
}

}  // namespace nnmip::mip
