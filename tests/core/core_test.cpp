#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace nnmip {
namespace {

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const double x = a.uniform();
    EXPECT_EQ(x, b.uniform());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
  EXPECT_NE(Rng(42).bits(), c.bits());
}

// std::mt19937_64 with the default seed 5489 gives 14514284786278117030 first (C++ standard).
TEST(Rng, EngineIsStandardMt19937_64) {
  Rng r(5489);
  EXPECT_EQ(r.bits(), 14514284786278117030ULL);
}

TEST(Rng, UniformMeanAndNormalMoments) {
  Rng r(7);
  double sum = 0, sum_n = 0, sum_n2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    sum += r.uniform();
    const double z = r.normal();
    sum_n += z;
    sum_n2 += z * z;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum_n / n, 0.0, 0.01);
  EXPECT_NEAR(sum_n2 / n, 1.0, 0.02);
}

TEST(Rng, PermutationIsAPermutationAndSeeded) {
  Rng a(3), b(3);
  std::vector<int> p = a.permutation(50);
  EXPECT_EQ(p, b.permutation(50));
  std::vector<int> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_NE(p, sorted);
}

TEST(Error, ExitCodesAreDistinguishable) {
  EXPECT_EQ(exitCodeFor(ErrorKind::kUsage), 2);
  EXPECT_EQ(exitCodeFor(ErrorKind::kInvalidInput), 3);
  EXPECT_EQ(exitCodeFor(ErrorKind::kUnsupported), 3);
  EXPECT_EQ(exitCodeFor(ErrorKind::kSolver), 4);
}

TEST(Error, CheckThrowsWithMessage) {
  try {
    NNMIP_CHECK(1 + 1 == 3, "value {}", 7);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_NE(std::string(e.what()).find("value 7"), std::string::npos);
  }
}

TEST(DataDir, ExplicitDirectoryWinsAndMissingOneIsAnError) {
  EXPECT_EQ(resolveDataDir(".").value(), std::filesystem::path("."));
  EXPECT_THROW(resolveDataDir("/nonexistent/nnmip-data"), Error);
}

TEST(DataDir, EnvironmentVariableIsUsed) {
  ::setenv(kDataDirEnv, "/tmp", 1);
  EXPECT_EQ(resolveDataDir().value(), std::filesystem::path("/tmp"));
  ::unsetenv(kDataDirEnv);
}

}  // namespace
}  // namespace nnmip
