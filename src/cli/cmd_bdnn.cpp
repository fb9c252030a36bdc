// nnmip bdnn train|table: binary-activation networks (Bah & Kurtz) trained by MILP or by the
// mountain-climbing heuristic, and the seed's tables (docs/results_bdnn.md).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bdnn/engine.hpp"
#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/robust.hpp"
#include "bdnn/step_net.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "data/csv_io.hpp"
#include "data/synthetic.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::cli {
namespace {

using nlohmann::json;

struct BdnnCommon {
  std::string dataset = "bcw";
  double train_fraction = 0.8;
  double time_limit_s = 120.0;      // each MILP
  double heuristic_time_s = 60.0;   // each heuristic run
  int restarts = 5;
  double margin = 1e-3;
  double lp_margin = 0.05;
  int relu_epochs = 200;
  int relu_batch = 32;
  double relu_lr = 1e-3;
  std::vector<std::string> cbc_opts;  // key=value
};

data::Dataset loadAll(const std::string& name, const GlobalOptions& g) {
  if (name == "bcw") {
    const auto dir = resolveDataDir(g.data_dir);
    if (!dir) fail(ErrorKind::kInvalidInput, "data set bcw: {}", dataDirHint());
    return data::readBreastCancerWisconsin(*dir / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data");
  }
  if (name == "random") return data::makeRandomOverlap(100, 200, 1);
  fail(ErrorKind::kUsage, "--dataset must be bcw or random, not '{}'", name);
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

struct JobSpec {
  std::string kind;       // main | shuffles | robust | train
  std::string dataset;
  std::string method;     // milp | milp-hstart | iterative | heuristic | relu
  std::string threshold;  // learn | zero | neuron
  int hidden = 25;
  uint64_t seed = 1;
  double radius = 0.0;

  std::string label() const {
    if (method == "relu") return "DNN (ReLU)";
    std::string base = threshold == "zero" ? "BDNN0" : threshold == "neuron" ? "BDNN(bias)" : "BDNN";
    if (method == "heuristic") return base + " heur.";
    if (method == "milp-hstart") return base + " MILP+heur.start";
    if (method == "iterative") return base + " iterative";
    if (method == "milp-m0") return base + " margin-0 (seed)";
    if (method == "engine-heur") return base + " engine (heur. start)";
    if (method == "engine-const") return base + " engine (const. start)";
    return base;
  }
  std::string key() const {
    return fmt::format("{}|{}|{}|{}|{}|{}|{}", kind, dataset, method, threshold, hidden, seed, radius);
  }
};

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.1f}", 100.0 * v) : "-"; }

json runJob(const JobSpec& job, const data::Split& split, const BdnnCommon& c, bool quiet,
            const std::string& save_path = {}) {
  Timer timer;
  json row;
  row["kind"] = job.kind;
  row["dataset"] = job.dataset;
  row["method"] = job.method;
  row["label"] = job.label();
  row["threshold"] = job.threshold;
  row["d1"] = job.hidden;
  row["seed"] = job.seed;
  row["radius"] = job.radius;
  row["train_points"] = split.train.size();
  row["test_points"] = split.test.size();
  Callbacks cb;
  if (!quiet) {
    cb.on_log = [&](Level level, std::string_view msg) {
      if (level >= Level::kInfo) logLine(timer, "info", std::string(msg));
    };
  }
  nn::Network net;
  if (job.method == "relu") {
    Rng rng(job.seed);
    net = train::makeMlp(split.train.features(), {job.hidden}, 2, /*bias=*/false, rng);
    train::TrainOptions to;
    to.epochs = c.relu_epochs;
    to.batch_size = c.relu_batch;
    to.seed = job.seed;
    to.optimizer.lr = c.relu_lr;
    to.train_bias = false;
    train::train(net, split.train, nullptr, to);
    row["train_acc"] = train::evaluateAccuracy(net, split.train);
    row["test_acc"] = train::evaluateAccuracy(net, split.test);
    row["recipe"] = fmt::format("makeMlp(in,{{{}}},2,bias=false), softmax CE, Adam lr={}, {} epochs, batch {}",
                                job.hidden, c.relu_lr, c.relu_epochs, c.relu_batch);
    row["wall_s"] = timer.seconds();
    if (!save_path.empty()) bdnn::saveNetwork(net, save_path);
    return row;
  }
  bdnn::BdnnOptions o;
  o.hidden = {job.hidden};
  o.threshold = parseThreshold(job.threshold);
  o.margin = c.margin;
  o.robust_radius = job.radius;
  bdnn::HeuristicOptions ho;
  ho.restarts = c.restarts;
  ho.time_limit_s = c.heuristic_time_s;
  ho.seed = job.seed;
  ho.lp_margin = c.lp_margin;
  row["margin"] = c.margin;
  std::optional<bdnn::BdnnParams> start;
  if (job.method == "engine-heur" || job.method == "engine-const") {
    bdnn::EngineOptions eo;
    eo.time_limit_s = c.time_limit_s;
    eo.start = job.method == "engine-heur" ? bdnn::EngineStart::kHeuristic : bdnn::EngineStart::kConstant;
    eo.heuristic = ho;
    eo.seed = job.seed;
    for (const std::string& kv : c.cbc_opts) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) fail(ErrorKind::kUsage, "--cbc-opt expects key=value, got '{}'", kv);
      eo.backend_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    // The final incumbent check from the current basis (cbc_mip_solver.cpp) keeps the overrun
    // after CBC's own limit short.
    if (!eo.backend_options.count("end_check")) eo.backend_options["end_check"] = "warm";
    row["cbc_opts"] = c.cbc_opts;
    const bdnn::EngineResult r = bdnn::trainEngine(split.train, o, eo, cb);
    net = r.net;
    row["start"] = bdnn::engineStartName(eo.start);
    row["time_limit_s"] = c.time_limit_s;
    row["start_errors"] = r.start_errors;
    row["heuristic_s"] = r.heuristic_s;
    row["lns_rounds"] = r.lns.size();
    int accepted = 0;
    for (const auto& lr : r.lns) accepted += lr.accepted;
    row["lns_accepted"] = accepted;
    row["lns_s"] = r.lns_s;
    row["lns_errors"] = r.lns_errors;
    row["milp_run"] = r.milp_run;
    if (r.milp_run) {
      row["milp_status"] = fmt::format("{}{}", mip::terminationName(r.milp.termination),
                                       r.milp.limit != mip::Limit::kNone ? fmt::format("/{}", mip::limitName(r.milp.limit)) : "");
      row["milp_s"] = r.milp.wall_s;
      row["nodes"] = r.milp.nodes;
      row["milp_objective"] = r.milp.has_solution ? json(r.milp.objective) : json(nullptr);
      row["milp_bound"] = std::isfinite(r.milp.best_bound) ? json(r.milp.best_bound) : json(nullptr);
    }
    row["status"] = r.stopped_by;
    row["objective"] = r.objective;
    row["bound"] = r.bound;
    row["ray_bound"] = r.ray_bound;
    row["gap"] = r.gap;
    row["gap_formula"] = r.gap_formula;
    row["train_errors"] = r.train_eval.errors;
    row["band_points"] = r.train_eval.band_points;
    row["margin_errors"] = r.train_eval.margin_errors;
    row["forward_check_ok"] = r.forward_check_ok;
    row["engine_s"] = r.wall_s;
  } else if (job.method == "milp-m0") {
    // The seed's formulation: margin 0 (non-strict a <= lambda). Not sound: reported with the
    // forward pass of the network it returns next to the MILP's own error count.
    o.margin = 0.0;
    row["margin"] = 0.0;
    row["formulation"] = "margin 0 (seed, non-strict a <= lambda; not a sound model of the step)";
    // Through the engine for its enforced wall clock (the MILP runs in a process that ends at
    // the deadline), with no LNS, no symmetry or ray rows: the seed's MILP as written.
    bdnn::EngineOptions eo;
    eo.time_limit_s = c.time_limit_s;
    eo.start = bdnn::EngineStart::kConstant;
    eo.lns = false;
    eo.symmetry = bdnn::SymmetryRows::kNone;
    eo.ray_rows = false;
    for (const std::string& kv : c.cbc_opts) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) fail(ErrorKind::kUsage, "--cbc-opt expects key=value, got '{}'", kv);
      eo.backend_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!eo.backend_options.count("end_check")) eo.backend_options["end_check"] = "warm";
    row["cbc_opts"] = c.cbc_opts;
    row["start"] = "constant";
    const bdnn::EngineResult er = bdnn::trainEngine(split.train, o, eo, cb);
    const bdnn::ExactResult& r = er.milp;
    row["time_limit_s"] = c.time_limit_s;
    row["engine_s"] = er.wall_s;
    if (!er.milp_run || er.milp_killed) {
      row["status"] = er.milp_killed ? "time (MILP process ended at the deadline)" : er.stopped_by;
      row["bound"] = er.bound;
      row["wall_s"] = timer.seconds();
      return row;
    }
    row["status"] = fmt::format("{}{}", mip::terminationName(r.termination),
                                r.limit != mip::Limit::kNone ? fmt::format("/{}", mip::limitName(r.limit)) : "");
    row["objective"] = r.has_solution ? json(r.objective) : json(nullptr);
    row["bound"] = std::isfinite(r.best_bound) ? json(r.best_bound) : json(nullptr);
    row["gap"] = std::isfinite(r.gap) ? json(r.gap) : json(nullptr);
    row["gap_formula"] = bdnn::kGapFormula;
    row["nodes"] = r.nodes;
    row["milp_s"] = r.wall_s;
    if (!r.has_solution) {
      row["wall_s"] = timer.seconds();
      return row;
    }
    net = r.net;  // the network the MILP returns, whatever its forward pass does
    row["milp_errors"] = r.milp_errors;
    row["train_errors"] = r.train_eval.errors;  // forward pass
    row["forward_check_ok"] = r.forward_check_ok;
  } else if (job.method == "heuristic" || job.method == "milp-hstart") {
    const bdnn::HeuristicResult h = bdnn::trainHeuristic(split.train, o, ho, cb);
    net = h.net;
    start = h.params;
    row["heuristic_s"] = h.wall_s;
    row["lp_solves"] = h.lp_solves;
    row["restart_errors"] = h.restart_errors;
    row["train_errors"] = h.train_eval.errors;
    row["band_points"] = h.train_eval.band_points;
    row["margin_errors"] = h.train_eval.margin_errors;
    row["heuristic_time_limit_s"] = c.heuristic_time_s;
    row["restarts"] = c.restarts;
  }
  if (job.method == "engine-heur" || job.method == "engine-const" || job.method == "milp-m0") {
    // done above
  } else if (job.method == "milp" || job.method == "milp-hstart") {
    bdnn::ExactOptions ex;
    ex.time_limit_s = c.time_limit_s;
    for (const std::string& kv : c.cbc_opts) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) fail(ErrorKind::kUsage, "--cbc-opt expects key=value, got '{}'", kv);
      ex.backend_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!c.cbc_opts.empty()) row["cbc_opts"] = c.cbc_opts;
    // Without a heuristic start, the constant (majority-class) classifier: CBC often finds no
    // incumbent of its own within the limit on the full data sets (docs/results_bdnn.md).
    ex.start = start ? start : bdnn::constantClassifier(split.train, o);
    row["start"] = start ? "heuristic" : "constant";
    const bdnn::ExactResult r = bdnn::trainExact(split.train, o, ex, cb);
    row["time_limit_s"] = c.time_limit_s;
    row["status"] = fmt::format("{}{}", mip::terminationName(r.termination),
                                r.limit != mip::Limit::kNone ? fmt::format("/{}", mip::limitName(r.limit)) : "");
    row["objective"] = r.has_solution ? json(r.objective) : json(nullptr);
    row["bound"] = std::isfinite(r.best_bound) ? json(r.best_bound) : json(nullptr);
    row["gap"] = std::isfinite(r.gap) ? json(r.gap) : json(nullptr);
    row["milp_vars"] = r.vars;
    row["milp_binaries"] = r.binaries;
    row["milp_rows"] = r.rows;
    row["nodes"] = r.nodes;
    row["milp_s"] = r.wall_s;
    if (!r.has_solution) {
      row["wall_s"] = timer.seconds();
      return row;
    }
    net = r.net;
    row["milp_errors"] = r.milp_errors;
    row["train_errors"] = r.train_eval.errors;
    row["band_points"] = r.train_eval.band_points;
    row["margin_errors"] = r.train_eval.margin_errors;
    row["forward_check_ok"] = r.forward_check_ok;
  } else if (job.method == "iterative") {
    bdnn::IterativeOptions it;
    it.time_limit_s = c.time_limit_s;
    it.round_time_limit_s = std::max(10.0, c.time_limit_s / 4.0);
    it.seed = job.seed;
    const bdnn::IterativeResult r = bdnn::trainIterative(split.train, o, it, cb);
    if (r.net.numLayers() == 0) {
      row["status"] = "no solution";
      row["wall_s"] = timer.seconds();
      return row;
    }
    net = r.net;
    row["time_limit_s"] = c.time_limit_s;
    row["rounds"] = r.rounds.size();
    row["subset"] = r.rounds.empty() ? 0 : r.rounds.back().subset_size;
    row["bound"] = r.lower_bound;
    row["converged"] = r.converged;
    row["train_errors"] = r.train_eval.errors;
    row["margin_errors"] = r.train_eval.margin_errors;
    row["status"] = r.converged ? "converged" : "budget";
    const double obj = r.train_eval.margin_errors;
    row["objective"] = obj;
    row["gap"] = obj > 0 ? (obj - std::ceil(r.lower_bound - 1e-6)) / obj : 0.0;
  } else if (job.method != "heuristic") {
    fail(ErrorKind::kUsage, "--method must be milp, milp-hstart, iterative, heuristic, relu, engine-heur, engine-const or milp-m0, not '{}'", job.method);
  }
  const bdnn::Evaluation tr = bdnn::evaluate(net, split.train, o.margin);
  const bdnn::Evaluation te = bdnn::evaluate(net, split.test, o.margin);
  row["train_acc"] = tr.accuracy;
  row["test_acc"] = te.accuracy;
  if (job.kind == "robust" || job.radius > 0.0) {
    bdnn::PerturbationOptions po;
    po.seed = job.seed;
    for (double r : {0.05, 0.1}) {
      const bdnn::PerturbationReport p = bdnn::evaluatePerturbations(net, split.test, r, po);
      json jp;
      jp["clean"] = p.clean_accuracy;
      jp["random"] = p.random_accuracy;
      jp["certified"] = p.certified_accuracy;
      jp["attacked"] = p.attacked_accuracy;
      jp["unknown"] = p.unknown;
      jp["stable"] = p.certified_by_stability;
      row["perturb"][fmt::format("{}", r)] = jp;
    }
  }
  row["wall_s"] = timer.seconds();
  if (!save_path.empty()) {
    json meta = row;
    bdnn::saveNetwork(net, save_path, meta.dump());
  }
  return row;
}

