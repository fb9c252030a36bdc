#pragma once
// MNIST (and Fashion-MNIST) in the IDX format, plain or gzip-compressed (read through zlib,
// whose gzopen reads both).
//
// IDX (big-endian): images magic 0x00000803, count, rows, cols, then count*rows*cols uint8
// pixels row-major; labels magic 0x00000801, count, then count uint8 labels.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/dataset.hpp"

namespace nnmip::data {

struct IdxImages {
  int count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major per image
};

// Low-level readers. Errors (missing file, wrong magic, truncated data, trailing bytes) throw
// nnmip::Error with one line naming the file (kIo when the file cannot be opened, kInvalidInput
// otherwise).
IdxImages readIdxImages(const std::filesystem::path& path);
std::vector<uint8_t> readIdxLabels(const std::filesystem::path& path);

// Images and labels as a Dataset: X = pixels / 255 in [0, 1] (one image per row, row-major
// 28x28 = 784 features), y = labels, num_classes = 10, image_height = rows, image_width = cols.
// Throws when the two counts differ or a label is >= 10.
Dataset makeImageDataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                         const std::string& name);

// <data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte, with or without ".gz"
// (the .gz file is used when present). 60000 train / 10000 test images.
Dataset readMnist(const std::filesystem::path& data_dir, bool train);

// Debian's dataset-fashion-mnist package installs the four Fashion-MNIST IDX files (gzip) in
// this folder.
inline const std::filesystem::path kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST from `dir` (default: the Debian package's folder), same file names and format
// as MNIST. Throws Error{kIo} naming the folder and `apt-get install dataset-fashion-mnist`
// when the files are missing.
Dataset readFashionMnist(bool train, const std::filesystem::path& dir = kDebianFashionMnistDir);

}  // namespace nnmip::data
