// Breast Cancer Wisconsin (Original) and WDBC CSV readers.
#include "data/csv_io.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "support/paths.hpp"

namespace nnmip::data {
namespace {

namespace fs = std::filesystem;

const std::string kBcw = kBreastCancerWisconsinFile;

fs::path tempFile(const std::string& name, const std::string& text) {
  const fs::path p =
      fs::temp_directory_path() / ("nnmip_csv_test_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p;
}

void expectError(const fs::path& path, const std::string& part, bool wdbc = false) {
  try {
    if (wdbc) {
      readWdbc(path);
    } else {
      readBreastCancerWisconsin(path);
    }
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(msg.find(path.string() + ":"), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  fs::remove(path);
}

int count(const std::vector<int>& y, int c) {
  return static_cast<int>(std::count(y.begin(), y.end(), c));
}

TEST(BreastCancerWisconsin, DefaultImputesMedian) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Dataset ds = readBreastCancerWisconsin(support::sharedPath(kBcw));
  EXPECT_EQ(ds.size(), 699);
  EXPECT_EQ(ds.features(), 9);
  EXPECT_EQ(ds.num_classes, 2);
  EXPECT_EQ(count(ds.y, 0), 458);  // benign
  EXPECT_EQ(count(ds.y, 1), 241);  // malignant
  EXPECT_EQ(ds.X.minCoeff(), 0.0);
  EXPECT_EQ(ds.X.maxCoeff(), 1.0);
  // Row 1 of the file: 1000025,5,1,1,1,2,1,3,1,1,2 -> (v - 1) / 9, benign.
  EXPECT_EQ(ds.X(0, 0), 4.0 / 9.0);
  EXPECT_EQ(ds.X(0, 4), 1.0 / 9.0);
  EXPECT_EQ(ds.y[0], 0);
  // Row 24 (1057013,8,4,5,1,2,?,7,3,1,4) is the first with a '?': bare nuclei imputed by the
  // median of the 683 known values, which is 1 -> scaled 0.
  EXPECT_EQ(ds.X(23, 5), 0.0);
  EXPECT_EQ(ds.y[23], 1);
  EXPECT_EQ(ds.X(23, 0), 7.0 / 9.0);
}

TEST(BreastCancerWisconsin, DropRowsLeaves683) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Dataset ds = readBreastCancerWisconsin(support::sharedPath(kBcw), MissingPolicy::kDropRows);
  EXPECT_EQ(ds.size(), 683);
  EXPECT_EQ(count(ds.y, 0) + count(ds.y, 1), 683);
  EXPECT_EQ(count(ds.y, 0), 444);  // 14 of the 16 incomplete rows are benign
  EXPECT_EQ(count(ds.y, 1), 239);
}

TEST(BreastCancerWisconsin, ImputationUsesMedianOfColumn) {
  // Column 7 known values 1, 3, 10 -> median 3 -> (3 - 1) / 9.
  const fs::path p = tempFile("median.data",
                              "1,1,1,1,1,1,1,1,1,1,2\n"
                              "2,1,1,1,1,1,3,1,1,1,4\n"
                              "\n"
                              "3,1,1,1,1,1,10,1,1,1,2\n"
                              "4,1,1,1,1,1,?,1,1,1,4\n");
  const Dataset ds = readBreastCancerWisconsin(p);
  fs::remove(p);
  ASSERT_EQ(ds.size(), 4);
  EXPECT_EQ(ds.X(3, 5), 2.0 / 9.0);
  EXPECT_EQ(ds.y, (std::vector<int>{0, 1, 0, 1}));
}

TEST(BreastCancerWisconsinBadInput, WrongColumnCount) {
  expectError(tempFile("cols.data", "1,1,1,1,1,1,1,1,1,1,2\n2,1,1,1,1,1,1,1,1,2\n"),
              ":2: expected 11 columns");
}

TEST(BreastCancerWisconsinBadInput, NonNumericAndRange) {
  expectError(tempFile("nan.data", "1,1,1,x,1,1,1,1,1,1,2\n"), ":1: column 4 value 'x'");
  expectError(tempFile("range.data", "1,1,1,11,1,1,1,1,1,1,2\n"), ":1: column 4 value 11");
  expectError(tempFile("class.data", "1,1,1,1,1,1,1,1,1,1,3\n"), ":1: class '3'");
}

TEST(Wdbc, SklearnFile) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Dataset ds = readWdbc(support::sharedPath(kWdbcFile));
  EXPECT_EQ(ds.size(), 569);
  EXPECT_EQ(ds.features(), 30);
  EXPECT_EQ(count(ds.y, 1), 212);  // malignant
  EXPECT_EQ(count(ds.y, 0), 357);  // benign
  EXPECT_EQ(ds.X(0, 0), 17.99);
  EXPECT_EQ(ds.y[0], 1);
}

TEST(WdbcBadInput, ColumnsAndCount) {
  expectError(tempFile("w1.csv", "2,3,m,b\n1,2,3,0\n1,2,0\n"), ":3: expected 4 columns", true);
  expectError(tempFile("w2.csv", "3,2,m,b\n1,2,0\n1,2,1\n"), "announces 3 rows, found 2", true);
}

}  // namespace
}  // namespace nnmip::data
