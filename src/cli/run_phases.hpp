#pragma once
// The phases of `nnmip run` (cmd_run.cpp), one function each.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "core/timer.hpp"
#include "nn/network.hpp"

namespace nnmip::cli {

struct RunOptions {
  std::string out_dir = "results/run";
  double milp_time_limit_s = 30.0;
  int threads = 2;
};

struct RunContext {
  RunOptions options;
  int verbosity = 1;
  std::optional<std::filesystem::path> data_dir;
  nlohmann::json summary;
  Timer clock;
  // The network the bounds phase works on (an mnist_fc net, or one the models phase trained).
  std::optional<nn::Network> bounds_net;
  std::string bounds_net_name;

  // Records a finished phase and rewrites run.json.
  void finishPhase(const std::string& name, nlohmann::json result);
  void log(const std::string& message) const;
};

void runModelsPhase(RunContext& ctx);
void runBoundsPhase(RunContext& ctx);
void runBdnnPhase(RunContext& ctx);

}  // namespace nnmip::cli
