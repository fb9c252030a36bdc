// MNIST / Fashion-MNIST IDX readers.
#include "data/mnist.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "support/paths.hpp"

namespace nnmip::data {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("nnmip_mnist_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path file(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void writeBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

template <typename F>
void expectError(F&& f, const std::string& file, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Mnist, TestSetCountsHistogramAndRange) {
  NNMIP_SKIP_WITHOUT_DATA();
  const Dataset ds = readMnist(support::kSharedData, /*train=*/false);
  EXPECT_EQ(ds.size(), 10000);
  EXPECT_EQ(ds.features(), 784);
  EXPECT_EQ(ds.image_height, 28);
  EXPECT_EQ(ds.image_width, 28);
  EXPECT_EQ(ds.num_classes, 10);
  std::array<int, 10> hist{};
  for (int c : ds.y) ++hist[static_cast<size_t>(c)];
  EXPECT_EQ(hist, (std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  EXPECT_EQ(ds.X.minCoeff(), 0.0);
  EXPECT_EQ(ds.X.maxCoeff(), 1.0);
  // Pixels are k/255 exactly.
  EXPECT_EQ(ds.X(0, 0), 0.0);
  for (Eigen::Index j = 0; j < ds.X.cols(); ++j) {
    const double k = ds.X(0, j) * 255.0;
    EXPECT_EQ(k, std::round(k));
  }
}

TEST(Mnist, LowLevelReaders) {
  NNMIP_SKIP_WITHOUT_DATA();
  const IdxImages img = readIdxImages(support::sharedPath("mnist/t10k-images-idx3-ubyte.gz"));
  EXPECT_EQ(img.count, 10000);
  EXPECT_EQ(img.rows, 28);
  EXPECT_EQ(img.cols, 28);
  EXPECT_EQ(img.pixels.size(), 10000u * 784u);
  const auto labels = readIdxLabels(support::sharedPath("mnist/t10k-labels-idx1-ubyte.gz"));
  ASSERT_EQ(labels.size(), 10000u);
  EXPECT_EQ(labels[0], 7);  // the first MNIST test digit is a 7
  EXPECT_EQ(labels[1], 2);
}

TEST(Mnist, PlainIdxFiles) {
  TempDir dir;
  // Two 2x3 images and their labels, uncompressed.
  writeBytes(dir.file("img"), be32(0x803) + be32(2) + be32(2) + be32(3) +
                                  std::string("\x00\x01\x02\x03\x04\xff"
                                              "\xff\x00\x00\x00\x00\x33",
                                              12));
  writeBytes(dir.file("lab"), be32(0x801) + be32(2) + std::string("\x05\x09", 2));
  const Dataset ds = makeImageDataset(dir.file("img"), dir.file("lab"), "tiny");
  ASSERT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.features(), 6);
  EXPECT_EQ(ds.image_height, 2);
  EXPECT_EQ(ds.image_width, 3);
  EXPECT_EQ(ds.X(0, 5), 1.0);
  EXPECT_EQ(ds.X(0, 1), 1.0 / 255.0);
  EXPECT_EQ(ds.X(1, 5), 51.0 / 255.0);
  EXPECT_EQ(ds.y, (std::vector<int>{5, 9}));
}

TEST(MnistBadInput, WrongMagic) {
  TempDir dir;
  writeBytes(dir.file("img"), be32(0x801) + be32(0) + be32(28) + be32(28));
  expectError([&] { readIdxImages(dir.file("img")); }, dir.file("img").string(), "magic");
  writeBytes(dir.file("lab"), be32(0x803) + be32(0));
  expectError([&] { readIdxLabels(dir.file("lab")); }, dir.file("lab").string(), "magic");
}

TEST(MnistBadInput, TruncatedFiles) {
  TempDir dir;
  writeBytes(dir.file("img"), be32(0x803) + be32(2) + be32(2) + be32(2) + std::string(5, '\0'));
  expectError([&] { readIdxImages(dir.file("img")); }, dir.file("img").string(), "truncated");
  writeBytes(dir.file("hdr"), be32(0x803) + be32(2));
  expectError([&] { readIdxImages(dir.file("hdr")); }, dir.file("hdr").string(), "truncated");
  if (!support::haveSharedData()) {
    EXPECT_FALSE(support::requireSharedData()) << "../shared/data missing";
    return;
  }
  // A cut gzip stream.
  std::ifstream in(support::sharedPath("mnist/t10k-labels-idx1-ubyte.gz"), std::ios::binary);
  const std::string gz{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  writeBytes(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  expectError([&] { readIdxLabels(dir.file("cut.gz")); }, dir.file("cut.gz").string(), "truncated");
}

TEST(MnistBadInput, CountMismatchAndMissingFile) {
  TempDir dir;
  writeBytes(dir.file("img"), be32(0x803) + be32(1) + be32(1) + be32(2) + std::string(2, '\0'));
  writeBytes(dir.file("lab"), be32(0x801) + be32(2) + std::string(2, '\0'));
  expectError([&] { makeImageDataset(dir.file("img"), dir.file("lab"), "x"); },
              dir.file("lab").string(), "2 labels");
  expectError([&] { readMnist(dir.file("nowhere"), false); }, "nowhere", "no such file");
}

TEST(FashionMnist, DebianPackageIfInstalled) {
  if (!fs::is_directory(kDebianFashionMnistDir)) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const Dataset test = readFashionMnist(/*train=*/false);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.features(), 784);
  std::array<int, 10> hist{};
  for (int c : test.y) ++hist[static_cast<size_t>(c)];
  for (int h : hist) EXPECT_EQ(h, 1000);  // Fashion-MNIST test set: 1000 per class
}

TEST(FashionMnist, MissingFolderNamesThePackage) {
  expectError([] { readFashionMnist(false, "/nonexistent/fashion"); }, "/nonexistent/fashion",
              "dataset-fashion-mnist");
}

}  // namespace
}  // namespace nnmip::data
