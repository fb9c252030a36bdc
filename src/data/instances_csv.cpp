#include "data/instances_csv.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace nnmip::data {
namespace {

// Seconds: larger limits would overflow the clocks' nanosecond counts downstream.
constexpr double kMaxTimeout = 1e7;

std::string trim(std::string s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

// The whole of `s` as a double (from_chars: no locale, no leading '+').
bool parseDouble(const std::string& s, double& v) {
  const char* b = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  const char* e = s.data() + s.size();
  const auto [p, ec] = std::from_chars(b, e, v);
  return !s.empty() && ec == std::errc() && p == e;
}

}  // namespace

std::vector<std::string> splitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::vector<InstanceRow> parseInstancesCsv(std::string_view text, const std::string& origin) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  std::vector<InstanceRow> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = splitCsvLine(line);
    if (f.size() < 3) {
      fail(ErrorKind::kInvalidInput, "{}:{}: expected onnx,vnnlib,timeout", origin, line_no);
    }
    double timeout = 0.0;
    if (!parseDouble(f[2], timeout)) {
      // A header row: the first row, when its first field names no ONNX file.
      if (out.empty() && !header && f[0].find(".onnx") == std::string::npos) {
        header = true;
        continue;
      }
      fail(ErrorKind::kInvalidInput, "{}:{}: timeout '{}' is not a number", origin, line_no, f[2]);
    }
    if (!(timeout > 0) || timeout > kMaxTimeout) {
      fail(ErrorKind::kInvalidInput,
           "{}:{}: timeout must be a number of seconds > 0 and <= {:g}, not '{}'", origin, line_no,
           kMaxTimeout, f[2]);
    }
    if (f[0].empty() || f[1].empty()) {
      fail(ErrorKind::kInvalidInput, "{}:{}: empty onnx or vnnlib path", origin, line_no);
    }
    out.push_back({f[0], f[1], timeout, line_no});
  }
  if (out.empty()) {
    fail(ErrorKind::kInvalidInput, "{}: no instances (expected rows onnx,vnnlib,timeout)", origin);
  }
  return out;
}

}  // namespace nnmip::data
