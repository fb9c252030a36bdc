#include "verify/outputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "data/png.hpp"

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
    const std::vector<unsigned char> g = data::greyImage(v, lo, hi);
    data::Canvas cv(side * zoom, side * zoom);
    for (int i = 0; i < n; ++i) {
      const unsigned char col[3] = {g[i], g[i], g[i]};
      cv.block((i % side) * zoom, (i / side) * zoom, zoom, col);
    }
    const std::filesystem::path p = dir / name;
    cv.write(p);
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
  data::Canvas cv(side * zoom, h);
  for (int i = 0; i < n; ++i) {
    unsigned char col[3];
    data::diverging((c.x[i] - ref[i]) / scale, col);
    cv.block((i % side) * zoom, (i / side) * zoom, zoom, col);
  }
  const int bar_y = side * zoom + 4;
  for (int x = 0; x < cv.w; ++x) {
    unsigned char col[3];
    data::diverging(2.0 * x / std::max(1, cv.w - 1) - 1.0, col);
    for (int y = bar_y; y < bar_y + bar_h; ++y) cv.set(x, y, col);
  }
  const std::string left = fmt::format("-{:.3g}", max_abs);
  const std::string right = fmt::format("+{:.3g}", max_abs);
  const int ty = bar_y + bar_h + 4;
  cv.text(1, ty, left, label_px);
  cv.text(cv.w - static_cast<int>(right.size()) * 4 * label_px, ty, right, label_px);
  const std::filesystem::path p = dir / "difference.png";
  cv.write(p);
  written.push_back(p);
  return written;
}

}  // namespace nnmip::verify
