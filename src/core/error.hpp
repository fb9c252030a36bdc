#pragma once
// One exception type for misuse and bad input. Solver outcomes are not errors (STYLE.md §2.3).
#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace nnmip {

enum class ErrorKind { kInvalidInput, kUnsupported, kIo, kSolver, kInternal, kUsage };

// `text` made safe to print as one line on a terminal: control bytes (NUL, newline, ESC, ...),
// C1 controls and bytes that are not valid UTF-8 become escapes (\n, \t, \0, \xNN), so a
// crafted input file can neither cut a message short nor clear or colour the terminal. Text
// longer than `max_bytes` is cut, with "..." appended.
std::string sanitizeMessage(std::string_view text, size_t max_bytes = 2000);

// The message is kept sanitised (one printable line, whatever bytes an input file put in it):
// what() is a C string, so a NUL left in it would cut it short.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(sanitizeMessage(message)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

const char* errorKindName(ErrorKind kind);

// Process exit code for an error of this kind (STYLE.md §2.3: 2 usage, 3 input, 4 solver).
int exitCodeFor(ErrorKind kind);

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace nnmip

// Always-on invariant check; throws Error{kInternal} with a formatted message.
#define NNMIP_CHECK(cond, ...)                                                                     \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      throw ::nnmip::Error(::nnmip::ErrorKind::kInternal,                                          \
                           fmt::format("check failed ({}): {}", #cond, fmt::format(__VA_ARGS__))); \
    }                                                                                              \
  } while (0)
