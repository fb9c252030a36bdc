#pragma once
// Tests run from the project root (see cmake/NnmipAddTest.cmake); shared data lies beside it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace nnmip::support {
inline const std::filesystem::path kSharedData = "../shared/data";
inline bool haveSharedData() { return std::filesystem::is_directory(kSharedData); }
inline std::string sharedPath(const std::string& rel) { return (kSharedData / rel).string(); }
// CI sets NNMIP_REQUIRE_DATA=1: there a missing ../shared/data fails the test instead of
// skipping it, so that a green run means the data tests ran.
inline bool requireSharedData() {
  const char* v = std::getenv("NNMIP_REQUIRE_DATA");
  return v != nullptr && std::string(v) == "1";
}
}  // namespace nnmip::support

// Skips the current test when ../shared/data is absent (fails it under NNMIP_REQUIRE_DATA=1).
#define NNMIP_SKIP_WITHOUT_DATA()                                                    \
  do {                                                                               \
    if (!::nnmip::support::haveSharedData()) {                                       \
      if (::nnmip::support::requireSharedData()) FAIL() << "../shared/data missing"; \
      GTEST_SKIP() << "../shared/data missing";                                      \
    }                                                                                \
  } while (0)
