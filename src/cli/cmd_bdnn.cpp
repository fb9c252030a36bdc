// nnmip bdnn train|table: binary-activation networks (Bah & Kurtz) trained by MILP, the
// mountain-climbing heuristic or the primal engine, and the seed's tables (docs/results_bdnn.md).
// Argument parsing and printing only: jobs, results and resume live in
// experiments/bdnn_campaign.hpp and experiments/job_store.hpp.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/step_net.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/timer.hpp"
#include "data/csv_io.hpp"
#include "data/synthetic.hpp"
#include "experiments/bdnn_campaign.hpp"

namespace nnmip::cli {
namespace {

using nlohmann::json;

struct BdnnCommon {
  std::string dataset = "bcw";
  experiments::BdnnSettings settings;  // the options bind to its fields
};

data::Dataset loadAll(const std::string& name, const GlobalOptions& g) {
  if (name == "bcw") {
    const auto dir = resolveDataDir(g.data_dir);
    if (!dir) fail(ErrorKind::kInvalidInput, "data set bcw: {}", dataDirHint());
    return data::readBreastCancerWisconsin(*dir / "breast_cancer_wisconsin" /
                                           "breast-cancer-wisconsin.data");
  }
  if (name == "random") return data::makeRandomOverlap(100, 200, 1);
  fail(ErrorKind::kUsage, "--dataset must be bcw or random, not '{}'", name);
}

// The settings with the CBC options parsed from their key=value text.
experiments::BdnnSettings toSettings(const BdnnCommon& c) {
  experiments::BdnnSettings s = c.settings;
  s.backend_options = parseKeyValues(s.backend_options_text, "--cbc-opt");
  return s;
}

// Log lines of a job at -vv, as `logLine` prints them.
Callbacks jobCallbacks(const Timer& timer, bool quiet) {
  Callbacks cb;
  if (!quiet) {
    cb.on_log = [&timer](Level level, std::string_view msg) {
      if (level >= Level::kInfo) logLine(timer, "info", std::string(msg));
    };
  }
  return cb;
}

bdnn::ThresholdMode parseThreshold(const std::string& s) {
  if (s == "learn" || s == "layer") return bdnn::ThresholdMode::kLayer;
  if (s == "zero") return bdnn::ThresholdMode::kZero;
  if (s == "neuron") return bdnn::ThresholdMode::kNeuron;
  fail(ErrorKind::kUsage, "--threshold must be learn, zero or neuron, not '{}'", s);
}

bdnn::WeightDomain parseWeights(const std::string& s) {
  if (s == "continuous") return bdnn::WeightDomain::kContinuous;
  if (s == "pm1") return bdnn::WeightDomain::kBinaryPm1;
  if (s == "01") return bdnn::WeightDomain::kBinary01;
  if (s == "ternary") return bdnn::WeightDomain::kTernary;
  fail(ErrorKind::kUsage, "--weights must be continuous, pm1, 01 or ternary, not '{}'", s);
}

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.1f}", 100.0 * v) : "-"; }

double num(const json& row, const char* key) {
  return row.contains(key) && row[key].is_number() ? row[key].get<double>() : NAN;
}

void printTables(const std::string& kind, const std::vector<json>& rows) {
  if (kind == "main") {
    Table t({"<Method", "d1", "Acc. (%)", "Train acc. (%)", "Opt. gap (%)", "<status", "time (s)"});
    for (const json& r : rows) {
      t.addRow({r.value("label", ""), fmt::format("{}", r.value("d1", 0)), pct(num(r, "test_acc")),
                pct(num(r, "train_acc")),
                r.value("method", "") == "relu" ? "-" : pct(num(r, "gap")),
                r.value("status", r.value("method", "") == "heuristic" ? "heuristic" : "-"),
                fmt::format("{:.1f}", num(r, "wall_s"))});
    }
    t.print();
  } else if (kind == "shuffles") {
    std::map<std::pair<std::string, int>, std::vector<double>> acc;
    for (const json& r : rows)
      acc[{r.value("label", ""), r.value("d1", 0)}].push_back(num(r, "test_acc"));
    Table t({"<Method", "d1", "shuffles", "Avg. (%)", "Max (%)", "Min (%)"});
    for (const auto& [key, v] : acc) {
      double sum = 0;
      for (double a : v) sum += a;
      t.addRow({key.first, fmt::format("{}", key.second), fmt::format("{}", v.size()),
                pct(sum / v.size()), pct(*std::max_element(v.begin(), v.end())),
                pct(*std::min_element(v.begin(), v.end()))});
    }
    t.print();
  } else {
    Table t({"<Method", "train r", "d1", "clean (%)", "r", "random (%)", "certified (%)",
             "attacked (%)", "unknown", "<status"});
    for (const json& r : rows) {
      if (!r.contains("perturb")) continue;
      for (const auto& [rad, p] : r["perturb"].items()) {
        t.addRow({r.value("label", ""), fmt::format("{}", num(r, "radius")),
                  fmt::format("{}", r.value("d1", 0)), pct(p.value("clean", NAN)), rad,
                  pct(p.value("random", NAN)), pct(p.value("certified", NAN)),
                  pct(p.value("attacked", NAN)), fmt::format("{}", p.value("unknown", 0)),
                  r.value("status", r.value("method", ""))});
      }
    }
    t.print();
  }
}

constexpr long long kMaxHidden = 100000;
constexpr long long kMaxRoundWork = 1000000000;

// The training MILP of a step network with `hidden` units: per training point and unit a row
// over the features and a few linearisation rows, each nonzero about 100 bytes in CBC/CLP with
// their copies. Checked before the data are split and the model is built.
void checkModelSize(int hidden, const data::Dataset& all, double train_fraction) {
  const double points = train_fraction * all.size();
  const double nonzeros = static_cast<double>(hidden) * points * (all.features() + 8.0);
  checkMemoryEstimate(100.0 * nonzeros, ErrorKind::kUsage,
                      fmt::format("--hidden {} on {} training points", hidden, points));
}

// Usage errors in the common options (exit 2, one line).
void checkCommon(const BdnnCommon& c) {
  if (!(c.settings.heuristic_time_s > 0.0)) {
    fail(ErrorKind::kUsage, "--heuristic-time must be positive, got {}",
         c.settings.heuristic_time_s);
  }
}

void addCommon(CLI::App* cmd, BdnnCommon& c) {
  cmd->add_option("--dataset", c.dataset, "bcw | random (Bah & Kurtz synthetic, N=100, m=200)");
  cmd->add_option("--train-fraction", c.settings.train_fraction,
                  "train share of the shuffled data (default 0.8)")
      ->check(realRange(0.0, 1.0, /*open_lo=*/true));
  addTimeLimitOption(*cmd, c.settings.time_limit_s,
                     "seconds per MILP, or for the whole engine (wall clock)");
  cmd->add_option("--heuristic-time", c.settings.heuristic_time_s, "seconds per heuristic run")
      ->check(positiveReal(kMaxSeconds));
  cmd->add_option("--restarts", c.settings.restarts, "heuristic restarts (1 to 10000)")
      ->check(intRange(1, 10000));
  cmd->add_option("--margin", c.settings.margin,
                  "step margin: the MILP excludes |a - lambda| < margin/2")
      ->check(nonNegativeReal());
  cmd->add_option("--lp-margin", c.settings.lp_margin, "margin of the heuristic's LPs")
      ->check(nonNegativeReal());
  cmd->add_option("--relu-epochs", c.settings.relu_epochs, "ReLU baseline epochs")
      ->check(intRange(0, 1000000));
  cmd->add_option("--cbc-opt", c.settings.backend_options_text,
                  "CBC backend option key=value (e.g. cuts=off), repeatable");
  // The engine's rounds are limited by work, not wall clock (bdnn/engine.hpp).
  cmd->add_option("--repair-nodes", c.settings.repair_round_nodes,
                  "engine: CBC nodes per repair round")
      ->check(intRange(0, kMaxRoundWork));
  cmd->add_option("--repair-iterations", c.settings.repair_round_iterations,
                  "engine: LP iterations per repair round")
      ->check(intRange(0, kMaxRoundWork));
  cmd->add_option("--lns-nodes", c.settings.lns_round_nodes, "engine: CBC nodes per LNS round")
      ->check(intRange(0, kMaxRoundWork));
  cmd->add_option("--lns-iterations", c.settings.lns_round_iterations,
                  "engine: LP iterations per LNS round")
      ->check(intRange(0, kMaxRoundWork));
}

}  // namespace

