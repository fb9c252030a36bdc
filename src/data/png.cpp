#include "data/png.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace nnmip::data {

void writePng(const std::filesystem::path& path, int width, int height,
              const std::vector<unsigned char>& rgb) {
  NNMIP_CHECK(width > 0 && height > 0 &&
                  rgb.size() == static_cast<size_t>(width) * static_cast<size_t>(height) * 3,
              "png: {} bytes for {} x {}", rgb.size(), width, height);
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp.string());
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    std::filesystem::remove(tmp);
    fail(ErrorKind::kIo, "{}: libpng failed", path.string());
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int r = 0; r < height; ++r) {
    png_write_row(png, const_cast<png_bytep>(rgb.data() + static_cast<size_t>(r) * width * 3));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) fail(ErrorKind::kIo, "{}: write failed", tmp.string());
  std::filesystem::rename(tmp, path);
}

namespace {

// 0-255 for x in [lo, lo + span] (clamped).
unsigned char greyLevel(double x, double lo, double span) {
  return static_cast<unsigned char>(std::lround(255.0 * std::clamp((x - lo) / span, 0.0, 1.0)));
}

}  // namespace

std::vector<unsigned char> greyImage(const std::vector<double>& v, double lo, double hi) {
  std::vector<unsigned char> out;
  out.reserve(v.size());
  const double span = hi > lo ? hi - lo : 1.0;
  for (double x : v) out.push_back(greyLevel(x, lo, span));
  return out;
}

void diverging(double t, unsigned char out[3]) {
  t = std::clamp(t, -1.0, 1.0);
  const auto fade = [](double a) { return static_cast<unsigned char>(std::lround(255.0 * a)); };
  if (t >= 0) {
    out[0] = 255;
    out[1] = fade(1 - t);
    out[2] = fade(1 - t);
  } else {
    out[0] = fade(1 + t);
    out[1] = fade(1 + t);
    out[2] = 255;
  }
}

Canvas::Canvas(int width, int height)
    : w(width), h(height), rgb(static_cast<size_t>(w) * h * 3, 255) {}

void Canvas::set(int x, int y, const unsigned char c[3]) {
  if (x < 0 || y < 0 || x >= w || y >= h) return;
  unsigned char* p = rgb.data() + (static_cast<size_t>(y) * w + x) * 3;
  p[0] = c[0];
  p[1] = c[1];
  p[2] = c[2];
}

void Canvas::block(int x0, int y0, int size, const unsigned char c[3]) {
  for (int y = y0; y < y0 + size; ++y) {
    for (int x = x0; x < x0 + size; ++x) set(x, y, c);
  }
}

namespace {

const char* glyph(char ch) {
  switch (ch) {
    case '0': return "111101101101111";
    case '1': return "010110010010111";
    case '2': return "111001111100111";
    case '3': return "111001111001111";
    case '4': return "101101111001001";
    case '5': return "111100111001111";
    case '6': return "111100111101111";
    case '7': return "111001001001001";
    case '8': return "111101111101111";
    case '9': return "111101111001111";
    case '.': return "000000000000010";
    case '-': return "000000111000000";
    case '+': return "000010111010000";
    case 'e': return "000111111100111";
    case 'x': return "000101010101000";
    default: return "000000000000000";
  }
}

}  // namespace

void Canvas::text(int x, int y, const std::string& s, int px) {
  static const unsigned char kBlack[3] = {0, 0, 0};
  for (char ch : s) {
    const char* g = glyph(ch);
    for (int r = 0; r < 5; ++r) {
      for (int k = 0; k < 3; ++k) {
        if (g[r * 3 + k] == '1') block(x + k * px, y + r * px, px, kBlack);
      }
    }
    x += 4 * px;
  }
}

void writeImageGrid(const std::filesystem::path& path, const ImageGrid& g) {
  const size_t n_cells = static_cast<size_t>(g.rows) * static_cast<size_t>(g.cols);
  const size_t n_values = static_cast<size_t>(g.side) * static_cast<size_t>(g.side);
  if (g.rows < 1 || g.cols < 1 || g.side < 1 || g.zoom < 1 || g.cells.size() != n_cells ||
      g.row_scale.size() != static_cast<size_t>(g.rows) ||
      !(g.labels.empty() || g.labels.size() == n_cells)) {
    fail(ErrorKind::kInvalidInput, "{}: image grid of {} x {} with {} cells, {} row scales",
         path.string(), g.rows, g.cols, g.cells.size(), g.row_scale.size());
  }
  for (const std::vector<double>& c : g.cells) {
    if (!c.empty() && c.size() != n_values) {
      fail(ErrorKind::kInvalidInput, "{}: a cell of {} values, not {} x {}", path.string(),
           c.size(), g.side, g.side);
    }
  }
  constexpr int kGap = 2;
  const int cell = g.side * g.zoom;
  const int label_px = cell >= 48 ? 2 : 1;  // font pixels: readable under an MNIST cell
  const int label_h = g.labels.empty() ? 0 : 5 * label_px + 2;  // 1 px above and below
  const int w = g.cols * cell + (g.cols + 1) * kGap;
  const int h = g.rows * (cell + label_h) + (g.rows + 1) * kGap;
  Canvas cv(w, h);
  static const unsigned char kBlank[3] = {215, 215, 215};
  for (int r = 0; r < g.rows; ++r) {
    for (int c = 0; c < g.cols; ++c) {
      const size_t i = static_cast<size_t>(r) * static_cast<size_t>(g.cols) + c;
      const int x0 = kGap + c * (cell + kGap);
      const int y0 = kGap + r * (cell + label_h + kGap);
      const std::vector<double>& v = g.cells[i];
      if (v.empty()) {
        cv.block(x0, y0, cell, kBlank);
      } else {
        const bool grey = g.row_scale[static_cast<size_t>(r)] == ImageGrid::Scale::kGrey;
        double max_abs = 0.0;  // kSigned: the cell's magnification
        if (!grey) {
          for (double d : v) max_abs = std::max(max_abs, std::abs(d));
        }
        const double scale = max_abs > 0.0 ? max_abs : 1.0;
        for (size_t k = 0; k < n_values; ++k) {
          unsigned char col[3];
          if (grey) {
            col[0] = col[1] = col[2] = greyLevel(v[k], 0.0, 1.0);
          } else {
            diverging(v[k] / scale, col);
          }
          cv.block(x0 + static_cast<int>(k) % g.side * g.zoom,
                   y0 + static_cast<int>(k) / g.side * g.zoom, g.zoom, col);
        }
      }
      if (!g.labels.empty()) cv.text(x0, y0 + cell + 1, g.labels[i], label_px);
    }
  }
  cv.write(path);
}

}  // namespace nnmip::data
