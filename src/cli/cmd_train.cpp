// nnmip train | prune: train dense ReLU networks (thesis ch. 2, Bah & Kurtz baseline) and round
// small weights to zero (the thesis's Rounder, Algorithm 2).
#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>

#include "cli/commands.hpp"
#include "cli/datasets.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::cli {
namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void onInterrupt(int) { g_interrupted = 1; }

// Thresholds at which the share of near-zero weights is reported (the thesis's eps grid).
constexpr double kSparsityEps[] = {1e-4, 1e-3, 1e-2, 1e-1};

std::string pct(double fraction) { return fmt::format("{:.2f}", 100.0 * fraction); }

struct TrainArgs {
  DatasetRequest data;
  std::string arch = "200x5";
  std::string reg = "none";
  double lambda = 0.0;
  std::string lambda_scale = "mean";
  int epochs = 50;
  int batch = 128;
  std::optional<double> lr;
  double momentum = 0.0;
  std::string optimizer = "adam";
  std::string loss = "ce";
  bool single_output = false;
  bool no_bias = false;
  uint64_t seed = 1;
  double val_fraction = 0.1;
  int threads = 1;  // 2 measured slower on the shared 2-core machine (docs/results_training.md)
  int train_limit = 0;
  std::string output;
  std::string json;
  std::string checkpoint;
  bool resume = false;
  bool keep_checkpoint = false;
  bool as_double = false;
};

