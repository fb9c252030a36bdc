// Image grids: read back with libpng, every cell's pixels are the values drawn.
#include "data/png.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace nnmip::data {
namespace {

struct Rgb {
  int w = 0, h = 0;
  std::vector<unsigned char> px;
  const unsigned char* at(int x, int y) const { return px.data() + (y * w + x) * 3; }
};

Rgb readPng(const std::filesystem::path& p) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_file(&img, p.c_str()) != 0) << p;
  img.format = PNG_FORMAT_RGB;
  Rgb out;
  out.w = static_cast<int>(img.width);
  out.h = static_cast<int>(img.height);
  out.px.resize(PNG_IMAGE_SIZE(img));
  EXPECT_TRUE(png_image_finish_read(&img, nullptr, out.px.data(), 0, nullptr) != 0);
  return out;
}

// A grid of 2 x 2 images drawn at 3 pixels per value.
ImageGrid tinyGrid(int rows, int cols, std::vector<ImageGrid::Scale> row_scale) {
  ImageGrid g;
  g.side = 2;
  g.zoom = 3;
  g.rows = rows;
  g.cols = cols;
  g.row_scale = std::move(row_scale);
  return g;
}

TEST(ImageGrid, CellsAreDrawnWhereTheyBelong) {
  ImageGrid g = tinyGrid(2, 2, {ImageGrid::Scale::kGrey, ImageGrid::Scale::kSigned});
  g.cells = {{0.0, 1.0, 0.5, 0.25}, {}, {-2.0, 0.0, 1.0, 2.0}, {0.0, 0.0, 0.0, 0.0}};
  const auto path = std::filesystem::temp_directory_path() / "nnmip_png_test_grid.png";
  writeImageGrid(path, g);
  const Rgb im = readPng(path);
  // Cells of 6 px, 2-px gaps around and between: 2 + 6 + 2 + 6 + 2.
  ASSERT_EQ(im.w, 18);
  ASSERT_EQ(im.h, 18);
  auto cell = [&](int r, int c, int k) {  // centre of value k's block in cell (r, c)
    return im.at(2 + c * 8 + (k % 2) * 3 + 1, 2 + r * 8 + (k / 2) * 3 + 1);
  };
  EXPECT_EQ(cell(0, 0, 0)[0], 0);
  EXPECT_EQ(cell(0, 0, 1)[0], 255);
  EXPECT_EQ(cell(0, 0, 2)[1], 128);
  EXPECT_EQ(cell(0, 0, 3)[2], 64);
  EXPECT_EQ(cell(0, 1, 0)[0], 215);  // blank
  // Signed: magnified to the cell's largest |value| 2: -2 full blue, 0 white, 1 half red, 2 red.
  const unsigned char* blue = cell(1, 0, 0);
  EXPECT_EQ(blue[0], 0);
  EXPECT_EQ(blue[2], 255);
  EXPECT_EQ(cell(1, 0, 1)[1], 255);
  EXPECT_EQ(cell(1, 0, 2)[0], 255);
  EXPECT_EQ(cell(1, 0, 2)[1], 128);
  EXPECT_EQ(cell(1, 0, 3)[1], 0);
  EXPECT_EQ(cell(1, 1, 0)[0], 255);  // all zero: white
  EXPECT_EQ(im.at(1, 1)[0], 255);    // gap
  std::filesystem::remove(path);
}

TEST(ImageGrid, LabelsAddARowOfText) {
  ImageGrid g = tinyGrid(1, 1, {ImageGrid::Scale::kGrey});
  g.cells = {{1.0, 1.0, 1.0, 1.0}};
  g.labels = {"1"};
  const auto path = std::filesystem::temp_directory_path() / "nnmip_png_test_label.png";
  writeImageGrid(path, g);
  const Rgb im = readPng(path);
  ASSERT_EQ(im.h, 2 + 6 + 7 + 2);
  // The '1' glyph's top row is "010": at y = 2 + 6 + 1, x = 2 white, x = 3 black.
  EXPECT_EQ(im.at(3, 9)[0], 0);
  EXPECT_EQ(im.at(2, 9)[0], 255);
  std::filesystem::remove(path);
}

TEST(ImageGrid, RefusesMismatchedSizesAndWritesNothing) {
  const auto path = std::filesystem::temp_directory_path() / "nnmip_png_test_bad.png";
  ImageGrid g = tinyGrid(1, 2, {ImageGrid::Scale::kGrey});
  g.cells = {{1.0, 1.0, 1.0}, {}};  // 3 values for a 2 x 2 image
  EXPECT_THROW(writeImageGrid(path, g), Error);
  g.cells = {{}};  // one cell for two
  EXPECT_THROW(writeImageGrid(path, g), Error);
  g.cells = {{}, {}};
  g.row_scale = {};
  EXPECT_THROW(writeImageGrid(path, g), Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace nnmip::data
