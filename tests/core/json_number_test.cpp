// JSON numbers and vectors: what every report writes for +-inf and NaN.
#include "core/json_number.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace nnmip {
namespace {

TEST(JsonNumber, FiniteValuesStayNumbersNonFiniteBecomeNull) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(jsonNumber(0.25).dump(), "0.25");
  EXPECT_EQ(jsonNumber(-3.0).get<double>(), -3.0);
  EXPECT_TRUE(jsonNumber(inf).is_null());
  EXPECT_TRUE(jsonNumber(-inf).is_null());
  EXPECT_TRUE(jsonNumber(std::numeric_limits<double>::quiet_NaN()).is_null());
  const nlohmann::json row = {{"bound", jsonNumber(-inf)}, {"value", jsonNumber(1.5)}};
  EXPECT_EQ(row.dump(), R"({"bound":null,"value":1.5})");
}

TEST(JsonNumber, VectorsBecomeArraysInOrder) {
  const std::vector<double> v = {1.0, -0.5, 2.25};
  EXPECT_EQ(jsonVector(v).dump(), "[1.0,-0.5,2.25]");
  EXPECT_EQ(jsonVector(std::vector<double>{}).dump(), "[]");
}

}  // namespace
}  // namespace nnmip
