#include "data/mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace nnmip::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

// RAII around a zlib gzFile; gzopen/gzread read plain files transparently.
class GzFile {
 public:
  explicit GzFile(const std::filesystem::path& path) : path_(path.string()) {
    checkInputFile(path, std::uintmax_t{1} << 30);  // a regular file; MNIST's largest is 47 MB
    f_ = gzopen(path_.c_str(), "rb");
    if (f_ == nullptr) fail(ErrorKind::kIo, "{}: cannot open file", path_);
  }
  ~GzFile() {
    if (f_ != nullptr) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads exactly n bytes; throws on a short read ("truncated") or a decompression error.
  void readExactly(void* dst, size_t n, const char* what) {
    auto* p = static_cast<unsigned char*>(dst);
    size_t done = 0;
    while (done < n) {
      const size_t chunk = std::min<size_t>(n - done, 1u << 30);
      const int got = gzread(f_, p + done, static_cast<unsigned>(chunk));
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(f_, &errnum);
        fail(ErrorKind::kInvalidInput, "{}: truncated or corrupt file: cannot decompress {}: {}",
             path_, what, msg);
      }
      if (got == 0) {
        fail(ErrorKind::kInvalidInput, "{}: truncated file: {} ends after {} of {} bytes", path_,
             what, done, n);
      }
      done += static_cast<size_t>(got);
    }
  }
  uint32_t readBigEndian32(const char* what) {
    unsigned char b[4];
    readExactly(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  bool atEnd() {
    unsigned char b;
    return gzread(f_, &b, 1) == 0;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile f_ = nullptr;
};

void checkMagic(GzFile& f, uint32_t want, const char* kind) {
  const uint32_t magic = f.readBigEndian32("header");
  if (magic != want) {
    fail(ErrorKind::kInvalidInput, "{}: wrong magic number 0x{:08x} for IDX {} (expected 0x{:08x})",
         f.path(), magic, kind, want);
  }
}

int readCount(GzFile& f, const char* what, uint32_t max) {
  const uint32_t v = f.readBigEndian32("header");
  if (v > max) fail(ErrorKind::kInvalidInput, "{}: implausible {} {}", f.path(), what, v);
  return static_cast<int>(v);
}

// "<dir>/<stem>.gz" when it exists, else "<dir>/<stem>".
std::filesystem::path pick(const std::filesystem::path& dir, const std::string& stem) {
  const std::filesystem::path gz = dir / (stem + ".gz");
  if (std::filesystem::exists(gz)) return gz;
  return dir / stem;
}

Dataset readIdxPair(const std::filesystem::path& dir, bool train, const std::string& name) {
  const std::string prefix = train ? "train" : "t10k";
  const std::filesystem::path images = pick(dir, prefix + "-images-idx3-ubyte");
  const std::filesystem::path labels = pick(dir, prefix + "-labels-idx1-ubyte");
  return makeImageDataset(images, labels, name + (train ? "-train" : "-test"));
}

}  // namespace

IdxImages readIdxImages(const std::filesystem::path& path) {
  GzFile f(path);
  checkMagic(f, kImagesMagic, "images");
  IdxImages out;
  out.count = readCount(f, "image count", 1u << 28);
  out.rows = readCount(f, "row count", 1u << 14);
  out.cols = readCount(f, "column count", 1u << 14);
  const size_t n = static_cast<size_t>(out.count) * static_cast<size_t>(out.rows) *
                   static_cast<size_t>(out.cols);
  out.pixels.resize(n);
  f.readExactly(out.pixels.data(), n, "pixel data");
  if (!f.atEnd())
    fail(ErrorKind::kInvalidInput, "{}: unexpected bytes after the pixel data", f.path());
  return out;
}

std::vector<uint8_t> readIdxLabels(const std::filesystem::path& path) {
  GzFile f(path);
  checkMagic(f, kLabelsMagic, "labels");
  const int count = readCount(f, "label count", 1u << 28);
  std::vector<uint8_t> labels(static_cast<size_t>(count));
  f.readExactly(labels.data(), labels.size(), "label data");
  if (!f.atEnd()) fail(ErrorKind::kInvalidInput, "{}: unexpected bytes after the labels", f.path());
  return labels;
}

Dataset makeImageDataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                         const std::string& name) {
  const IdxImages img = readIdxImages(images);
  const std::vector<uint8_t> lab = readIdxLabels(labels);
  if (static_cast<size_t>(img.count) != lab.size()) {
    fail(ErrorKind::kInvalidInput, "{}: {} labels but {} has {} images", labels.string(),
         lab.size(), images.string(), img.count);
  }
  Dataset ds;
  ds.name = name;
  ds.num_classes = 10;
  ds.image_height = img.rows;
  ds.image_width = img.cols;
  const Eigen::Index features = static_cast<Eigen::Index>(img.rows) * img.cols;
  using RowMajorBytes = Eigen::Matrix<uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  ds.X = Eigen::Map<const RowMajorBytes>(img.pixels.data(), img.count, features).cast<double>() /
         255.0;
  ds.y.resize(lab.size());
  for (size_t i = 0; i < lab.size(); ++i) {
    if (lab[i] >= 10) {
      fail(ErrorKind::kInvalidInput, "{}: label {} at index {} is not a digit 0-9", labels.string(),
           lab[i], i);
    }
    ds.y[i] = lab[i];
  }
  return ds;
}

Dataset readMnist(const std::filesystem::path& data_dir, bool train) {
  return readIdxPair(data_dir / "mnist", train, "mnist");
}

Dataset readFashionMnist(bool train, const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) {
    fail(ErrorKind::kIo,
         "{}: Fashion-MNIST not found (install it with `apt-get install "
         "dataset-fashion-mnist`)",
         dir.string());
  }
  return readIdxPair(dir, train, "fashion-mnist");
}

}  // namespace nnmip::data
