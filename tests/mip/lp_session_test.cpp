// LpSession ("clp", warm) against cold solves ("clp-cold" and fresh sessions).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mip/solver.hpp"
#include "test_models.hpp"
#include "support/tolerances.hpp"

namespace nnmip::mip {
namespace {

using support::kLpTol;

TEST(LpSession, SmallLpOptimum) {
  const Model m = testing::smallLp();  // optimum 11 at (3,1)
  auto s = makeLpSession(m, "clp");
  const LpResult r = s->solve();
  ASSERT_TRUE(r.optimal()) << r.detail;
  EXPECT_NEAR(*r.objective, 11.0, kLpTol);
  EXPECT_NEAR(r.values[0], 3.0, kLpTol);
  EXPECT_NEAR(r.values[1], 1.0, kLpTol);
  EXPECT_GT(s->totalIterations(), 0);
}

TEST(LpSession, UnknownBackendThrows) {
  try {
    makeLpSession(testing::smallLp(), "soplex");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace nnmip::mip
