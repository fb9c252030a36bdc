#pragma once
// Options shared by several commands, declared once so that they parse and fail alike, and the
// checks every numeric option goes through before a command starts its work. A value out of its
// range is a usage error (exit 2) in one line naming the option in the user's words, e.g.
// "--presplit: must be a power of two between 1 and 65536, not '0'".
#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnmip::cli {

// --time-limit SECONDS: a number > 0. Zero, a negative value or a non-number is a usage error
// (exit 2, one line). Left out, `seconds` keeps its value: nullopt (no limit) for the optional
// form, the command's stated default for the plain one.
CLI::Option* addTimeLimitOption(CLI::App& cmd, std::optional<double>& seconds,
                                const std::string& help);
CLI::Option* addTimeLimitOption(CLI::App& cmd, double& seconds, const std::string& help);

// Upper limits of the counts that allocate or spawn (README "Commands").
inline constexpr long long kMaxThreads = 256;
inline constexpr long long kMaxPresplit = 65536;
// Seconds: time limits past ~115 days would overflow the clocks' nanosecond counts downstream.
inline constexpr double kMaxSeconds = 1e7;

// An integer in [lo, hi] (no fraction, no exponent, no trailing text).
CLI::Validator intRange(long long lo, long long hi);
// An unsigned 64-bit seed: 0 .. 18446744073709551615 (a sign is refused, not wrapped).
CLI::Validator seedValue();
// A power of two in [lo, hi].
CLI::Validator powerOfTwo(long long lo, long long hi);
// A finite number in [lo, hi]; with `open_lo`, > lo. NaN and infinities are refused.
CLI::Validator realRange(double lo, double hi, bool open_lo = false);
// A finite number > 0 (at most hi), or >= 0.
CLI::Validator positiveReal(double hi = std::numeric_limits<double>::max());
CLI::Validator nonNegativeReal(double hi = std::numeric_limits<double>::max());

// --cbc-opt KEY=VALUE (repeatable): the MIP backend's options (mip::MipParams::backend_options;
// the backend refuses unknown keys). An item without '=' is a usage error naming `option`.
std::map<std::string, std::string> parseKeyValues(const std::vector<std::string>& items,
                                                  std::string_view option);

// Output paths checked before the work starts (core's checkOutputFile / checkOutputDir); an empty
// path means the option was not given. `option` names it in the message ("--json").
void checkOutputPath(const std::string& path, std::string_view option);
// A folder the command creates when missing (its parent must exist), as its --help says.
void checkOutputFolder(const std::string& path, std::string_view option);

}  // namespace nnmip::cli
