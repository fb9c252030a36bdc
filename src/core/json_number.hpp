#pragma once
// Numbers and vectors of doubles as JSON values, the one way every report writes them.
#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

namespace nnmip {

// JSON has no infinity or NaN: an unbounded or unknown value is written as null, and readers
// (python/, scripts/*.py, the campaign tables through numberOr) take null as "no number".
inline nlohmann::json jsonNumber(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

// A contiguous vector of doubles (Eigen::VectorXd, std::vector<double>, ...) as a JSON array of
// numbers, entries written as they are.
template <typename Vector>
nlohmann::json jsonVector(const Vector& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

}  // namespace nnmip
