#pragma once
// Private registry glue: factories of the concrete backends (no foreign headers here).
#include <memory>

#include "mip/solver.hpp"

namespace nnmip::mip::detail {

std::unique_ptr<MipSolver> makeCbcMipSolver();
std::unique_ptr<MipSolver> makeEnumerationSolver();
// Wraps a backend so that MipParams::hard_time_limit is honoured (deadline_solver.cpp).
std::unique_ptr<MipSolver> withHardTimeLimit(std::unique_ptr<MipSolver> inner);
// How a CLP session starts each solve (details in cbc/clp_lp_session.cpp):
//   kAuto     "clp": restart (below) after an objective change, warm after bound changes only;
//   kWarm     "clp-warm": dual(0, 1|2) from the previous basis;
//   kRestart  "clp-restart": slack basis + columns at their cost-preferred bound, dual simplex
//             with cost perturbation, on the same ClpSimplex;
//   kCold     "clp-cold": a fresh ClpSimplex and initialSolve() every time (benchmark baseline).
enum class ClpStart { kAuto, kWarm, kRestart, kCold };
std::unique_ptr<LpSession> makeClpLpSession(const Model& lp, ClpStart start);

// Version strings of the linked COIN libraries, e.g. "cbc 2.10.8" (defined in cbc/).
const char* cbcVersionString();
const char* clpVersionString();

}  // namespace nnmip::mip::detail
