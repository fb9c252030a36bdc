#pragma once
// Files read and written safely: inputs are regular files of bounded size (a directory, FIFO or
// device is refused before it is opened, so nothing blocks or reads forever); outputs are written
// whole or not at all, and their paths are checked before a command starts its work.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nnmip {

// Size limits of the input files (README "Commands"). ONNX: protobuf's own 2 GiB limit on a
// message. Text inputs (VNN-LIB, CSV, instances lists, reference inputs) are parsed into
// structures several times their size, hence the lower limit.
inline constexpr std::uintmax_t kMaxOnnxBytes = (std::uintmax_t{2} << 30) - 1;
inline constexpr std::uintmax_t kMaxTextInputBytes = std::uintmax_t{256} << 20;

// Checks that `path` names an existing regular file (or a link to one) of at most `max_bytes`,
// without opening it. Error{kIo} "<path>: no such file" when missing or not readable,
// Error{kInvalidInput} "<path>: is a directory|FIFO|device..., not a regular file" or
// "<path>: N bytes, more than the limit of M" otherwise. Returns the size.
std::uintmax_t checkInputFile(const std::filesystem::path& path, std::uintmax_t max_bytes);

// The whole content of a regular file of at most `max_bytes` (the checks of checkInputFile, made
// again on the opened descriptor, so a file swapped for a FIFO in between cannot block).
std::string readInputFile(const std::filesystem::path& path, std::uintmax_t max_bytes);

// Checks, before any work, that `path` can be written as a file: not an existing directory, FIFO
// or device, its folder exists (and is a folder) and is writable. `what` names the option in the
// message ("-o", "--json"). Error{kIo} "<what> <path>: <problem>".
void checkOutputFile(const std::filesystem::path& path, std::string_view what);

// Checks that `path` is, or can be created as, a folder: an existing directory, or a missing one
// whose parent folder exists (created here when `create` is true). Error{kIo} otherwise.
void checkOutputDir(const std::filesystem::path& path, std::string_view what, bool create);

// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
// reader never sees a half-written file. Error{kIo} when the directory is missing or a write
// fails (the temporary file is removed).
void writeFileAtomic(const std::filesystem::path& path, std::string_view text);

// Several files written all or none: every temporary file is written first; when one fails, all
// are removed and nothing is renamed into place.
void writeFilesAtomic(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace nnmip
