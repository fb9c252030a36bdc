#include "cli/options.hpp"

#include <cmath>

namespace nnmip::cli {
namespace {

// Accepts a finite number of seconds greater than zero.
CLI::Validator positiveSeconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || v <= 0.0) {
          return "must be a number of seconds > 0, not '" + text + "'";
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

}  // namespace nnmip::cli
