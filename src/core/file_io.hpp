#pragma once
// Files written whole or not at all.
#include <filesystem>
#include <string_view>

namespace nnmip {

// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
// reader never sees a half-written file. Error{kIo} when the directory is missing or a write
// fails (the temporary file is removed).
void writeFileAtomic(const std::filesystem::path& path, std::string_view text);

}  // namespace nnmip
