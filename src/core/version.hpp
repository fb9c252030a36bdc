#pragma once
// The program's name and version, and the "tool" block every JSON report carries.
#include <nlohmann/json.hpp>

namespace nnmip {

inline constexpr const char* kVersion = "0.1.0";

inline nlohmann::json toolInfo() {
  return {{"name", "nnmip"}, {"version", kVersion}, {"backend", "cbc/clp (coinor)"}};
}

}  // namespace nnmip
