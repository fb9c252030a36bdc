#include "cli/run_phases.hpp"

#include <fmt/format.h>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/step_net.hpp"
#include "bounds/bounder.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "data/csv_io.hpp"
#include "data/synthetic.hpp"
#include "data/mnist.hpp"
#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::cli {

void RunContext::finishPhase(const std::string& name, nlohmann::json result) {
  result["elapsed_s"] = clock.seconds();
  summary["phases"][name] = std::move(result);
  writeJsonFile((std::filesystem::path(options.out_dir) / "run.json").string(), summary);
}

void RunContext::log(const std::string& message) const {
  std::fflush(stdout);  // keep the tables and the log lines in order on a terminal
  if (verbosity > 0) logLine(clock, "info", message);
}

namespace {

const char* const kMnistFcNets[] = {"mnist-net_256x2", "mnist-net_256x4", "mnist-net_256x6"};
// Test accuracies VNN-COMP states for the mnist_fc networks.
const double kStatedAccuracy[] = {0.9808, 0.9764, 0.9689};

std::string percent(double v) { return fmt::format("{:.2f}%", 100.0 * v); }

// Without data: the Bah & Kurtz random set, a 2x20 ReLU network trained on 80% of it.
void trainSyntheticModel(RunContext& ctx) {
  const data::Split split = data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
  Rng rng(1);
  nn::Network net = train::makeMlp(100, {20, 20}, 2, true, rng);
  train::TrainOptions options;
  options.epochs = 60;
  options.batch_size = 16;
  ctx.log("models: training a 100-20-20-2 ReLU network on the random data set");
  train::train(net, split.train, nullptr, options);
  const double train_acc = train::evaluateAccuracy(net, split.train);
  const double test_acc = train::evaluateAccuracy(net, split.test);
  Table t({"<network", "sizes", "params", "train_acc", "test_acc"});
  t.addRow({"relu_random_20x2", "100-20-20-2", std::to_string(net.parameterCount()),
            percent(train_acc), percent(test_acc)});
  fmt::print("== models (random data set, N=100, m=200, 80/20 split)\n");
  t.print();
  net.name = "relu_random_20x2";
  nn::writeOnnx(net, (std::filesystem::path(ctx.options.out_dir) / "relu_random_20x2.onnx").string());
  ctx.bounds_net = net;
  ctx.bounds_net_name = net.name;
  ctx.finishPhase("models", {{"dataset", "random"},
                             {"networks", {{{"name", net.name},
                                            {"train_accuracy", train_acc},
                                            {"test_accuracy", test_acc}}}}});
}

}  // namespace

void runModelsPhase(RunContext& ctx) {
  if (!ctx.data_dir) {
    trainSyntheticModel(ctx);
    return;
  }
  const std::filesystem::path onnx_dir = *ctx.data_dir / "vnncomp" / "mnist_fc" / "onnx";
  ctx.log("models: reading MNIST test set");
  const data::Dataset test = data::readMnist(*ctx.data_dir, false);
  Table t({"<network", "sizes", "params", "relus", "accuracy", "stated", "time_s"});
  nlohmann::json nets = nlohmann::json::array();
  for (size_t i = 0; i < std::size(kMnistFcNets); ++i) {
    const auto path = onnx_dir / (std::string(kMnistFcNets[i]) + ".onnx");
    if (!std::filesystem::exists(path)) {
      ctx.log(fmt::format("models: {} not found, skipped", path.string()));
      continue;
    }
    Timer timer;
    const nn::Network net = nn::readOnnx(path.string());
    const double acc = data::accuracy(nn::predictClasses(net, test.X), test.y);
    std::string sizes;
    for (int s : net.sizes()) sizes += (sizes.empty() ? "" : "-") + std::to_string(s);
    t.addRow({kMnistFcNets[i], sizes, std::to_string(net.parameterCount()),
              std::to_string(net.hiddenReluCount()), fmt::format("{:.4f}", acc),
              fmt::format("{:.4f}", kStatedAccuracy[i]), fmt::format("{:.2f}", timer.seconds())});
    nets.push_back({{"name", kMnistFcNets[i]},
                    {"sizes", net.sizes()},
                    {"parameters", net.parameterCount()},
                    {"accuracy", acc},
                    {"stated_accuracy", kStatedAccuracy[i]}});
    if (i == 0) {
      ctx.bounds_net = net;
      ctx.bounds_net_name = kMnistFcNets[i];
    }
  }
  fmt::print("== models (VNN-COMP mnist_fc, MNIST test set, {} images)\n", test.size());
  t.print();
  ctx.finishPhase("models", {{"dataset", "mnist-test"}, {"networks", nets}});
}

