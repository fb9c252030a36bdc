#include "core/data_dir.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace nnmip {

std::optional<std::filesystem::path> resolveDataDir(const std::string& cli_value) {
  namespace fs = std::filesystem;
  if (!cli_value.empty()) {
    if (!fs::is_directory(cli_value)) {
      fail(ErrorKind::kInvalidInput, "--data-dir {}: not a directory", cli_value);
    }
    return fs::path(cli_value);
  }
  if (const char* env = std::getenv(kDataDirEnv); env != nullptr && *env != '\0') {
    if (!fs::is_directory(env)) {
      fail(ErrorKind::kInvalidInput, "${}={}: not a directory", kDataDirEnv, env);
    }
    return fs::path(env);
  }
  const fs::path fallback = "../shared/data";
  if (fs::is_directory(fallback)) return fallback;
  return std::nullopt;
}

std::string dataDirHint() {
  return fmt::format(
      "no data directory found: pass --data-dir DIR or set {}=DIR, where DIR holds "
      "mnist/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte.gz (the MNIST IDX files) and "
      "optionally vnncomp/ and breast_cancer_wisconsin/",
      kDataDirEnv);
}

}  // namespace nnmip
