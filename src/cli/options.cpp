#include "cli/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace nnmip::cli {
namespace {

// The whole of `text` as a finite double.
std::optional<double> finiteNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* b = text.data() + (text[0] == '+' ? 1 : 0);
  const char* e = text.data() + text.size();
  double v = 0.0;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The whole of `text` as an integer in [lo, hi].
std::optional<long long> integerIn(const std::string& text, long long lo, long long hi) {
  if (text.empty()) return std::nullopt;
  const char* b = text.data() + (text[0] == '+' ? 1 : 0);
  const char* e = text.data() + text.size();
  long long v = 0;
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || v < lo || v > hi) return std::nullopt;
  return v;
}

std::string shown(const std::string& text) { return sanitizeMessage(text, 60); }

std::string numberText(double v) {
  return v == std::numeric_limits<double>::max() ? "any" : fmt::format("{:g}", v);
}

}  // namespace

CLI::Validator intRange(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        if (integerIn(text, lo, hi)) return {};
        return fmt::format("must be an integer between {} and {}, not '{}'", lo, hi, shown(text));
      },
      fmt::format("INT in [{}, {}]", lo, hi));
}

CLI::Validator seedValue() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t v = 0;
        const char* e = text.data() + text.size();
        const auto [p, ec] = std::from_chars(text.data(), e, v);
        if (!text.empty() && ec == std::errc() && p == e) return {};
        return fmt::format("must be an integer between 0 and {}, not '{}'",
                           std::numeric_limits<std::uint64_t>::max(), shown(text));
      },
      "UINT64");
}

CLI::Validator powerOfTwo(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        if (const auto v = integerIn(text, lo, hi); v && (*v & (*v - 1)) == 0) return {};
        return fmt::format("must be a power of two between {} and {}, not '{}'", lo, hi,
                           shown(text));
      },
      fmt::format("POWER OF 2 in [{}, {}]", lo, hi));
}

CLI::Validator realRange(double lo, double hi, bool open_lo) {
  return CLI::Validator(
      [lo, hi, open_lo](std::string& text) -> std::string {
        const auto v = finiteNumber(text);
        if (v && (open_lo ? *v > lo : *v >= lo) && *v <= hi) return {};
        if (hi == std::numeric_limits<double>::max()) {
          return fmt::format("must be a finite number {} {:g}, not '{}'", open_lo ? ">" : ">=", lo,
                             shown(text));
        }
        return fmt::format("must be a number {} {:g} and <= {:g}, not '{}'",
                           open_lo ? ">" : ">=", lo, hi, shown(text));
      },
      fmt::format("NUMBER in {}{}, {}]", open_lo ? "(" : "[", lo, numberText(hi)));
}

CLI::Validator positiveReal(double hi) { return realRange(0.0, hi, true); }
CLI::Validator nonNegativeReal(double hi) { return realRange(0.0, hi, false); }

namespace {

// Accepts a finite number of seconds greater than zero.
CLI::Validator positiveSeconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto v = finiteNumber(text);
        if (!v || *v <= 0.0 || *v > kMaxSeconds) {
          return fmt::format("must be a number of seconds > 0 and <= {:g}, not '{}'", kMaxSeconds,
                             shown(text));
        }
        return {};
      },
      "SECONDS>0");
}

}  // namespace

CLI::Option* addTimeLimitOption(CLI::App& cmd, std::optional<double>& seconds,
                                const std::string& help) {
  return cmd.add_option("--time-limit", seconds, help)->check(positiveSeconds());
}

CLI::Option* addTimeLimitOption(CLI::App& cmd, double& seconds, const std::string& help) {
  return cmd.add_option("--time-limit", seconds, help)
      ->check(positiveSeconds())
      ->capture_default_str();
}

void checkOutputPath(const std::string& path, std::string_view option) {
  if (!path.empty()) checkOutputFile(path, option);
}

void checkOutputFolder(const std::string& path, std::string_view option) {
  if (!path.empty()) checkOutputDir(path, option, /*create=*/false);
}

std::map<std::string, std::string> parseKeyValues(const std::vector<std::string>& items,
                                                  std::string_view option) {
  std::map<std::string, std::string> out;
  for (const std::string& kv : items) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail(ErrorKind::kUsage, "{} expects key=value, got '{}'", option, kv);
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

}  // namespace nnmip::cli