void runBoundsPhase(RunContext& ctx) {
  if (!ctx.bounds_net) return;
  const nn::Network& net = *ctx.bounds_net;
  bounds::Box box = bounds::Box::uniform(net.inputSize(), 0.0, 1.0);
  std::string domain = fmt::format("[0,1]^{}", net.inputSize());
  if (ctx.data_dir) {
    const auto prop = *ctx.data_dir / "vnncomp" / "mnist_fc" / "vnnlib" / "prop_0_0.03.vnnlib";
    if (std::filesystem::exists(prop)) {
      const data::VnnlibProperty p = data::readVnnlib(prop.string());
      box = bounds::Box(p.input_lo, p.input_hi, prop.string());
      domain = "box of prop_0_0.03.vnnlib";
    }
  }
  Table t({"<method", "layer", "mean_width", "max_width", "active", "inactive", "unstable", "LPs",
           "time_s"});
  nlohmann::json rows = nlohmann::json::array();
  for (bounds::Method method : {bounds::Method::kNaive, bounds::Method::kInterval,
                                bounds::Method::kSymbolic, bounds::Method::kLp}) {
    bounds::BoundsOptions options;
    options.method = method;
    options.solver.threads = ctx.options.threads;
    ctx.log(fmt::format("bounds: {} on {}", bounds::methodName(method), ctx.bounds_net_name));
    const bounds::BoundsResult r = bounds::computeBounds(net, box, options);
    for (const bounds::LayerStats& s : r.stats) {
      if (!s.relu) continue;
      t.addRow({bounds::methodName(method), std::to_string(s.layer + 1),
                fmt::format("{:.4g}", s.mean_width), fmt::format("{:.4g}", s.max_width),
                std::to_string(s.stable_active), std::to_string(s.stable_inactive),
                std::to_string(s.unstable), std::to_string(s.lps), fmt::format("{:.2f}", s.time_s)});
      rows.push_back({{"method", bounds::methodName(method)},
                      {"layer", s.layer + 1},
                      {"mean_width", s.mean_width},
                      {"max_width", s.max_width},
                      {"stable_active", s.stable_active},
                      {"stable_inactive", s.stable_inactive},
                      {"unstable", s.unstable},
                      {"lps", s.lps},
                      {"time_s", s.time_s}});
    }
  }
  fmt::print("\n== bounds ({}, {}; hidden ReLU layers)\n", ctx.bounds_net_name, domain);
  t.print();
  ctx.finishPhase("bounds", {{"network", ctx.bounds_net_name}, {"domain", domain}, {"layers", rows}});
}

namespace {

// Breast Cancer Wisconsin when the data directory has it, else the random data set.
data::Split bdnnSplit(const RunContext& ctx, std::string& name) {
  if (ctx.data_dir) {
    const auto path = *ctx.data_dir / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data";
    if (std::filesystem::exists(path)) {
      name = "bcw";
      return data::shuffleSplit(data::readBreastCancerWisconsin(path), 0.8, 1);
    }
  }
  name = "random";
  return data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
}

}  // namespace

