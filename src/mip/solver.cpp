// Backend registry: the only place that maps names to implementations.
#include "mip/solver.hpp"

#include "core/error.hpp"
#include "mip/backends.hpp"

namespace nnmip::mip {

std::unique_ptr<MipSolver> makeMipSolver(std::string_view backend) {
  if (backend == "cbc") return detail::withHardTimeLimit(detail::makeCbcMipSolver());
  if (backend == "enum") return detail::withHardTimeLimit(detail::makeEnumerationSolver());
  fail(ErrorKind::kUsage, "unknown MIP backend '{}' (available: cbc, enum)", backend);
}

std::unique_ptr<LpSession> makeLpSession(const Model& lp, std::string_view backend) {
  if (backend == "clp") return detail::makeClpLpSession(lp, detail::ClpStart::kAuto);
  if (backend == "clp-warm") return detail::makeClpLpSession(lp, detail::ClpStart::kWarm);
  if (backend == "clp-restart") return detail::makeClpLpSession(lp, detail::ClpStart::kRestart);
  if (backend == "clp-cold") return detail::makeClpLpSession(lp, detail::ClpStart::kCold);
  fail(ErrorKind::kUsage,
       "unknown LP backend '{}' (available: clp, clp-warm, clp-restart, clp-cold)", backend);
}

std::vector<std::string> mipBackendNames() { return {"cbc", "enum"}; }

std::vector<std::string> lpBackendNames() { return {"clp", "clp-warm", "clp-restart", "clp-cold"}; }

}  // namespace nnmip::mip
