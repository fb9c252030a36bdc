#pragma once
#include <sys/resource.h>

#include <chrono>

namespace nnmip {

// Wall-clock stopwatch (steady clock), in seconds.
class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  void reset() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// CPU seconds so far (user + system) of this process's threads and of its finished, waited-for
// child processes: MILPs under a hard time limit run in forked children
// (mip/deadline_solver.cpp), and their work belongs to the run that started them.
inline double processCpuSeconds() {
  double s = 0.0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    s += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  }
  return s;
}

}  // namespace nnmip
