#pragma once
// Private registry glue: factories of the concrete backends (no foreign headers here).
#include <memory>

#include "mip/solver.hpp"

namespace nnmip::mip::detail {

std::unique_ptr<MipSolver> makeCbcMipSolver();
std::unique_ptr<MipSolver> makeEnumerationSolver();
// warm = true: one ClpSimplex kept across solves, re-solved with dual(0, 1|2).
// warm = false: a fresh ClpSimplex and initialSolve() for every solve (benchmark baseline).
std::unique_ptr<LpSession> makeClpLpSession(const Model& lp, bool warm);

// Version strings of the linked COIN libraries, e.g. "cbc 2.10.8" (defined in cbc/).
const char* cbcVersionString();
const char* clpVersionString();

}  // namespace nnmip::mip::detail