// The Bah & Kurtz comparison in small: the heuristic (d1 = 25, learned and zero thresholds),
// the ReLU baseline (25 units, no bias, Adam), and the exact MILP on a 40-point training
// subset (d1 = 3) under a time limit, reporting its dual bound and gap and checking the MILP's
// error count against a forward pass.
void runBdnnPhase(RunContext& ctx) {
  std::string name;
  const data::Split split = bdnnSplit(ctx, name);
  Table t({"<method", "d1", "train_points", "train_acc", "test_acc", "status", "gap", "time_s"});
  nlohmann::json rows = nlohmann::json::array();
  auto add = [&](const std::string& method, int d1, int n, double tr, double te,
                 const std::string& status, double gap, double secs) {
    t.addRow({method, std::to_string(d1), std::to_string(n), percent(tr), percent(te), status,
              std::isfinite(gap) ? percent(gap) : "-", fmt::format("{:.2f}", secs)});
    rows.push_back({{"method", method}, {"d1", d1}, {"train_points", n}, {"train_acc", tr},
                    {"test_acc", te}, {"status", status},
                    {"gap", std::isfinite(gap) ? nlohmann::json(gap) : nlohmann::json(nullptr)},
                    {"time_s", secs}});
  };
  for (bdnn::ThresholdMode mode : {bdnn::ThresholdMode::kLayer, bdnn::ThresholdMode::kZero}) {
    bdnn::BdnnOptions o;
    o.hidden = {25};
    o.threshold = mode;
    bdnn::HeuristicOptions ho;
    ho.time_limit_s = 20.0;
    const std::string label = mode == bdnn::ThresholdMode::kZero ? "BDNN0 heur." : "BDNN heur.";
    ctx.log(fmt::format("bdnn: {} on {}", label, name));
    const bdnn::HeuristicResult h = bdnn::trainHeuristic(split.train, o, ho);
    add(label, 25, split.train.size(), h.train_eval.accuracy,
        bdnn::evaluate(h.net, split.test, o.margin).accuracy, "heuristic", NAN, h.wall_s);
  }
  {
    ctx.log(fmt::format("bdnn: ReLU baseline on {}", name));
    Timer timer;
    Rng rng(1);
    nn::Network relu = train::makeMlp(split.train.features(), {25}, 2, /*bias=*/false, rng);
    train::TrainOptions to;
    to.epochs = 100;
    to.batch_size = 32;
    to.train_bias = false;
    train::train(relu, split.train, nullptr, to);
    add("ReLU (no bias)", 25, split.train.size(), train::evaluateAccuracy(relu, split.train),
        train::evaluateAccuracy(relu, split.test), "adam 100 ep", NAN, timer.seconds());
  }
  {
    const data::Dataset subset = split.train.head(40);
    bdnn::BdnnOptions o;
    o.hidden = {3};
    ctx.log(fmt::format("bdnn: exact MILP on {} points ({} s limit)", subset.size(),
                        ctx.options.milp_time_limit_s));
    bdnn::ExactOptions ex = bdnn::exactWithLimit(ctx.options.milp_time_limit_s);
    ex.start = bdnn::constantClassifier(subset, o);
    const bdnn::ExactResult r = bdnn::trainExact(subset, o, ex);
    std::string status = fmt::format("{}{}", mip::terminationName(r.termination),
                                     r.limit != mip::Limit::kNone
                                         ? fmt::format("/{}", mip::limitName(r.limit))
                                         : "");
    if (r.has_solution && !r.forward_check_ok) status += " (forward check FAILED)";
    add("BDNN MILP", 3, subset.size(), r.has_solution ? r.train_eval.accuracy : NAN,
        r.has_solution ? bdnn::evaluate(r.net, split.test, o.margin).accuracy : NAN, status, r.gap,
        r.wall_s);
  }
  fmt::print("\n== bdnn ({} data set, 80/20 split seed 1; accuracy on the held-out 20%)\n",
             name);
  t.print();
  ctx.finishPhase("bdnn", {{"dataset", name}, {"rows", rows}});
}

}  // namespace nnmip::cli
