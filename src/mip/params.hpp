#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnmip::mip {

struct MipParams {
  std::optional<double> time_limit_s;  // wall clock, always
  int threads = 1;                     // CBC's own threads (STYLE.md §3.3: opt-in)
  double rel_gap = 0.0;                // 0 = prove optimality
  double abs_gap = 1e-9;
  std::optional<double> cutoff;  // prune anything not better than this (user sense)
  std::optional<long> node_limit;
  std::vector<double> start;  // optional full primal point (MIP start)
  bool solver_log = false;    // forward solver log lines to Callbacks::on_log
  std::map<std::string, std::string> backend_options;  // validated by the backend
};

struct LpParams {
  std::optional<double> time_limit_s;
  std::optional<long> iteration_limit;
};

}  // namespace nnmip::mip