void runTrain(const TrainArgs& a, const GlobalOptions& g) {
  Timer clock;
  const bool quiet = g.verbosity == 0;
  auto log = [&](const std::string& m) {
    if (!quiet) logLine(clock, "info", m);
  };
  if (!(a.val_fraction >= 0.0 && a.val_fraction < 1.0)) {
    fail(ErrorKind::kInvalidInput, "--val-fraction must lie in [0, 1), got {}", a.val_fraction);
  }
  if (a.epochs < 0) fail(ErrorKind::kInvalidInput, "--epochs must be >= 0");
  if (a.threads < 1) fail(ErrorKind::kInvalidInput, "--threads must be >= 1");

  train::TrainOptions o;
  o.epochs = a.epochs;
  o.batch_size = a.batch;
  o.seed = a.seed;
  o.threads = a.threads;
  o.train_bias = !a.no_bias;
  o.optimizer.kind = train::parseOptimizer(a.optimizer);
  o.optimizer.lr = a.lr.value_or(o.optimizer.kind == train::OptimizerKind::kAdam ? 1e-3 : 1e-2);
  o.optimizer.momentum = a.momentum;
  o.objective.reg = train::parseRegularization(a.reg);
  o.objective.lambda = a.lambda;
  o.objective.scale = train::parseLambdaScale(a.lambda_scale);
  if (a.loss == "ce") {
    o.objective.loss = train::LossKind::kSoftmaxCrossEntropy;
  } else if (a.loss == "bce") {
    o.objective.loss = train::LossKind::kBinaryCrossEntropy;
  } else {
    fail(ErrorKind::kInvalidInput, "--loss must be ce or bce, not '{}'", a.loss);
  }
  if (a.single_output && o.objective.loss != train::LossKind::kBinaryCrossEntropy) {
    fail(ErrorKind::kInvalidInput, "--single-output needs --loss bce");
  }
  if (o.objective.reg == train::Regularization::kNone && a.lambda != 0.0) {
    fail(ErrorKind::kInvalidInput, "--lambda {} needs --reg l1 or l2", a.lambda);
  }
  if (o.objective.reg != train::Regularization::kNone && !(a.lambda > 0.0)) {
    fail(ErrorKind::kInvalidInput, "--reg {} needs --lambda > 0", a.reg);
  }
  const std::vector<int> hidden = train::parseArch(a.arch);

  // Data: the data set's own train split (80/20 seeded shuffle for bcw/wdbc/random), then a
  // seeded validation split of it.
  DatasetRequest req = a.data;
  req.data_dir = g.data_dir;
  req.seed = a.seed;
  req.split = "train";
  data::Dataset train_all = loadDataset(req);
  req.split = "test";
  const data::Dataset test = loadDataset(req);
  if (a.train_limit > 0) train_all = train_all.head(a.train_limit);
  data::Dataset train_set, val_set;
  if (a.val_fraction > 0.0) {
    data::Split s = data::shuffleSplit(train_all, 1.0 - a.val_fraction, a.seed ^ 0x5eedULL);
    train_set = std::move(s.train);
    val_set = std::move(s.test);
  } else {
    train_set = std::move(train_all);
  }
  train_all = {};
  const int classes = std::max(train_set.num_classes, 2);
  if (a.single_output && classes != 2) {
    fail(ErrorKind::kInvalidInput, "--single-output needs a 2-class data set, {} has {}",
         a.data.name, classes);
  }
  {
    // Weights, gradients and two Adam moments per parameter, activations of a batch per unit:
    // checked before anything is logged or allocated.
    double params = 0.0, units = 0.0, fan_in = train_set.features();
    for (int h : hidden) {
      params += (fan_in + 1.0) * h;
      units += h;
      fan_in = h;
    }
    params += (fan_in + 1.0) * classes;
    checkMemoryEstimate(8.0 * (4.0 * params + 4.0 * a.batch * (units + classes)), ErrorKind::kUsage,
                        fmt::format("--arch {}", a.arch));
  }
  log(fmt::format("data {}: {} train, {} validation, {} test samples, {} features, {} classes",
                  a.data.name, train_set.size(), val_set.size(), test.size(), train_set.features(),
                  classes));

  Rng init_rng(a.seed);
  nn::Network net = train::makeMlp(train_set.features(), hidden, a.single_output ? 1 : classes,
                                   !a.no_bias, init_rng);
  train::CheckpointOptions ck;
  if (!a.output.empty()) ck.path = a.checkpoint.empty() ? a.output + ".ckpt" : a.checkpoint;
  ck.resume = a.resume;
  log(fmt::format(
      "training {} ({} parameters) {} lr {} batch {} loss {} reg {} lambda {} "
      "(scale {}) bias {} seed {} threads {}",
      net.name, net.parameterCount(), train::optimizerName(o.optimizer.kind), o.optimizer.lr,
      o.batch_size, train::lossName(o.objective.loss), a.reg, a.lambda,
      train::lambdaScaleName(o.objective.scale), a.no_bias ? "no" : "yes", a.seed, a.threads));

  g_interrupted = 0;
  auto previous = std::signal(SIGINT, onInterrupt);
  std::unique_ptr<ProgressLine> bar;
  Callbacks cb;
  cb.should_stop = [] { return g_interrupted != 0; };
  cb.on_log = [&](Level, std::string_view line) {
    if (bar) bar->finish();
    bar.reset();
    log(std::string(line));
  };
  cb.on_progress = [&](const ProgressEvent& ev) {
    if (quiet) return;
    if (!bar) bar = std::make_unique<ProgressLine>(ev.phase, ev.total, quiet);
    bar->update(ev.done, fmt::format("loss {:.4f}", ev.incumbent));
  };
  train::TrainResult run;
  try {
    run =
        train::trainWithCheckpoints(net, train_set, val_set.size() ? &val_set : nullptr, o, ck, cb);
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  const std::vector<train::EpochStats>& history = run.epochs;
  const bool stopped = run.stopped;
  const double train_seconds = run.seconds;

  if (stopped && !ck.path.empty()) {
    log(fmt::format("interrupted: {} complete epochs saved in {} (rerun with --resume)",
                    run.completed_epochs, ck.path.string()));
  } else if (stopped) {
    log(fmt::format("interrupted after {} complete epochs (nothing saved without -o)",
                    run.completed_epochs));
  }
  // The saved network is what users get: evaluate it after the float32 round trip.
  nn::Network saved = net;
  if (!a.output.empty()) {
    nn::writeOnnx(net, a.output,
                  a.as_double ? nn::OnnxPrecision::kDouble : nn::OnnxPrecision::kFloat);
    saved = nn::readOnnx(a.output);
    if (!stopped && !a.keep_checkpoint && fs::exists(ck.path)) fs::remove(ck.path);
  }
  const double test_acc = train::evaluateAccuracy(saved, test, a.threads);
  const double val_acc =
      val_set.size() ? train::evaluateAccuracy(saved, val_set, a.threads) : std::nan("");

  Table t({"epoch", "loss", "data_loss", "train_acc", "val_acc", "seconds"});
  for (const auto& s : history) {
    t.addRow({std::to_string(s.epoch) + (s.complete ? "" : "*"), fmt::format("{:.5f}", s.loss),
              fmt::format("{:.5f}", s.data_loss), fmt::format("{:.4f}", s.train_accuracy),
              fmt::format("{:.4f}", s.val_accuracy), fmt::format("{:.1f}", s.seconds)});
  }
  t.print();
  fmt::print("network      {} -> {}\n", net.name, a.output.empty() ? "(not saved)" : a.output);
  fmt::print("epochs       {} of {}{}\n", run.completed_epochs, a.epochs,
             stopped ? " (interrupted)" : "");
  fmt::print("val acc      {:.4f}\ntest acc     {:.4f} ({} samples)\n", val_acc, test_acc,
             test.size());
  fmt::print("time         {:.1f} s training ({:.2f} s/epoch), {:.1f} s in all\n", train_seconds,
             history.empty() ? 0.0 : train_seconds / static_cast<double>(history.size()),
             clock.seconds());
  Table sp({"|w|<=eps", "%weights"});
  nlohmann::json sparsity = nlohmann::json::object();
  for (const double eps : kSparsityEps) {
    const double share = nn::shareOfWeightsAtMost(saved, eps);
    sp.addRow({fmt::format("{:g}", eps), pct(share)});
    sparsity[fmt::format("{:g}", eps)] = share;
  }
  sp.print();

  if (!a.json.empty()) {
    writeJsonFile(a.json, {{"schema", "nnmip.train/1"},
                           {"tool", toolInfo()},
                           {"dataset", a.data.name},
                           {"arch", train::archName(hidden)},
                           {"sizes", net.sizes()},
                           {"bias", !a.no_bias},
                           {"optimizer", train::optimizerName(o.optimizer.kind)},
                           {"lr", o.optimizer.lr},
                           {"momentum", o.optimizer.momentum},
                           {"loss", train::lossName(o.objective.loss)},
                           {"reg", a.reg},
                           {"lambda", a.lambda},
                           {"lambda_scale", train::lambdaScaleName(o.objective.scale)},
                           {"batch", a.batch},
                           {"seed", a.seed},
                           {"threads", a.threads},
                           {"val_fraction", a.val_fraction},
                           {"train_samples", train_set.size()},
                           {"val_samples", val_set.size()},
                           {"test_samples", test.size()},
                           {"epochs_requested", a.epochs},
                           {"epochs_completed", run.completed_epochs},
                           {"interrupted", stopped},
                           {"epochs", history},
                           {"val_accuracy", std::isnan(val_acc) ? nlohmann::json(nullptr)
                                                                : nlohmann::json(val_acc)},
                           {"test_accuracy", test_acc},
                           {"seconds", train_seconds},
                           {"weight_share_abs_at_most", sparsity},
                           {"output", a.output}});
  }
}

struct PruneArgs {
  std::string model;
  std::optional<double> eps;
  std::optional<double> percent;
  std::string sweep;
  std::string scope = "global";
  std::string output;
  std::string json;
  DatasetRequest data;
  bool with_data = false;
  int limit = 0;
  int threads = 2;
  bool as_double = false;
};

std::vector<double> parseList(const std::string& text) {
  std::vector<double> v;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string tok = text.substr(start, comma - start);
    try {
      size_t used = 0;
      v.push_back(std::stod(tok, &used));
      if (used != tok.size() || !std::isfinite(v.back()) || v.back() < 0) {
        throw std::invalid_argument(tok);
      }
    } catch (const std::exception&) {
      fail(ErrorKind::kUsage, "--sweep: '{}' is not a finite number >= 0", tok);
    }
    start = comma + 1;
  }
  return v;
}

