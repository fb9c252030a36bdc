#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.hpp"

namespace nnmip {
namespace {

namespace fs = std::filesystem;

const char* fileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

void checkStat(const fs::path& path, const struct stat& st, std::uintmax_t max_bytes) {
  if (!S_ISREG(st.st_mode)) {
    fail(ErrorKind::kInvalidInput, "{}: is {}, not a regular file", path.string(),
         fileTypeName(st.st_mode));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    fail(ErrorKind::kInvalidInput, "{}: {} bytes, more than the limit of {} bytes for this input",
         path.string(), static_cast<std::uintmax_t>(st.st_size), max_bytes);
  }
}

[[noreturn]] void failOpen(const fs::path& path, int err) {
  if (err == ENOENT) fail(ErrorKind::kIo, "{}: no such file", path.string());
  fail(ErrorKind::kIo, "{}: cannot open: {}", path.string(), std::strerror(err));
}

// A temporary name next to `path` (same folder, so the rename is atomic).
fs::path tmpName(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  return tmp;
}

void writeTmp(const fs::path& tmp, std::string_view text) {
  std::ofstream f(tmp, std::ios::binary);
  if (!f) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp.string());
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f.flush()) {
    f.close();
    std::error_code ec;
    fs::remove(tmp, ec);
    fail(ErrorKind::kIo, "{}: write failed", tmp.string());
  }
}

void checkFolderOf(const fs::path& path) {
  if (path.has_parent_path() && !fs::is_directory(path.parent_path())) {
    fail(ErrorKind::kIo, "{}: directory {} does not exist", path.string(),
         path.parent_path().string());
  }
}

}  // namespace

std::uintmax_t checkInputFile(const fs::path& path, std::uintmax_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) failOpen(path, errno);
  checkStat(path, st, max_bytes);
  if (::access(path.c_str(), R_OK) != 0) failOpen(path, errno);
  return static_cast<std::uintmax_t>(st.st_size);
}

std::string readInputFile(const fs::path& path, std::uintmax_t max_bytes) {
  checkInputFile(path, max_bytes);
  // O_NONBLOCK: should the path have become a FIFO since the check, open() does not wait for a
  // writer; fstat below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) failOpen(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    failOpen(path, err);
  }
  try {
    checkStat(path, st, max_bytes);
  } catch (...) {
    ::close(fd);
    throw;
  }
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  for (;;) {
    if (done == text.size()) {
      // The file may have grown since fstat: read on, within the limit.
      if (text.size() >= max_bytes) break;
      text.resize(std::min<size_t>(static_cast<size_t>(max_bytes), text.size() + 65536));
    }
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail(ErrorKind::kIo, "{}: read error: {}", path.string(), std::strerror(err));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

void checkOutputFile(const fs::path& path, std::string_view what) {
  if (path.empty()) fail(ErrorKind::kIo, "{}: empty file name", what);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) {
    fail(ErrorKind::kIo, "{} {}: is a directory, expected a file name", what, path.string());
  }
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    // A FIFO or device: the file would be replaced by a rename, or an open would block.
    fail(ErrorKind::kIo, "{} {}: exists and is not a regular file", what, path.string());
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec)) {
    fail(ErrorKind::kIo, "{} {}: directory {} does not exist", what, path.string(),
         folder.string());
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    fail(ErrorKind::kIo, "{} {}: directory {} is not writable", what, path.string(),
         folder.string());
  }
}

void checkOutputDir(const fs::path& path, std::string_view what, bool create) {
  if (path.empty()) fail(ErrorKind::kIo, "{}: empty directory name", what);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      fail(ErrorKind::kIo, "{} {}: exists and is not a directory", what, path.string());
    }
  } else {
    fs::path norm = path.lexically_normal();
    if (!norm.has_filename() && norm.has_parent_path()) norm = norm.parent_path();  // "out/"
    const fs::path parent = norm.has_parent_path() ? norm.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) {
      fail(ErrorKind::kIo, "{} {}: parent directory {} does not exist", what, path.string(),
           parent.string());
    }
    if (create && !fs::create_directory(path, ec) && !fs::is_directory(path)) {
      fail(ErrorKind::kIo, "{} {}: cannot create the directory: {}", what, path.string(),
           ec.message());
    }
    if (!create) return;
  }
  if (::access(path.c_str(), W_OK) != 0) {
    fail(ErrorKind::kIo, "{} {}: directory is not writable", what, path.string());
  }
}

void writeFileAtomic(const fs::path& path, std::string_view text) {
  writeFilesAtomic({{path, std::string(text)}});
}

void writeFilesAtomic(const std::vector<std::pair<fs::path, std::string>>& files) {
  std::vector<fs::path> tmps;
  auto remove_tmps = [&] {
    std::error_code ec;
    for (const fs::path& t : tmps) fs::remove(t, ec);
  };
  try {
    for (const auto& [path, text] : files) {
      checkFolderOf(path);
      if (fs::is_directory(path)) {
        fail(ErrorKind::kIo, "{}: is a directory, expected a file name", path.string());
      }
      tmps.push_back(tmpName(path));
      writeTmp(tmps.back(), text);
    }
  } catch (...) {
    remove_tmps();
    throw;
  }
  for (size_t k = 0; k < files.size(); ++k) {
    std::error_code ec;
    fs::rename(tmps[k], files[k].first, ec);
    if (ec) {
      // Nothing of this set should stay half done: drop the temporaries not yet renamed.
      std::error_code ignore;
      for (size_t j = k; j < tmps.size(); ++j) fs::remove(tmps[j], ignore);
      fail(ErrorKind::kIo, "{}: cannot rename temporary file: {}", files[k].first.string(),
           ec.message());
    }
  }
}

}  // namespace nnmip
