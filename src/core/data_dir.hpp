#pragma once
// Where the data lives: --data-dir, else $NNMIP_DATA_DIR, else ../shared/data when it exists.
#include <filesystem>
#include <optional>
#include <string>

namespace nnmip {

inline constexpr const char* kDataDirEnv = "NNMIP_DATA_DIR";

// Returns the data directory to use, or nullopt when none is given and the default is absent.
std::optional<std::filesystem::path> resolveDataDir(const std::string& cli_value = {});

// The hint printed when a data set is needed but no data directory was found.
std::string dataDirHint();

}  // namespace nnmip
