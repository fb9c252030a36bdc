#pragma once
// Binary-activation network campaigns (Bah & Kurtz tables, issue 12's engine rows): typed jobs,
// one typed result per job, run through the job store (job_store.hpp). The CLI (`nnmip bdnn
// table|train`) parses arguments into these types and prints; nothing here prints.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bdnn/options.hpp"
#include "core/callbacks.hpp"
#include "data/dataset.hpp"

namespace nnmip::experiments {

enum class BdnnMethod {
  kMilp,            // full MILP from the constant classifier
  kMilpHeurStart,   // full MILP from the heuristic's network
  kIterative,       // iterative data addition
  kHeuristic,       // mountain climbing
  kRelu,            // the ReLU baseline (no step units)
  kMilpMarginZero,  // the seed's non-strict formulation (margin 0), from the constant classifier
  kEngineHeur,      // the primal engine (bdnn/engine.hpp) from the heuristic
  kEngineConst,     // the primal engine from the constant classifier
};
// Stable names (they are part of job ids): milp, milp-hstart, iterative, heuristic, relu,
// milp-m0, engine-heur, engine-const.
const char* bdnnMethodName(BdnnMethod method);
std::optional<BdnnMethod> parseBdnnMethod(std::string_view name);

enum class BdnnTableKind { kMain, kShuffles, kRobust, kTrain };
const char* bdnnTableKindName(BdnnTableKind kind);  // main, shuffles, robust, train

struct BdnnJob {
  BdnnTableKind kind = BdnnTableKind::kMain;
  std::string dataset = "bcw";
  BdnnMethod method = BdnnMethod::kMilp;
  bdnn::ThresholdMode threshold = bdnn::ThresholdMode::kLayer;  // ignored by kRelu
  int hidden = 25;
  uint64_t seed = 1;
  double radius = 0.0;

  // "kind|dataset|method|threshold|d1|seed|radius" (threshold learn/zero/neuron, "-" for relu).
  std::string id() const;
  std::string label() const;  // "BDNN0 heur.", "DNN (ReLU)", ...
};

// Settings shared by the jobs of one campaign.
struct BdnnSettings {
  double train_fraction = 0.8;
  double time_limit_s = 120.0;     // each MILP, or the whole engine
  double heuristic_time_s = 60.0;  // each heuristic run
  int restarts = 5;
  double margin = 1e-3;
  double lp_margin = 0.05;
  int relu_epochs = 200;
  int relu_batch = 32;
  double relu_lr = 1e-3;
  std::map<std::string, std::string> backend_options;  // CBC options (key=value)
  std::vector<std::string> backend_options_text;       // as given, for the record
  // Engine rows: CBC nodes and LP iterations per repair / LNS round (bdnn::EngineOptions; unset:
  // its defaults).
  std::optional<long> repair_round_nodes, lns_round_nodes;
  std::optional<long> repair_round_iterations, lns_round_iterations;
};

// One robustness evaluation of a trained network (test set, one radius).
struct PerturbationSummary {
  double clean = 0, random = 0, certified = 0, attacked = 0;
  int unknown = 0, stable = 0;
};

// The result of one job. Optional fields are left out of the JSON when unset; a NaN in a set
// field is written as null (e.g. the objective of a MILP that found no solution).
struct BdnnJobResult {
  BdnnJob job;
  int train_points = 0, test_points = 0;
  double wall_s = 0.0;
  std::optional<double> train_acc, test_acc, margin;
  std::optional<std::string> recipe, start, status, formulation, gap_formula;
  // heuristic
  std::optional<double> heuristic_s, heuristic_time_limit_s;
  std::optional<long> lp_solves;
  std::optional<std::vector<int>> restart_errors;
  std::optional<int> restarts;
  // forward-pass counts of the returned network (step_net.hpp), and the MILP's own count
  std::optional<int> train_errors, band_points, margin_errors, milp_errors;
  std::optional<bool> forward_check_ok;
  // MILP / engine
  std::optional<std::vector<std::string>> cbc_opts;
  std::optional<double> time_limit_s, objective, bound, gap, milp_s;
  std::optional<long> nodes;
  std::optional<int> milp_vars, milp_binaries, milp_rows;
  std::optional<int> start_errors, lns_rounds, lns_accepted, lns_errors;
  std::optional<int> repair_rounds, repair_accepted, heuristic_starts;
  std::optional<long> repair_round_nodes, lns_round_nodes;
  std::optional<long> repair_round_iterations, lns_round_iterations;
  std::optional<double> lns_s, engine_s, ray_bound, milp_objective, milp_bound;
  std::optional<bool> milp_run;
  std::optional<std::string> milp_status;
  // iterative
  std::optional<int> rounds, subset;
  std::optional<bool> converged;
  std::map<std::string, PerturbationSummary> perturb;  // by radius ("0.05", "0.1")
};
nlohmann::json to_json(const BdnnJobResult& result);

// Runs one job on one split; saves the network when save_path is given (JSON or .onnx).
BdnnJobResult runBdnnJob(const BdnnJob& job, const data::Split& split, const BdnnSettings& settings,
                         const Callbacks& callbacks = {}, const std::string& save_path = {});

// The jobs of a table: `methods` are the table's short names (milp milp0 heur heur0 relu
// milp-hstart milp0-hstart iterative seed seed0 engine engine0 engine-const engine0-const; a 0
// means zero thresholds). kMain: every width x method; kShuffles: seeds 1..shuffles at the first
// width; kRobust: every radius at the first width (relu only at r = 0). Throws
// Error{kUsage} for an unknown method name.
std::vector<BdnnJob> bdnnTableJobs(BdnnTableKind kind, const std::string& dataset,
                                   const std::vector<std::string>& methods,
                                   const std::vector<int>& widths, uint64_t seed, int shuffles,
                                   const std::vector<double>& radii);

// Runs the jobs that <stem>.jsonl does not hold yet (resumable) and rewrites <stem>.csv; returns
// the stored rows of `jobs`, in job order. Progress: one line per job through callbacks.on_log.
std::vector<nlohmann::json> runBdnnTable(const std::vector<BdnnJob>& jobs, const data::Dataset& all,
                                         const BdnnSettings& settings, const std::string& stem,
                                         const Callbacks& callbacks = {},
                                         const Callbacks& job_callbacks = {});

}  // namespace nnmip::experiments
