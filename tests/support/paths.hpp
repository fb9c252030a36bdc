#pragma once
// Tests run from the project root (see cmake/NnmipAddTest.cmake); shared data lies beside it.
#include <filesystem>
#include <string>

namespace nnmip::support {
inline const std::filesystem::path kSharedData = "../shared/data";
inline bool haveSharedData() { return std::filesystem::is_directory(kSharedData); }
inline std::string sharedPath(const std::string& rel) { return (kSharedData / rel).string(); }
}  // namespace nnmip::support
