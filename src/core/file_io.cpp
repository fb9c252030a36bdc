#include "core/file_io.hpp"

#include <unistd.h>

#include <fstream>
#include <string>

#include "core/error.hpp"

namespace nnmip {

void writeFileAtomic(const std::filesystem::path& path, std::string_view text) {
  namespace fs = std::filesystem;
  if (path.has_parent_path() && !fs::is_directory(path.parent_path())) {
    fail(ErrorKind::kIo, "{}: directory {} does not exist", path.string(),
         path.parent_path().string());
  }
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp.string());
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f.flush()) {
      f.close();
      fs::remove(tmp);
      fail(ErrorKind::kIo, "{}: write failed", tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp);
    fail(ErrorKind::kIo, "{}: cannot rename temporary file: {}", path.string(), ec.message());
  }
}

}  // namespace nnmip
