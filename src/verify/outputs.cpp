#include "verify/outputs.hpp"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace nnmip::verify {

std::string resultFileText(const Result& result) {
  if (result.status != Status::kSat || !result.counterexample) {
    // sat without a witness cannot happen (verifyProperty); never write "sat" without one.
    return std::string(result.status == Status::kSat ? "unknown" : statusName(result.status)) +
           "\n";
  }
  const Counterexample& c = *result.counterexample;
  std::string s = "sat\n(";
  for (size_t i = 0; i < c.x.size(); ++i) {
    s += fmt::format("{}(X_{} {:.17g})\n", i == 0 ? "" : " ", i, c.x[i]);
  }
  for (size_t j = 0; j < c.y.size(); ++j) {
    s += fmt::format(" (Y_{} {:.9g})", j, static_cast<double>(c.y[j]));
    s += j + 1 == c.y.size() ? ")\n" : "\n";
  }
  return s;
}

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

struct Canvas {
  int w, h;
  std::vector<unsigned char> rgb;
  Canvas(int width, int height) : w(width), h(height), rgb(static_cast<size_t>(w) * h * 3, 255) {}
  void set(int x, int y, const unsigned char c[3]) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    unsigned char* p = rgb.data() + (static_cast<size_t>(y) * w + x) * 3;
    p[0] = c[0];
    p[1] = c[1];
    p[2] = c[2];
  }
  void block(int x0, int y0, int size, const unsigned char c[3]) {
    for (int y = y0; y < y0 + size; ++y) {
      for (int x = x0; x < x0 + size; ++x) set(x, y, c);
    }
  }
};

// A 3x5 pixel font for the scale labels (digits, '.', '-', '+', 'e', 'x').
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

void text(Canvas& c, int x, int y, const std::string& s, int px) {
  static const unsigned char kBlack[3] = {0, 0, 0};
  for (char ch : s) {
    const char* g = glyph(ch);
    for (int r = 0; r < 5; ++r) {
      for (int k = 0; k < 3; ++k) {
        if (g[r * 3 + k] == '1') c.block(x + k * px, y + r * px, px, kBlack);
      }
    }
    x += 4 * px;
  }
}

// Blue (-1) - white (0) - red (+1).
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

}  // namespace

std::vector<unsigned char> greyImage(const std::vector<double>& v, double lo, double hi) {
  std::vector<unsigned char> out;
  out.reserve(v.size());
  const double span = hi > lo ? hi - lo : 1.0;
  for (double x : v) {
    out.push_back(
        static_cast<unsigned char>(std::lround(255.0 * std::clamp((x - lo) / span, 0.0, 1.0))));
  }
  return out;
}

std::vector<std::filesystem::path> writeImagePngs(const std::filesystem::path& dir,
                                                  const data::VnnlibProperty& property,
                                                  const Result& result, int zoom) {
  std::vector<std::filesystem::path> written;
  if (result.status != Status::kSat || !result.counterexample) return written;
  const Counterexample& c = *result.counterexample;
  const int n = static_cast<int>(c.x.size());
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  if (side * side != n || side < 2) return written;
  zoom = std::max(1, zoom);
  const data::InputBox& box = property.input_boxes.at(static_cast<size_t>(c.box));
  std::vector<double> ref(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ref[static_cast<size_t>(i)] = 0.5 * (box.lo[i] + box.hi[i]);
  const double lo = std::min(0.0, *std::min_element(box.lo.begin(), box.lo.end()));
  const double hi = std::max(1.0, *std::max_element(box.hi.begin(), box.hi.end()));
  std::filesystem::create_directories(dir);

  auto grey = [&](const std::vector<double>& v, const std::string& name) {
    const std::vector<unsigned char> g = greyImage(v, lo, hi);
    Canvas cv(side * zoom, side * zoom);
    for (int i = 0; i < n; ++i) {
      const unsigned char col[3] = {g[i], g[i], g[i]};
      cv.block((i % side) * zoom, (i / side) * zoom, zoom, col);
    }
    const std::filesystem::path p = dir / name;
    writePng(p, cv.w, cv.h, cv.rgb);
    written.push_back(p);
  };
  grey(ref, "reference.png");
  grey(c.x, "counterexample.png");

  double max_abs = 0.0;
  for (int i = 0; i < n; ++i) max_abs = std::max(max_abs, std::abs(c.x[i] - ref[i]));
  const double scale = max_abs > 0 ? max_abs : 1.0;
  const int bar_h = 2 * zoom;
  const int label_px = std::max(1, zoom / 4);
  const int h = side * zoom + 4 + bar_h + 4 + 5 * label_px + 4;
  Canvas cv(side * zoom, h);
  for (int i = 0; i < n; ++i) {
    unsigned char col[3];
    diverging((c.x[i] - ref[i]) / scale, col);
    cv.block((i % side) * zoom, (i / side) * zoom, zoom, col);
  }
  const int bar_y = side * zoom + 4;
  for (int x = 0; x < cv.w; ++x) {
    unsigned char col[3];
    diverging(2.0 * x / std::max(1, cv.w - 1) - 1.0, col);
    for (int y = bar_y; y < bar_y + bar_h; ++y) cv.set(x, y, col);
  }
  const std::string left = fmt::format("-{:.3g}", max_abs);
  const std::string right = fmt::format("+{:.3g}", max_abs);
  const int ty = bar_y + bar_h + 4;
  text(cv, 1, ty, left, label_px);
  text(cv, cv.w - static_cast<int>(right.size()) * 4 * label_px, ty, right, label_px);
  const std::filesystem::path p = dir / "difference.png";
  writePng(p, cv.w, cv.h, cv.rgb);
  written.push_back(p);
  return written;
}

}  // namespace nnmip::verify
