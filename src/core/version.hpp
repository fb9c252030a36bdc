#pragma once
// The program's name, version and build commit, and the "tool" block every JSON report carries.
#include <nlohmann/json.hpp>

namespace nnmip {

inline constexpr const char* kVersion = "0.1.0";

// The git commit the binary was built from (12 hex digits, "+local changes" when the tracked
// files differed from it), or "unknown" outside a git checkout. Defined in the build_info.cpp
// that cmake/BuildInfo.cmake writes at every build.
const char* buildCommit();

inline nlohmann::json toolInfo() {
  return {{"name", "nnmip"},
          {"version", kVersion},
          {"commit", buildCommit()},
          {"backend", "cbc/clp (coinor)"}};
}

}  // namespace nnmip