void runPrune(const PruneArgs& a, const GlobalOptions& g) {
  const int modes = (a.eps ? 1 : 0) + (a.percent ? 1 : 0) + (a.sweep.empty() ? 0 : 1);
  if (modes != 1) fail(ErrorKind::kUsage, "give exactly one of --eps, --percent, --sweep");
  nn::PruneScope scope = nn::PruneScope::kGlobal;
  if (a.scope == "layer") {
    scope = nn::PruneScope::kLayer;
  } else if (a.scope != "global") {
    fail(ErrorKind::kUsage, "--scope must be layer or global, not '{}'", a.scope);
  }
  const nn::Network original = nn::readOnnx(a.model);
  std::optional<data::Dataset> ds;
  if (a.with_data) {
    DatasetRequest req = a.data;
    req.data_dir = g.data_dir;
    ds = loadDataset(req);
    if (a.limit > 0) ds = ds->head(a.limit);
    train::checkDatasetFits(original, *ds,
                            original.outputSize() == 1 ? train::LossKind::kBinaryCrossEntropy
                                                       : train::LossKind::kSoftmaxCrossEntropy);
  }
  auto acc = [&](const nn::Network& n) {
    return ds ? train::evaluateAccuracy(n, *ds, a.threads) : std::nan("");
  };
  const double acc_before = acc(original);

  if (!a.sweep.empty()) {
    Table t({"eps", "zeroed", "%zero", "accuracy", "delta_acc"});
    nlohmann::json rows = nlohmann::json::array();
    for (const double eps : parseList(a.sweep)) {
      nn::Network net = original;
      const nn::PruneReport r = nn::roundWeights(net, eps);
      const double after = acc(net);
      t.addRow({fmt::format("{:g}", eps), std::to_string(r.zeroed()), pct(r.zeroFraction()),
                fmt::format("{:.4f}", after), fmt::format("{:+.4f}", after - acc_before)});
      rows.push_back({{"eps", eps},
                      {"zeroed", r.zeroed()},
                      {"zero_after", r.zeroAfter()},
                      {"total", r.total()},
                      {"zero_fraction", r.zeroFraction()},
                      {"accuracy", ds ? nlohmann::json(after) : nlohmann::json(nullptr)}});
    }
    fmt::print("network {} ({} weights), accuracy before {:.4f}{}\n", a.model,
               original.weightCount(), acc_before,
               ds ? " on " + a.data.name + " " + a.data.split : "");
    t.print();
    if (!a.json.empty()) {
      writeJsonFile(a.json,
                    {{"schema", "nnmip.prune_sweep/1"},
                     {"tool", toolInfo()},
                     {"model", a.model},
                     {"accuracy_before", ds ? nlohmann::json(acc_before) : nlohmann::json(nullptr)},
                     {"rows", rows}});
    }
    return;
  }

  nn::Network net = original;
  const nn::PruneReport r =
      a.eps ? nn::roundWeights(net, *a.eps) : nn::pruneByPercent(net, *a.percent, scope);
  const double acc_after = acc(net);
  Table t({"layer", "shape", "eps", "weights", "zero_before", "zeroed", "zero_after", "%zero"});
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers) {
    const nn::DenseLayer& layer = net.layer(l.layer);
    t.addRow({std::to_string(l.layer), fmt::format("{}x{}", layer.outputSize(), layer.inputSize()),
              l.eps < 0 ? "-" : fmt::format("{:g}", l.eps), std::to_string(l.total),
              std::to_string(l.zero_before), std::to_string(l.zeroed()),
              std::to_string(l.zero_after), pct(l.zeroFraction())});
    layers.push_back({{"layer", l.layer},
                      {"eps", l.eps},
                      {"total", l.total},
                      {"zero_before", l.zero_before},
                      {"zeroed", l.zeroed()},
                      {"zero_after", l.zero_after}});
  }
  t.addRow({"all", "", "", std::to_string(r.total()), std::to_string(r.zeroBefore()),
            std::to_string(r.zeroed()), std::to_string(r.zeroAfter()), pct(r.zeroFraction())});
  t.print();
  if (ds) {
    fmt::print("accuracy on {} {} ({} samples): before {:.4f}, after {:.4f} ({:+.4f})\n",
               a.data.name, a.data.split, ds->size(), acc_before, acc_after,
               acc_after - acc_before);
  }
  if (!a.output.empty()) {
    nn::writeOnnx(net, a.output,
                  a.as_double ? nn::OnnxPrecision::kDouble : nn::OnnxPrecision::kFloat);
    fmt::print("wrote {}\n", a.output);
  }
  if (!a.json.empty()) {
    writeJsonFile(a.json,
                  {{"schema", "nnmip.prune/1"},
                   {"tool", toolInfo()},
                   {"model", a.model},
                   {"mode", a.eps ? "eps" : "percent"},
                   {"eps", a.eps ? nlohmann::json(*a.eps) : nlohmann::json(nullptr)},
                   {"percent", a.percent ? nlohmann::json(*a.percent) : nlohmann::json(nullptr)},
                   {"scope", a.scope},
                   {"layers", layers},
                   {"zeroed", r.zeroed()},
                   {"zero_fraction", r.zeroFraction()},
                   {"accuracy_before", ds ? nlohmann::json(acc_before) : nlohmann::json(nullptr)},
                   {"accuracy_after", ds ? nlohmann::json(acc_after) : nlohmann::json(nullptr)},
                   {"output", a.output}});
  }
}

}  // namespace

