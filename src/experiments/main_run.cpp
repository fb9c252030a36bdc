#include "experiments/main_run.hpp"

#include <fmt/format.h>

#include <cmath>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/step_net.hpp"
#include "bounds/bounder.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/rng.hpp"
#include "core/version.hpp"
#include "data/csv_io.hpp"
#include "data/mnist.hpp"
#include "data/synthetic.hpp"
#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {
namespace {

const char* const kMnistFcNets[] = {"mnist-net_256x2", "mnist-net_256x4", "mnist-net_256x6"};
// Test accuracies VNN-COMP states for the mnist_fc networks.
const double kStatedAccuracy[] = {0.9808, 0.9764, 0.9689};

// A number, or null when it is not known (NaN).
nlohmann::json orNull(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

ModelRow describe(const nn::Network& net, const std::string& name) {
  ModelRow row;
  row.name = name;
  row.sizes = net.sizes();
  row.parameters = net.parameterCount();
  row.relus = net.hiddenReluCount();
  return row;
}

// Breast Cancer Wisconsin when the data directory has it, else the random data set.
data::Split bdnnSplit(const std::optional<std::filesystem::path>& data_dir, std::string& name) {
  if (data_dir) {
    const auto path = *data_dir / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data";
    if (std::filesystem::exists(path)) {
      name = "bcw";
      return data::shuffleSplit(data::readBreastCancerWisconsin(path), 0.8, 1);
    }
  }
  name = "random";
  return data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
}

}  // namespace

void to_json(nlohmann::json& j, const ModelRow& r) {
  j = {{"name", r.name}, {"sizes", r.sizes}, {"parameters", r.parameters}, {"relus", r.relus}};
  if (!std::isnan(r.train_accuracy)) {
    j["train_accuracy"] = r.train_accuracy;
    j["test_accuracy"] = orNull(r.accuracy);
  } else {
    j["accuracy"] = orNull(r.accuracy);
    j["stated_accuracy"] = orNull(r.stated_accuracy);
  }
}

void to_json(nlohmann::json& j, const ModelsPhase& p) {
  j = {{"dataset", p.dataset}, {"test_samples", p.test_samples}, {"networks", p.networks}};
}

void to_json(nlohmann::json& j, const BoundsRow& r) {
  const bounds::LayerStats& s = r.stats;
  j = {{"method", r.method},
       {"layer", s.layer + 1},
       {"mean_width", s.mean_width},
       {"max_width", s.max_width},
       {"stable_active", s.stable_active},
       {"stable_inactive", s.stable_inactive},
       {"unstable", s.unstable},
       {"lps", s.lps},
       {"time_s", s.time_s}};
}

void to_json(nlohmann::json& j, const BoundsPhase& p) {
  j = {{"network", p.network}, {"domain", p.domain}, {"layers", p.layers}};
}

void to_json(nlohmann::json& j, const BdnnRow& r) {
  j = {{"method", r.method},
       {"d1", r.d1},
       {"train_points", r.train_points},
       {"train_acc", orNull(r.train_accuracy)},
       {"test_acc", orNull(r.test_accuracy)},
       {"status", r.status},
       {"gap", orNull(r.gap)},
       {"time_s", r.seconds}};
}

void to_json(nlohmann::json& j, const BdnnPhase& p) {
  j = {{"dataset", p.dataset}, {"rows", p.rows}};
}

MainRun::MainRun(MainRunOptions options, Callbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  std::filesystem::create_directories(options_.out_dir);
  summary_["schema"] = "nnmip.run/1";
  summary_["tool"] = toolInfo();
  summary_["data_dir"] = options_.data_dir ? options_.data_dir->string() : "";
}

void MainRun::finishPhase(const std::string& name, nlohmann::json result) {
  result["elapsed_s"] = clock_.seconds();
  summary_["phases"][name] = std::move(result);
  writeFileAtomic(summaryPath(), summary_.dump(2) + "\n");
}

void MainRun::log(const std::string& message) const { callbacks_.log(Level::kInfo, message); }

// Without data: the Bah & Kurtz random set, a 2x20 ReLU network trained on 80% of it.
ModelsPhase MainRun::trainSyntheticModel() {
  const data::Split split = data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
  Rng rng(1);
  nn::Network net = train::makeMlp(100, {20, 20}, 2, true, rng);
  train::TrainOptions options;
  options.epochs = 60;
  options.batch_size = 16;
  log("models: training a 100-20-20-2 ReLU network on the random data set");
  Timer timer;
  train::train(net, split.train, nullptr, options);
  net.name = "relu_random_20x2";
  ModelRow row = describe(net, net.name);
  row.train_accuracy = train::evaluateAccuracy(net, split.train);
  row.accuracy = train::evaluateAccuracy(net, split.test);
  row.seconds = timer.seconds();
  nn::writeOnnx(net, (options_.out_dir / "relu_random_20x2.onnx").string());
  bounds_net_ = net;
  bounds_net_name_ = net.name;
  ModelsPhase phase{"random", split.test.size(), {row}};
  finishPhase("models", phase);
  return phase;
}

ModelsPhase MainRun::runModels() {
  if (!options_.data_dir) return trainSyntheticModel();
  const std::filesystem::path onnx_dir = *options_.data_dir / "vnncomp" / "mnist_fc" / "onnx";
  log("models: reading MNIST test set");
  const data::Dataset test = data::readMnist(*options_.data_dir, false);
  ModelsPhase phase;
  phase.dataset = "mnist-test";
  phase.test_samples = test.size();
  for (size_t i = 0; i < std::size(kMnistFcNets); ++i) {
    const auto path = onnx_dir / (std::string(kMnistFcNets[i]) + ".onnx");
    if (!std::filesystem::exists(path)) {
      log(fmt::format("models: {} not found, skipped", path.string()));
      continue;
    }
    Timer timer;
    const nn::Network net = nn::readOnnx(path.string());
    ModelRow row = describe(net, kMnistFcNets[i]);
    row.accuracy = data::accuracy(nn::predictClasses(net, test.X), test.y);
    row.stated_accuracy = kStatedAccuracy[i];
    row.seconds = timer.seconds();
    phase.networks.push_back(row);
    if (i == 0) {
      bounds_net_ = net;
      bounds_net_name_ = kMnistFcNets[i];
    }
  }
  finishPhase("models", phase);
  return phase;
}

std::optional<BoundsPhase> MainRun::runBounds() {
  if (!bounds_net_) return std::nullopt;
  const nn::Network& net = *bounds_net_;
  bounds::Box box = bounds::Box::uniform(net.inputSize(), 0.0, 1.0);
  BoundsPhase phase;
  phase.network = bounds_net_name_;
  phase.domain = fmt::format("[0,1]^{}", net.inputSize());
  if (options_.data_dir) {
    const auto prop = *options_.data_dir / "vnncomp" / "mnist_fc" / "vnnlib" / "prop_0_0.03.vnnlib";
    if (std::filesystem::exists(prop)) {
      const data::VnnlibProperty p = data::readVnnlib(prop.string());
      box = bounds::Box(p.input_lo, p.input_hi, prop.string());
      phase.domain = "box of prop_0_0.03.vnnlib";
    }
  }
  for (bounds::Method method : {bounds::Method::kNaive, bounds::Method::kInterval,
                                bounds::Method::kSymbolic, bounds::Method::kLp}) {
    bounds::BoundsOptions bo;
    bo.method = method;
    bo.solver.threads = options_.threads;
    log(fmt::format("bounds: {} on {}", bounds::methodName(method), bounds_net_name_));
    const bounds::BoundsResult r = bounds::computeBounds(net, box, bo);
    for (const bounds::LayerStats& s : r.stats) {
      if (s.relu) phase.layers.push_back({bounds::methodName(method), s});
    }
  }
  finishPhase("bounds", phase);
  return phase;
}

// The Bah & Kurtz comparison in small: the heuristic (d1 = 25, learned and zero thresholds),
// the ReLU baseline (25 units, no bias, Adam), and the exact MILP on a 40-point training
// subset (d1 = 3) under a time limit, reporting its dual bound and gap and checking the MILP's
// error count against a forward pass.
BdnnPhase MainRun::runBdnn() {
  BdnnPhase phase;
  const data::Split split = bdnnSplit(options_.data_dir, phase.dataset);
  const std::string& name = phase.dataset;
  for (bdnn::ThresholdMode mode : {bdnn::ThresholdMode::kLayer, bdnn::ThresholdMode::kZero}) {
    bdnn::BdnnOptions o;
    o.hidden = {25};
    o.threshold = mode;
    bdnn::HeuristicOptions ho;
    ho.time_limit_s = 20.0;
    const std::string label = mode == bdnn::ThresholdMode::kZero ? "BDNN0 heur." : "BDNN heur.";
    log(fmt::format("bdnn: {} on {}", label, name));
    const bdnn::HeuristicResult h = bdnn::trainHeuristic(split.train, o, ho);
    phase.rows.push_back({label, 25, split.train.size(), h.train_eval.accuracy,
                          bdnn::evaluate(h.net, split.test, o.margin).accuracy, "heuristic",
                          kNoValue, h.wall_s});
  }
  {
    log(fmt::format("bdnn: ReLU baseline on {}", name));
    Timer timer;
    Rng rng(1);
    nn::Network relu = train::makeMlp(split.train.features(), {25}, 2, /*bias=*/false, rng);
    train::TrainOptions to;
    to.epochs = 100;
    to.batch_size = 32;
    to.train_bias = false;
    train::train(relu, split.train, nullptr, to);
    phase.rows.push_back(
        {"ReLU (no bias)", 25, split.train.size(), train::evaluateAccuracy(relu, split.train),
         train::evaluateAccuracy(relu, split.test), "adam 100 ep", kNoValue, timer.seconds()});
  }
  {
    const data::Dataset subset = split.train.head(40);
    bdnn::BdnnOptions o;
    o.hidden = {3};
    log(fmt::format("bdnn: exact MILP on {} points ({} s limit)", subset.size(),
                    options_.milp_time_limit_s));
    bdnn::ExactOptions ex = bdnn::exactWithLimit(options_.milp_time_limit_s);
    ex.start = bdnn::constantClassifier(subset, o);
    const bdnn::ExactResult r = bdnn::trainExact(subset, o, ex);
    std::string status(mip::terminationName(r.termination));
    if (r.limit != mip::Limit::kNone) status += fmt::format("/{}", mip::limitName(r.limit));
    if (r.has_solution && !r.forward_check_ok) status += " (forward check FAILED)";
    phase.rows.push_back(
        {"BDNN MILP", 3, subset.size(), r.has_solution ? r.train_eval.accuracy : kNoValue,
         r.has_solution ? bdnn::evaluate(r.net, split.test, o.margin).accuracy : kNoValue, status,
         r.gap, r.wall_s});
  }
  finishPhase("bdnn", phase);
  return phase;
}

}  // namespace nnmip::experiments