std::vector<json> readRows(const std::string& path) {
  std::vector<json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      rows.push_back(json::parse(line));
    } catch (const json::exception&) {
      // A half-written last line from an interrupted run: ignored (the job is redone).
    }
  }
  return rows;
}

const std::vector<std::string> kCsvColumns = {
    "kind", "dataset", "label", "method", "threshold", "d1", "seed", "radius", "train_acc", "test_acc",
    "objective", "bound", "gap", "status", "train_errors", "margin_errors", "band_points", "wall_s"};

std::string csvCell(const json& row, const std::string& col) {
  if (!row.contains(col) || row[col].is_null()) return "";
  const json& v = row[col];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

void appendRow(const std::string& stem, const json& row) {
  {
    std::ofstream out(stem + ".jsonl", std::ios::app);
    out << row.dump() << "\n";
  }
  const std::string csv = stem + ".csv";
  const bool fresh = !std::filesystem::exists(csv);
  std::ofstream out(csv, std::ios::app);
  if (fresh) {
    for (size_t i = 0; i < kCsvColumns.size(); ++i) out << (i ? "," : "") << kCsvColumns[i];
    out << "\n";
  }
  for (size_t i = 0; i < kCsvColumns.size(); ++i) out << (i ? "," : "") << csvCell(row, kCsvColumns[i]);
  out << "\n";
}

double num(const json& row, const char* key) {
  return row.contains(key) && row[key].is_number() ? row[key].get<double>() : NAN;
}

void printTables(const std::string& kind, const std::vector<json>& rows) {
  if (kind == "main") {
    Table t({"<Method", "d1", "Acc. (%)", "Train acc. (%)", "Opt. gap (%)", "<status", "time (s)"});
    for (const json& r : rows) {
      t.addRow({r.value("label", ""), fmt::format("{}", r.value("d1", 0)), pct(num(r, "test_acc")),
                pct(num(r, "train_acc")), r.value("method", "") == "relu" ? "-" : pct(num(r, "gap")),
                r.value("status", r.value("method", "") == "heuristic" ? "heuristic" : "-"),
                fmt::format("{:.1f}", num(r, "wall_s"))});
    }
    t.print();
  } else if (kind == "shuffles") {
    std::map<std::pair<std::string, int>, std::vector<double>> acc;
    for (const json& r : rows) acc[{r.value("label", ""), r.value("d1", 0)}].push_back(num(r, "test_acc"));
    Table t({"<Method", "d1", "shuffles", "Avg. (%)", "Max (%)", "Min (%)"});
    for (const auto& [key, v] : acc) {
      double sum = 0;
      for (double a : v) sum += a;
      t.addRow({key.first, fmt::format("{}", key.second), fmt::format("{}", v.size()), pct(sum / v.size()),
                pct(*std::max_element(v.begin(), v.end())), pct(*std::min_element(v.begin(), v.end()))});
    }
    t.print();
  } else {
    Table t({"<Method", "train r", "d1", "clean (%)", "r", "random (%)", "certified (%)", "attacked (%)",
             "unknown", "<status"});
    for (const json& r : rows) {
      if (!r.contains("perturb")) continue;
      for (const auto& [rad, p] : r["perturb"].items()) {
        t.addRow({r.value("label", ""), fmt::format("{}", num(r, "radius")), fmt::format("{}", r.value("d1", 0)),
                  pct(p.value("clean", NAN)), rad, pct(p.value("random", NAN)), pct(p.value("certified", NAN)),
                  pct(p.value("attacked", NAN)), fmt::format("{}", p.value("unknown", 0)),
                  r.value("status", r.value("method", ""))});
      }
    }
    t.print();
  }
}

// Usage errors in the common options (exit 2, one line).
void checkCommon(const BdnnCommon& c) {
  if (!(c.heuristic_time_s > 0.0)) {
    fail(ErrorKind::kUsage, "--heuristic-time must be positive, got {}", c.heuristic_time_s);
  }
}

void addCommon(CLI::App* cmd, BdnnCommon& c) {
  cmd->add_option("--dataset", c.dataset, "bcw | random (Bah & Kurtz synthetic, N=100, m=200)");
  cmd->add_option("--train-fraction", c.train_fraction, "train share of the shuffled data (default 0.8)");
  addTimeLimitOption(*cmd, c.time_limit_s, "seconds per MILP, or for the whole engine (wall clock)");
  cmd->add_option("--heuristic-time", c.heuristic_time_s, "seconds per heuristic run");
  cmd->add_option("--restarts", c.restarts, "heuristic restarts");
  cmd->add_option("--margin", c.margin, "step margin: the MILP excludes |a - lambda| < margin/2");
  cmd->add_option("--lp-margin", c.lp_margin, "margin of the heuristic's LPs");
  cmd->add_option("--relu-epochs", c.relu_epochs, "ReLU baseline epochs");
  cmd->add_option("--cbc-opt", c.cbc_opts, "CBC backend option key=value (e.g. cuts=off), repeatable");
}

}  // namespace

