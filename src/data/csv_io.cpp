#include "data/csv_io.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace nnmip::data {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool blank(std::string_view line) { return trim(line).empty(); }

std::optional<long> parseInt(const std::string& s) {
  long v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> parseDouble(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double v = 0.0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::ifstream openText(const std::filesystem::path& path) {
  checkInputFile(path, kMaxTextInputBytes);  // a regular file: a FIFO or device cannot block
  std::ifstream in(path);
  if (!in) fail(ErrorKind::kIo, "{}: cannot open file", path.string());
  return in;
}

}  // namespace

std::vector<std::string> splitCsvLine(std::string_view line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t pos = line.find(sep, start);
    const std::string_view field =
        line.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    out.emplace_back(trim(field));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

Dataset readBreastCancerWisconsin(const std::filesystem::path& path, MissingPolicy policy) {
  constexpr int kFeatures = 9;
  std::ifstream in = openText(path);
  const std::string file = path.string();
  struct Row {
    std::array<double, kFeatures> v;
    std::array<bool, kFeatures> missing;
    int label;
  };
  std::vector<Row> rows;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (blank(line)) continue;
    const std::vector<std::string> f = splitCsvLine(line);
    if (f.size() != kFeatures + 2) {
      fail(ErrorKind::kInvalidInput, "{}:{}: expected {} columns (id, 9 features, class), found {}",
           file, line_no, kFeatures + 2, f.size());
    }
    if (!parseInt(f[0])) {
      fail(ErrorKind::kInvalidInput, "{}:{}: sample id '{}' is not an integer", file, line_no,
           f[0]);
    }
    Row r{};
    for (int j = 0; j < kFeatures; ++j) {
      const std::string& s = f[static_cast<size_t>(j + 1)];
      if (s == "?") {
        r.missing[static_cast<size_t>(j)] = true;
        continue;
      }
      const auto v = parseInt(s);
      if (!v) {
        fail(ErrorKind::kInvalidInput, "{}:{}: column {} value '{}' is not an integer", file,
             line_no, j + 2, s);
      }
      if (*v < 1 || *v > 10) {
        fail(ErrorKind::kInvalidInput, "{}:{}: column {} value {} is outside 1..10", file, line_no,
             j + 2, *v);
      }
      r.v[static_cast<size_t>(j)] = static_cast<double>(*v);
    }
    const auto cls = parseInt(f.back());
    if (!cls || (*cls != 2 && *cls != 4)) {
      fail(ErrorKind::kInvalidInput, "{}:{}: class '{}' is neither 2 (benign) nor 4 (malignant)",
           file, line_no, f.back());
    }
    r.label = *cls == 4 ? 1 : 0;
    rows.push_back(r);
  }
  if (in.bad()) fail(ErrorKind::kIo, "{}: read error", file);
  if (rows.empty()) fail(ErrorKind::kInvalidInput, "{}: no data rows", file);

  // Column medians over the non-missing values.
  std::array<double, kFeatures> median{};
  for (int j = 0; j < kFeatures; ++j) {
    std::vector<double> col;
    for (const Row& r : rows) {
      if (!r.missing[static_cast<size_t>(j)]) col.push_back(r.v[static_cast<size_t>(j)]);
    }
    if (col.empty()) {
      fail(ErrorKind::kInvalidInput, "{}: column {} has no non-missing values", file, j + 2);
    }
    std::sort(col.begin(), col.end());
    const size_t m = col.size();
    median[static_cast<size_t>(j)] = m % 2 == 1 ? col[m / 2] : 0.5 * (col[m / 2 - 1] + col[m / 2]);
  }

  Dataset ds;
  ds.name = "breast-cancer-wisconsin";
  ds.num_classes = 2;
  std::vector<const Row*> keep;
  for (const Row& r : rows) {
    const bool any_missing =
        std::any_of(r.missing.begin(), r.missing.end(), [](bool b) { return b; });
    if (policy == MissingPolicy::kDropRows && any_missing) continue;
    keep.push_back(&r);
  }
  ds.X.resize(static_cast<Eigen::Index>(keep.size()), kFeatures);
  for (size_t i = 0; i < keep.size(); ++i) {
    for (int j = 0; j < kFeatures; ++j) {
      const size_t jj = static_cast<size_t>(j);
      const double v = keep[i]->missing[jj] ? median[jj] : keep[i]->v[jj];
      ds.X(static_cast<Eigen::Index>(i), j) = (v - 1.0) / 9.0;
    }
    ds.y.push_back(keep[i]->label);
  }
  return ds;
}

Dataset readWdbc(const std::filesystem::path& path) {
  std::ifstream in = openText(path);
  const std::string file = path.string();
  std::string line;
  int line_no = 0;
  long n_rows = -1, n_features = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (blank(line)) continue;
    const std::vector<std::string> f = splitCsvLine(line);
    if (f.size() < 2) {
      fail(ErrorKind::kInvalidInput, "{}:{}: header must start with row and feature counts", file,
           line_no);
    }
    const auto r = parseInt(f[0]);
    const auto c = parseInt(f[1]);
    if (!r || !c || *r <= 0 || *c <= 0) {
      fail(ErrorKind::kInvalidInput, "{}:{}: header must start with row and feature counts", file,
           line_no);
    }
    n_rows = *r;
    n_features = *c;
    break;
  }
  if (n_rows < 0) fail(ErrorKind::kInvalidInput, "{}: empty file", file);
  Dataset ds;
  ds.name = "wdbc";
  ds.num_classes = 2;
  ds.X.resize(n_rows, n_features);
  long row = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (blank(line)) continue;
    const std::vector<std::string> f = splitCsvLine(line);
    if (static_cast<long>(f.size()) != n_features + 1) {
      fail(ErrorKind::kInvalidInput, "{}:{}: expected {} columns ({} features, target), found {}",
           file, line_no, n_features + 1, n_features, f.size());
    }
    if (row >= n_rows) {
      fail(ErrorKind::kInvalidInput, "{}:{}: more rows than the {} the header announces", file,
           line_no, n_rows);
    }
    for (long j = 0; j < n_features; ++j) {
      const auto v = parseDouble(f[static_cast<size_t>(j)]);
      if (!v) {
        fail(ErrorKind::kInvalidInput, "{}:{}: column {} value '{}' is not a finite number", file,
             line_no, j + 1, f[static_cast<size_t>(j)]);
      }
      ds.X(row, j) = *v;
    }
    const auto t = parseInt(f.back());
    if (!t || (*t != 0 && *t != 1)) {
      fail(ErrorKind::kInvalidInput, "{}:{}: target '{}' is neither 0 nor 1", file, line_no,
           f.back());
    }
    ds.y.push_back(*t == 0 ? 1 : 0);  // file: 0 = malignant; ours: 1 = malignant
    ++row;
  }
  if (in.bad()) fail(ErrorKind::kIo, "{}: read error", file);
  if (row != n_rows) {
    fail(ErrorKind::kInvalidInput, "{}: header announces {} rows, found {}", file, n_rows, row);
  }
  return ds;
}

}  // namespace nnmip::data
