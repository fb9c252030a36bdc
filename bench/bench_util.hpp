#pragma once
// Small helpers shared by the benchmark runners.
#include <sstream>
#include <string>
#include <vector>

namespace nnmip::bench {

// "a,b,c" -> {"a", "b", "c"} (command-line lists).
inline std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

}  // namespace nnmip::bench
