#pragma once
// The main job (`nnmip run`): one pass over every capability, on real data when a data
// directory is given and on data it makes itself otherwise. Three phases, one call each:
//   models  the VNN-COMP mnist_fc networks: structure and MNIST test accuracy (without data: a
//           100-20-20-2 ReLU network trained on the Bah & Kurtz random data set);
//   bounds  activation bounds of the first of those networks over the prop_0_0.03 box (without
//           data: [0,1]^n), tier by tier (naive, interval, symbolic, lp);
//   bdnn    binary-activation networks on Breast Cancer Wisconsin (or the random data set):
//           heuristic and exact MILP (time-limited, with its gap) against the ReLU baseline.
//   verify  VNN-LIB properties on that network: mnist-net_256x2 prop_0_0.03 (unsat) and
//           prop_0_0.05 (sat, counterexample PNGs); without data: a robustness property around
//           the first random-set point at two radii;
//   pv      the thesis's largest output change (softmax-l1, symbolic tier) around MNIST test
//           image 0 (neighbours, eps 0.18) with PNGs; without data: a box around that point.
// Each phase returns a typed result and rewrites <out_dir>/run.json, so an interrupted run
// keeps what it finished; writeReport ends the tour with report.md and a plot. Progress goes to
// Callbacks::on_log; nothing is printed.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "core/callbacks.hpp"
#include "core/timer.hpp"
#include "nn/network.hpp"

namespace nnmip::experiments {

struct MainRunOptions {
  std::filesystem::path out_dir = "results/run";
  double milp_time_limit_s = 30.0;                // each MILP solve
  int threads = 2;                                // bound solves
  std::optional<std::filesystem::path> data_dir;  // nullopt: data nnmip makes itself
};

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

struct ModelRow {
  std::string name;
  std::vector<int> sizes;  // input, then each layer's output
  long parameters = 0;
  int relus = 0;
  double accuracy = kNoValue;         // test accuracy
  double stated_accuracy = kNoValue;  // VNN-COMP's figure (mnist_fc networks)
  double train_accuracy = kNoValue;   // networks this run trained
  double seconds = 0;
};
struct ModelsPhase {
  std::string dataset;  // "mnist-test" or "random"
  int test_samples = 0;
  std::vector<ModelRow> networks;
};

// One hidden ReLU layer under one tier.
struct BoundsRow {
  std::string method;
  bounds::LayerStats stats;
};
struct BoundsPhase {
  std::string network;
  std::string domain;
  std::vector<BoundsRow> layers;
};

struct BdnnRow {
  std::string method;
  int d1 = 0;  // hidden units
  int train_points = 0;
  double train_accuracy = kNoValue;
  double test_accuracy = kNoValue;
  std::string status;
  double gap = kNoValue;  // MILP only
  double seconds = 0;
};
struct BdnnPhase {
  std::string dataset;  // "bcw" or "random"
  std::vector<BdnnRow> rows;
};

struct VerifyRow {
  std::string property;
  std::string result;  // sat | unsat | unknown | timeout
  std::string reason;
  double seconds = 0;
  std::vector<std::string> pngs;
};
struct VerifyPhase {
  std::string network;
  std::vector<VerifyRow> rows;
};

struct PvPhase {
  std::string network, domain, tier = "symbolic", objective = "softmax-l1";
  double value = kNoValue, bound = kNoValue, gap = kNoValue, seconds = 0;
  std::string found_by;
  std::vector<std::string> pngs;
};

void to_json(nlohmann::json& j, const VerifyRow& r);
void to_json(nlohmann::json& j, const VerifyPhase& p);
void to_json(nlohmann::json& j, const PvPhase& p);
void to_json(nlohmann::json& j, const ModelRow& r);
void to_json(nlohmann::json& j, const ModelsPhase& p);
void to_json(nlohmann::json& j, const BoundsRow& r);
void to_json(nlohmann::json& j, const BoundsPhase& p);
void to_json(nlohmann::json& j, const BdnnRow& r);
void to_json(nlohmann::json& j, const BdnnPhase& p);

class MainRun {
 public:
  // Creates out_dir and starts run.json ({"schema": "nnmip.run/1", "tool", "data_dir"}).
  explicit MainRun(MainRunOptions options, Callbacks callbacks = {});

  ModelsPhase runModels();
  // nullopt when the models phase left no network (no mnist_fc file found).
  std::optional<BoundsPhase> runBounds();
  BdnnPhase runBdnn();
  // nullopt when no network is there (as runBounds).
  std::optional<VerifyPhase> runVerify();
  std::optional<PvPhase> runPv();
  // <out_dir>/report.md (every phase's table from run.json) and plots/ (bound widths per tier).
  std::filesystem::path writeReport() const;

  const MainRunOptions& options() const { return options_; }
  std::filesystem::path summaryPath() const { return options_.out_dir / "run.json"; }
  double seconds() const { return clock_.seconds(); }

 private:
  void finishPhase(const std::string& name, nlohmann::json result);
  void log(const std::string& message) const;
  ModelsPhase trainSyntheticModel();

  MainRunOptions options_;
  Callbacks callbacks_;
  Timer clock_;
  nlohmann::json summary_;
  // The network the bounds phase works on (an mnist_fc net, or one the models phase trained).
  std::optional<nn::Network> bounds_net_;
  std::string bounds_net_name_;
};

}  // namespace nnmip::experiments