void addTrainCommands(CLI::App& app, GlobalOptions& g) {
  {
    auto* cmd = app.add_subcommand(
        "train", "Train a fully connected ReLU network (Adam/SGD, L1/L2) and save it as ONNX");
    auto a = std::make_shared<TrainArgs>();
    cmd->add_option("--dataset", a->data.name, datasetNamesHelp())->capture_default_str();
    cmd->add_option("--arch", a->arch, "hidden layers: 200x5, 800x2, 3000x1, 25, 64,32")
        ->capture_default_str();
    cmd->add_option("--reg", a->reg, "weight penalty: none | l1 | l2")->capture_default_str();
    cmd->add_option("--lambda", a->lambda, "penalty factor (loss + lambda*sum|W| or sum W^2)")
        ->check(nonNegativeReal())
        ->capture_default_str();
    cmd->add_option("--lambda-scale", a->lambda_scale,
                    "how lambda enters each step, batch of n out of N rows: mean (mean loss + "
                    "lambda*P, Keras' kernel_regularizer) | sum (mean loss + lambda/n*P: the "
                    "penalty against the batch's summed loss) | dataset (mean loss + lambda/N*P)")
        ->capture_default_str();
    cmd->add_option("--epochs", a->epochs, "epochs")
        ->check(intRange(0, 1000000))
        ->capture_default_str();
    cmd->add_option("--batch", a->batch, "mini-batch size")
        ->check(intRange(1, 1 << 24))
        ->capture_default_str();
    cmd->add_option("--lr", a->lr, "learning rate (default 1e-3 for adam, 1e-2 for sgd)")
        ->check(positiveReal());
    cmd->add_option("--momentum", a->momentum, "SGD momentum (0 to 1)")
        ->check(realRange(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--optimizer", a->optimizer, "adam | sgd")->capture_default_str();
    cmd->add_option("--loss", a->loss,
                    "ce (softmax cross-entropy) | bce (binary cross-entropy: 2-class softmax as "
                    "Keras, or one sigmoid output with --single-output)")
        ->capture_default_str();
    cmd->add_flag("--single-output", a->single_output, "one logit (sigmoid) for 2-class data");
    cmd->add_flag("--no-bias", a->no_bias, "layers without bias (Bah & Kurtz baseline)");
    cmd->add_option("--seed", a->seed, "seed of initialisation, shuffles and data splits")
        ->check(seedValue())
        ->capture_default_str();
    cmd->add_option("--val-fraction", a->val_fraction, "share of the training split held out")
        ->check(realRange(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--train-fraction", a->data.train_fraction,
                    "train share of data sets without a fixed split (bcw, wdbc, random)")
        ->check(realRange(0.0, 1.0, /*open_lo=*/true))
        ->capture_default_str();
    cmd->add_option("--train-limit", a->train_limit, "use only the first N training samples")
        ->check(intRange(0, std::numeric_limits<int>::max()));
    cmd->add_option("--threads", a->threads, "threads (results do not depend on it; 1 to 256)")
        ->check(intRange(1, kMaxThreads))
        ->capture_default_str();
    cmd->add_option("-o,--output", a->output, "ONNX file written at the end");
    cmd->add_flag("--double", a->as_double, "store DOUBLE tensors (default FLOAT)");
    cmd->add_option("--json", a->json, "write the metrics as JSON to this file");
    cmd->add_option("--checkpoint", a->checkpoint,
                    "checkpoint written after each epoch (default <output>.ckpt)");
    cmd->add_flag("--resume", a->resume, "continue from the checkpoint when it exists");
    cmd->add_flag("--keep-checkpoint", a->keep_checkpoint,
                  "keep the checkpoint after a complete run (default: delete it)");
    cmd->callback([a, &g] {
      if (a->output.empty() && (a->resume || !a->checkpoint.empty())) {
        fail(ErrorKind::kUsage, "--resume/--checkpoint need -o");
      }
      checkOutputPath(a->output, "-o");
      checkOutputPath(a->json, "--json");
      checkOutputPath(a->checkpoint, "--checkpoint");
      runTrain(*a, g);
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "prune", "Round weights with |w| <= eps to zero (thesis Rounder) or prune p% of them");
    auto a = std::make_shared<PruneArgs>();
    cmd->add_option("model", a->model, "ONNX file")->required();
    cmd->add_option("--eps", a->eps, "zero every weight with |w| <= eps")->check(nonNegativeReal());
    cmd->add_option("--percent", a->percent, "zero this percentage of the weights (0 to 100)")
        ->check(realRange(0.0, 100.0));
    cmd->add_option("--sweep", a->sweep, "table only: comma-separated eps list, e.g. 1e-4,1e-3");
    cmd->add_option("--scope", a->scope, "percent mode: layer | global")->capture_default_str();
    cmd->add_option("-o,--output", a->output, "write the pruned network (ONNX)");
    cmd->add_flag("--double", a->as_double, "store DOUBLE tensors (default FLOAT)");
    cmd->add_option("--json", a->json, "write the report as JSON to this file");
    auto* dopt =
        cmd->add_option("--dataset", a->data.name,
                        std::string("measure accuracy before/after on: ") + datasetNamesHelp());
    cmd->add_option("--split", a->data.split, "train or test")->capture_default_str();
    cmd->add_option("--seed", a->data.seed, "split seed (bcw, wdbc, random)")
        ->check(seedValue())
        ->capture_default_str();
    cmd->add_option("--limit", a->limit, "evaluate only the first N samples")
        ->check(intRange(0, std::numeric_limits<int>::max()));
    cmd->add_option("--threads", a->threads, "threads for the evaluation (1 to 256)")
        ->check(intRange(1, kMaxThreads))
        ->capture_default_str();
    cmd->callback([a, dopt, &g] {
      checkOutputPath(a->output, "-o");
      checkOutputPath(a->json, "--json");
      PruneArgs args = *a;
      args.with_data = dopt->count() > 0;
      runPrune(args, g);
    });
  }
}

}  // namespace nnmip::cli
