// Issue 21: input files are regular files of bounded size, outputs are checked before the work
// and written all or none, messages are one printable line, memory estimates are checked.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/memory.hpp"

namespace nnmip {
namespace {

namespace fs = std::filesystem;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nnmip_file_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  // The message of the Error `f` throws, checked for its kind.
  template <typename F>
  std::string errorOf(F f, ErrorKind kind) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
  fs::path dir_;
};

TEST_F(FileIo, ReadsRegularFilesWithinTheLimit) {
  const fs::path p = write("a.txt", std::string("ab\0c", 4));
  EXPECT_EQ(readInputFile(p, 4), std::string("ab\0c", 4));
  EXPECT_EQ(checkInputFile(p, 4), 4u);
  const std::string msg = errorOf([&] { readInputFile(p, 3); }, ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("4 bytes, more than the limit of 3 bytes"), std::string::npos) << msg;
}

TEST_F(FileIo, RefusesDirectoriesFifosDevicesAndMissingFiles) {
  EXPECT_NE(errorOf([&] { readInputFile(dir_, 100); }, ErrorKind::kInvalidInput)
                .find("is a directory, not a regular file"),
            std::string::npos);
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Returns at once: a FIFO without a writer would block an open() for reading.
  EXPECT_NE(errorOf([&] { readInputFile(fifo, 100); }, ErrorKind::kInvalidInput).find("a FIFO"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { readInputFile("/dev/zero", 100); }, ErrorKind::kInvalidInput)
                .find("a character device"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { readInputFile(dir_ / "missing", 100); }, ErrorKind::kIo)
                .find("missing: no such file"),
            std::string::npos);
}

TEST_F(FileIo, OutputPathsAreCheckedBeforeTheWork) {
  checkOutputFile(dir_ / "out.json", "--json");  // a new file in an existing folder
  EXPECT_NE(errorOf([&] { checkOutputFile(dir_ / "no" / "out.json", "--json"); }, ErrorKind::kIo)
                .find("--json"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { checkOutputFile(dir_, "-o"); }, ErrorKind::kIo).find("is a directory"),
            std::string::npos);
  const fs::path file = write("f", "x");
  EXPECT_NE(errorOf([&] { checkOutputDir(file, "--png-dir", false); }, ErrorKind::kIo)
                .find("exists and is not a directory"),
            std::string::npos);
  checkOutputDir(dir_ / "new", "--png-dir", false);  // may be created later: not created now
  EXPECT_FALSE(fs::exists(dir_ / "new"));
  EXPECT_THROW(checkOutputDir(dir_ / "a" / "b", "--png-dir", true), Error);
  checkOutputDir(dir_ / "made", "--result-dir", true);
  EXPECT_TRUE(fs::is_directory(dir_ / "made"));
}

TEST_F(FileIo, SeveralFilesAreWrittenAllOrNone) {
  EXPECT_THROW(writeFilesAtomic({{dir_ / "r.txt", "sat\n"}, {dir_ / "no" / "x.json", "{}"}}),
               Error);
  EXPECT_FALSE(fs::exists(dir_ / "r.txt"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 0);
  writeFilesAtomic({{dir_ / "r.txt", "sat\n"}, {dir_ / "x.json", "{}"}});
  EXPECT_EQ(readInputFile(dir_ / "r.txt", 100), "sat\n");
  EXPECT_EQ(readInputFile(dir_ / "x.json", 100), "{}");
}

TEST(SanitizeMessage, EscapesControlBytesAndKeepsUtf8) {
  EXPECT_EQ(sanitizeMessage("plain text: 1.5"), "plain text: 1.5");
  EXPECT_EQ(sanitizeMessage(std::string("a\0b", 3)), "a\\0b");
  EXPECT_EQ(sanitizeMessage("x\x1b[2J\x1b[31my\n"), "x\\x1b[2J\\x1b[31my\\n");
  EXPECT_EQ(sanitizeMessage("tab\there\r"), "tab\\there\\r");
  EXPECT_EQ(sanitizeMessage("caf\xc3\xa9 \xe2\x89\xa4"), "caf\xc3\xa9 \xe2\x89\xa4");  // é ≤
  EXPECT_EQ(sanitizeMessage("\xc2\x9b"
                            "31m"),
            "\\xc2\\x9b31m");                            // C1 CSI
  EXPECT_EQ(sanitizeMessage("\xff\xfe"), "\\xff\\xfe");  // not UTF-8
  EXPECT_EQ(sanitizeMessage("\xe2\x89"), "\\xe2\\x89");  // truncated sequence
  EXPECT_EQ(sanitizeMessage(std::string(5000, 'a'), 10), std::string(10, 'a') + "...");
}

TEST(Memory, EstimatesAreCheckedAgainstTheLimit) {
  ::setenv("NNMIP_MEMORY_LIMIT_MB", "1024", 1);
  EXPECT_EQ(physicalMemoryBytes(), std::uint64_t{1} << 30);
  checkMemoryEstimate(1e9, ErrorKind::kUsage, "fits");
  try {
    checkMemoryEstimate(2e9, ErrorKind::kUsage, "--hidden 7");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_STREQ(e.what(), "--hidden 7 needs about 1.9 GiB, more than the 1.0 GiB of memory here");
  }
  EXPECT_THROW(checkMemoryEstimate(INFINITY, ErrorKind::kInvalidInput, "x"), Error);
  EXPECT_THROW(checkMemoryEstimate(NAN, ErrorKind::kInvalidInput, "x"), Error);
  ::unsetenv("NNMIP_MEMORY_LIMIT_MB");
  EXPECT_GT(physicalMemoryBytes(), std::uint64_t{1} << 20);
}

}  // namespace
}  // namespace nnmip