void addBdnnCommands(CLI::App& app, GlobalOptions& g) {
  CLI::App* bdnn_cmd =
      app.add_subcommand("bdnn", "binary-activation networks (Bah & Kurtz): MILP / heuristic");
  bdnn_cmd->require_subcommand(1);

  // nnmip bdnn train
  {
    auto c = std::make_shared<BdnnCommon>();
    auto hidden = std::make_shared<int>(25);
    auto method = std::make_shared<std::string>("milp");
    auto threshold = std::make_shared<std::string>("learn");
    auto radius = std::make_shared<double>(0.0);
    auto seed = std::make_shared<uint64_t>(1);
    auto out = std::make_shared<std::string>();
    auto json_out = std::make_shared<std::string>();
    auto weights = std::make_shared<std::string>("continuous");
    CLI::App* cmd =
        bdnn_cmd->add_subcommand("train", "train one step network and report its accuracy");
    addCommon(cmd, *c);
    cmd->add_option("--hidden", *hidden, "hidden units d1 (1 to 100000)")
        ->check(intRange(1, kMaxHidden));
    cmd->add_option(
        "--method", *method,
        "milp | milp-hstart | iterative | heuristic | relu | engine-heur | engine-const | milp-m0");
    cmd->add_option("--threshold", *threshold, "learn (per layer, BDNN) | zero (BDNN0) | neuron");
    cmd->add_option("--robust-radius", *radius,
                    "train robustly against ||delta||_inf <= r (0 to 1; features lie in [0, 1])")
        ->check(realRange(0.0, 1.0));
    cmd->add_option("--seed", *seed, "shuffle/split and heuristic seed")->check(seedValue());
    cmd->add_option("--weights", *weights, "continuous | pm1 | 01 | ternary (MILP only)");
    cmd->add_option("-o,--output", *out,
                    "save the network (.onnx: ONNX Less+Where step; else JSON)");
    cmd->add_option("--json", *json_out, "write the result row as JSON");
    cmd->callback([c, hidden, method, threshold, radius, seed, out, json_out, weights, &g] {
      checkCommon(*c);
      checkOutputPath(*out, "-o");
      checkOutputPath(*json_out, "--json");
      experiments::BdnnJob job;
      job.kind = experiments::BdnnTableKind::kTrain;
      job.dataset = c->dataset;
      job.hidden = *hidden;
      job.seed = *seed;
      job.radius = *radius;
      job.threshold = parseThreshold(*threshold);
      const auto m = experiments::parseBdnnMethod(*method);
      if (!m) {
        fail(ErrorKind::kUsage,
             "--method must be milp, milp-hstart, iterative, heuristic, relu, engine-heur, "
             "engine-const or "
             "milp-m0, not '{}'",
             *method);
      }
      job.method = *m;
      const experiments::BdnnSettings settings = toSettings(*c);
      const data::Dataset all = loadAll(c->dataset, g);
      checkModelSize(*hidden, all, c->settings.train_fraction);
      const data::Split split = data::shuffleSplit(all, c->settings.train_fraction, job.seed);
      if (*weights != "continuous") {
        // Weight domains other than [-1, 1] go straight to the MILP.
        bdnn::BdnnOptions o;
        o.hidden = {job.hidden};
        o.threshold = job.threshold;
        o.weights = parseWeights(*weights);
        o.margin = c->settings.margin;
        o.robust_radius = job.radius;
        const bdnn::ExactResult r =
            bdnn::trainExact(split.train, o, bdnn::exactWithLimit(c->settings.time_limit_s));
        if (!r.has_solution)
          fail(ErrorKind::kSolver, "no solution within {} s", c->settings.time_limit_s);
        fmt::print("status {}  objective {}  bound {}  gap {}  train acc {}%  test acc {}%\n",
                   mip::terminationName(r.termination), r.objective, r.best_bound, pct(r.gap),
                   pct(r.train_eval.accuracy),
                   pct(bdnn::evaluate(r.net, split.test, c->settings.margin).accuracy));
        if (!out->empty()) bdnn::saveNetwork(r.net, *out);
        return;
      }
      Timer timer;
      const json row = to_json(experiments::runBdnnJob(
          job, split, settings, jobCallbacks(timer, g.verbosity == 0), *out));
      Table t({"<field", "<value"});
      for (const auto& [k, v] : row.items())
        t.addRow({k, v.is_string() ? v.get<std::string>() : v.dump()});
      t.print();
      if (!json_out->empty()) writeJsonFile(*json_out, row);
    });
  }

  // nnmip bdnn table
  {
    auto c = std::make_shared<BdnnCommon>();
    auto kind = std::make_shared<std::string>("main");
    auto shuffles = std::make_shared<int>(10);
    auto seed = std::make_shared<uint64_t>(1);
    auto stem = std::make_shared<std::string>();
    auto methods = std::make_shared<std::vector<std::string>>();
    auto widths = std::make_shared<std::vector<int>>(std::vector<int>{25, 50});
    auto radii = std::make_shared<std::vector<double>>(std::vector<double>{0.0, 0.05, 0.1});
    CLI::App* cmd = bdnn_cmd->add_subcommand("table", "reproduce the seed's tables (resumable)");
    addCommon(cmd, *c);
    cmd->add_option("--kind", *kind, "main (d1 = 25, 50) | shuffles | robust");
    cmd->add_option("--shuffles", *shuffles, "number of shuffles (kind shuffles)")
        ->check(intRange(1, 10000));
    cmd->add_option("--seed", *seed, "split seed (kinds main and robust); shuffles use 1..N")
        ->check(seedValue());
    cmd->add_option("--hidden", *widths,
                    "hidden widths (default 25 50; shuffles/robust use the first; 1 to 100000)")
        ->check(intRange(1, kMaxHidden));
    cmd->add_option(
        "--methods", *methods,
        "subset of: milp milp0 heur heur0 relu milp-hstart milp0-hstart iterative seed seed0 "
        "engine engine0 engine-const engine0-const");
    cmd->add_option("--radii", *radii, "training radii (kind robust; 0 to 1)")
        ->check(realRange(0.0, 1.0));
    cmd->add_option(
        "--out", *stem,
        "results stem: <stem>.csv and <stem>.jsonl (default results/bdnn_<dataset>_<kind>)");
    cmd->callback([c, kind, shuffles, seed, stem, methods, widths, radii, &g] {
      checkCommon(*c);
      experiments::BdnnTableKind k = experiments::BdnnTableKind::kMain;
      if (*kind == "shuffles") {
        k = experiments::BdnnTableKind::kShuffles;
      } else if (*kind == "robust") {
        k = experiments::BdnnTableKind::kRobust;
      } else if (*kind != "main") {
        fail(ErrorKind::kUsage, "--kind must be main, shuffles or robust");
      }
      if (widths->empty()) fail(ErrorKind::kUsage, "--hidden needs at least one width");
      if (stem->empty()) *stem = fmt::format("results/bdnn_{}_{}", c->dataset, *kind);
      std::vector<std::string> ms = *methods;
      if (ms.empty()) {
        if (k == experiments::BdnnTableKind::kMain) ms = {"milp", "milp0", "heur", "heur0", "relu"};
        if (k == experiments::BdnnTableKind::kShuffles) ms = {"heur", "relu"};
        if (k == experiments::BdnnTableKind::kRobust) ms = {"heur"};
      }
      const std::vector<experiments::BdnnJob> jobs =
          experiments::bdnnTableJobs(k, c->dataset, ms, *widths, *seed, *shuffles, *radii);
      const experiments::BdnnSettings settings = toSettings(*c);
      const data::Dataset all = loadAll(c->dataset, g);
      for (int w : *widths) checkModelSize(w, all, c->settings.train_fraction);
      Timer timer;
      Callbacks progress;
      if (g.verbosity > 0) {
        progress.on_log = [](Level, std::string_view msg) {
          std::fprintf(stderr, "[bdnn table] %.*s\n", static_cast<int>(msg.size()), msg.data());
        };
      }
      const std::vector<json> rows = experiments::runBdnnTable(
          jobs, all, settings, *stem, progress, jobCallbacks(timer, g.verbosity < 2));
      printTables(*kind, rows);
    });
  }
}

}  // namespace nnmip::cli
