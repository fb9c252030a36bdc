#pragma once
// Options shared by several commands, declared once so that they parse and fail alike.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace nnmip::cli {

// --time-limit SECONDS: a number > 0. Zero, a negative value or a non-number is a usage error
// (exit 2, one line). Left out, `seconds` keeps its value: nullopt (no limit) for the optional
// form, the command's stated default for the plain one.
CLI::Option* addTimeLimitOption(CLI::App& cmd, std::optional<double>& seconds,
                                const std::string& help);
CLI::Option* addTimeLimitOption(CLI::App& cmd, double& seconds, const std::string& help);

}  // namespace nnmip::cli
