#pragma once
// Library code never prints: long-running functions report through these hooks (STYLE.md §2.5).
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace nnmip {

enum class Level { kDebug, kInfo, kWarn, kError };

struct ProgressEvent {
  std::string phase;
  double elapsed_s = 0;
  double incumbent = std::numeric_limits<double>::quiet_NaN();
  double bound = std::numeric_limits<double>::quiet_NaN();
  long nodes = 0;
  long done = 0;
  long total = 0;
  // A MIP solver's new incumbent, every model variable's value: set only on the event that
  // reports it, valid during the call. The hard time limit keeps the last one, which a killed
  // solver process would otherwise take with it.
  std::span<const double> incumbent_values;
};

struct Callbacks {
  std::function<void(Level, std::string_view)> on_log;
  std::function<void(const ProgressEvent&)> on_progress;
  std::function<bool()> should_stop;

  void log(Level level, std::string_view message) const {
    if (on_log) on_log(level, message);
  }
  void progress(const ProgressEvent& event) const {
    if (on_progress) on_progress(event);
  }
  bool stopRequested() const { return should_stop && should_stop(); }
};

}  // namespace nnmip
