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
  // LP iterations over the whole search (CBC checks it between nodes, like node_limit; the enum
  // oracle ignores it). With node_limit, a work limit that does not depend on the machine's load.
  std::optional<long> iteration_limit;
  std::vector<double> start;  // optional full primal point (MIP start)
  bool solver_log = false;    // forward solver log lines to Callbacks::on_log
  // The dual bound will be used as a proof: prune no node that could still improve the
  // objective by more than 1e-9 (CBC's own cutoff increment, 1e-5, could make a dual bound
  // too tight by up to that much). A backend option that sets the increment takes precedence.
  bool exact_dual_bound = false;
  // Enforce time_limit_s from outside the solver: the solve runs in a forked child process that
  // is killed at the limit (POSIX; mip/deadline_solver.cpp). CBC checks its clock only between
  // nodes and has overrun limits by 7-45 s at the root. A killed solve keeps its last dual bound
  // and loses its incumbent's values. Costs a fork (a few ms); no effect without time_limit_s.
  bool hard_time_limit = false;
  // Report the root LP's value as a progress bound before the root's cuts and heuristics, which
  // can outlast a short limit: a solve killed there then keeps that bound. Off by default, as the
  // bound refinement's give-up rule counts solves that end without a bound.
  bool report_root_lp = false;
  std::map<std::string, std::string> backend_options;  // validated by the backend
};

struct LpParams {
  std::optional<double> time_limit_s;
  std::optional<long> iteration_limit;
};

}  // namespace nnmip::mip