void addBdnnCommands(CLI::App& app, GlobalOptions& g) {
  CLI::App* bdnn_cmd = app.add_subcommand("bdnn", "binary-activation networks (Bah & Kurtz): MILP / heuristic");
  bdnn_cmd->require_subcommand(1);

  // nnmip bdnn train
  {
    auto c = std::make_shared<BdnnCommon>();
    auto job = std::make_shared<JobSpec>();
    auto out = std::make_shared<std::string>();
    auto json_out = std::make_shared<std::string>();
    auto weights = std::make_shared<std::string>("continuous");
    job->kind = "train";
    job->method = "milp";
    job->threshold = "learn";
    CLI::App* cmd = bdnn_cmd->add_subcommand("train", "train one step network and report its accuracy");
    addCommon(cmd, *c);
    cmd->add_option("--hidden", job->hidden, "hidden units d1");
    cmd->add_option("--method", job->method,
                    "milp | milp-hstart | iterative | heuristic | relu | engine-heur | engine-const | milp-m0");
    cmd->add_option("--threshold", job->threshold, "learn (per layer, BDNN) | zero (BDNN0) | neuron");
    cmd->add_option("--robust-radius", job->radius, "train robustly against ||delta||_inf <= r");
    cmd->add_option("--seed", job->seed, "shuffle/split and heuristic seed");
    cmd->add_option("--weights", *weights, "continuous | pm1 | 01 | ternary (MILP only)");
    cmd->add_option("-o,--output", *out, "save the network (.onnx: ONNX Less+Where step; else JSON)");
    cmd->add_option("--json", *json_out, "write the result row as JSON");
    cmd->callback([c, job, out, json_out, weights, &g] {
      checkCommon(*c);
      job->dataset = c->dataset;
      const data::Dataset all = loadAll(c->dataset, g);
      const data::Split split = data::shuffleSplit(all, c->train_fraction, job->seed);
      if (*weights != "continuous") {
        // Weight domains other than [-1, 1] go straight to the MILP.
        bdnn::BdnnOptions o;
        o.hidden = {job->hidden};
        o.threshold = parseThreshold(job->threshold);
        o.weights = parseWeights(*weights);
        o.margin = c->margin;
        o.robust_radius = job->radius;
        const bdnn::ExactResult r = bdnn::trainExact(split.train, o, bdnn::exactWithLimit(c->time_limit_s));
        if (!r.has_solution) fail(ErrorKind::kSolver, "no solution within {} s", c->time_limit_s);
        fmt::print("status {}  objective {}  bound {}  gap {}  train acc {}%  test acc {}%\n",
                   mip::terminationName(r.termination), r.objective, r.best_bound, pct(r.gap),
                   pct(r.train_eval.accuracy), pct(bdnn::evaluate(r.net, split.test, c->margin).accuracy));
        if (!out->empty()) bdnn::saveNetwork(r.net, *out);
        return;
      }
      const json row = runJob(*job, split, *c, g.verbosity == 0, *out);
      Table t({"<field", "<value"});
      for (const auto& [k, v] : row.items()) t.addRow({k, v.is_string() ? v.get<std::string>() : v.dump()});
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
    cmd->add_option("--shuffles", *shuffles, "number of shuffles (kind shuffles)");
    cmd->add_option("--seed", *seed, "split seed (kinds main and robust); shuffles use 1..N");
    cmd->add_option("--hidden", *widths, "hidden widths (default 25 50; shuffles/robust use the first)");
    cmd->add_option("--methods", *methods,
                    "subset of: milp milp0 heur heur0 relu milp-hstart milp0-hstart iterative seed seed0 "
                    "engine engine0 engine-const engine0-const");
    cmd->add_option("--radii", *radii, "training radii (kind robust)");
    cmd->add_option("--out", *stem, "results stem: <stem>.csv and <stem>.jsonl (default results/bdnn_<dataset>_<kind>)");
    cmd->callback([c, kind, shuffles, seed, stem, methods, widths, radii, &g] {
      checkCommon(*c);
      if (*kind != "main" && *kind != "shuffles" && *kind != "robust") {
        fail(ErrorKind::kUsage, "--kind must be main, shuffles or robust");
      }
      if (stem->empty()) *stem = fmt::format("results/bdnn_{}_{}", c->dataset, *kind);
      const auto parent = std::filesystem::path(*stem).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
      std::vector<std::string> ms = *methods;
      if (ms.empty()) {
        if (*kind == "main") ms = {"milp", "milp0", "heur", "heur0", "relu"};
        if (*kind == "shuffles") ms = {"heur", "relu"};
        if (*kind == "robust") ms = {"heur"};
      }
      std::vector<JobSpec> jobs;
      auto make = [&](const std::string& m, int d1, uint64_t s, double r) {
        JobSpec j;
        j.kind = *kind;
        j.dataset = c->dataset;
        j.hidden = d1;
        j.seed = s;
        j.radius = r;
        j.threshold = m.find('0') != std::string::npos ? "zero" : "learn";
        if (m == "relu") {
          j.method = "relu";
          j.threshold = "-";
        } else if (m.rfind("heur", 0) == 0) {
          j.method = "heuristic";
        } else if (m.find("hstart") != std::string::npos) {
          j.method = "milp-hstart";
        } else if (m == "iterative") {
          j.method = "iterative";
        } else if (m == "seed" || m == "seed0") {
          j.method = "milp-m0";
        } else if (m == "engine" || m == "engine0") {
          j.method = "engine-heur";
        } else if (m == "engine-const" || m == "engine0-const") {
          j.method = "engine-const";
        } else if (m == "milp" || m == "milp0") {
          j.method = "milp";
        } else {
          fail(ErrorKind::kUsage, "unknown method '{}'", m);
        }
        jobs.push_back(j);
      };
      if (*kind == "main") {
        for (int d1 : *widths) for (const auto& m : ms) make(m, d1, *seed, 0.0);
      } else if (*kind == "shuffles") {
        for (int s = 1; s <= *shuffles; ++s) for (const auto& m : ms) make(m, widths->front(), static_cast<uint64_t>(s), 0.0);
      } else {
        for (double r : *radii) for (const auto& m : ms) {
          if (m == "relu" && r > 0.0) continue;
          make(m, widths->front(), *seed, r);
        }
      }
      std::vector<json> done = readRows(*stem + ".jsonl");
      std::set<std::string> finished;
      for (const json& r : done) finished.insert(r.value("key", ""));
      const data::Dataset all = loadAll(c->dataset, g);
      Timer clock;
      int idx = 0;
      for (const JobSpec& j : jobs) {
        ++idx;
        if (finished.count(j.key())) {
          if (g.verbosity > 0) std::fprintf(stderr, "[bdnn table] %d/%zu %s d1=%d seed=%llu r=%g: done earlier, skipped\n",
                                            idx, jobs.size(), j.label().c_str(), j.hidden,
                                            static_cast<unsigned long long>(j.seed), j.radius);
          continue;
        }
        if (g.verbosity > 0) std::fprintf(stderr, "[bdnn table] %d/%zu %s d1=%d seed=%llu r=%g: running (elapsed %.0f s)\n",
                                          idx, jobs.size(), j.label().c_str(), j.hidden,
                                          static_cast<unsigned long long>(j.seed), j.radius, clock.seconds());
        const data::Split split = data::shuffleSplit(all, c->train_fraction, j.seed);
        json row = runJob(j, split, *c, g.verbosity < 2);
        row["key"] = j.key();
        appendRow(*stem, row);
        done.push_back(row);
        if (g.verbosity > 0) std::fprintf(stderr, "[bdnn table] %d/%zu %s: test acc %s%%, gap %s%%, %.1f s\n", idx,
                                          jobs.size(), j.label().c_str(), pct(num(row, "test_acc")).c_str(),
                                          pct(num(row, "gap")).c_str(), num(row, "wall_s"));
      }
      std::vector<json> mine;
      std::set<std::string> keys;
      for (const JobSpec& j : jobs) keys.insert(j.key());
      for (const json& r : done) {
        if (keys.count(r.value("key", ""))) mine.push_back(r);
      }
      printTables(*kind, mine);
    });
  }
}

}  // namespace nnmip::cli
