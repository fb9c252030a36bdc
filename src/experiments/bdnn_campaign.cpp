#include "experiments/bdnn_campaign.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "bdnn/engine.hpp"
#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/robust.hpp"
#include "bdnn/step_net.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_number.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "experiments/job_store.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {

namespace {

// The forward-pass evaluation of the training set in a row.
void setTrainEvaluation(BdnnJobResult& row, const bdnn::Evaluation& e) {
  row.train_errors = e.errors;
  row.band_points = e.band_points;
  row.margin_errors = e.margin_errors;
}

constexpr std::pair<BdnnMethod, const char*> kMethodNames[] = {
    {BdnnMethod::kMilp, "milp"},
    {BdnnMethod::kMilpHeurStart, "milp-hstart"},
    {BdnnMethod::kIterative, "iterative"},
    {BdnnMethod::kHeuristic, "heuristic"},
    {BdnnMethod::kRelu, "relu"},
    {BdnnMethod::kMilpMarginZero, "milp-m0"},
    {BdnnMethod::kEngineHeur, "engine-heur"},
    {BdnnMethod::kEngineConst, "engine-const"},
};

const char* thresholdText(bdnn::ThresholdMode mode) {
  switch (mode) {
    case bdnn::ThresholdMode::kZero: return "zero";
    case bdnn::ThresholdMode::kNeuron: return "neuron";
    case bdnn::ThresholdMode::kLayer: return "learn";
  }
  return "learn";
}

std::string statusText(mip::Termination t, mip::Limit l) {
  return fmt::format("{}{}", mip::terminationName(t),
                     l != mip::Limit::kNone ? fmt::format("/{}", mip::limitName(l)) : "");
}

// What every MILP row reports of the solve: status, objective (NaN without a solution), bound,
// gap, nodes and time; with a solution also its MILP errors and the forward-pass check.
void setMilpAnswer(BdnnJobResult& row, const bdnn::ExactResult& r) {
  row.status = statusText(r.termination, r.limit);
  row.objective = r.has_solution ? r.objective : NAN;
  row.bound = r.best_bound;
  row.gap = r.gap;
  row.nodes = r.nodes;
  row.milp_s = r.wall_s;
  if (!r.has_solution) return;
  row.milp_errors = r.milp_errors;
  row.forward_check_ok = r.forward_check_ok;
}

bool isEngine(BdnnMethod m) {
  return m == BdnnMethod::kEngineHeur || m == BdnnMethod::kEngineConst ||
         m == BdnnMethod::kMilpMarginZero;
}

// Engine rows: heuristic/LNS/full MILP under one enforced wall clock (bdnn/engine.hpp). Margin 0
// (the seed's formulation) goes through the engine with no LNS, symmetry or ray rows, for the
// same enforced clock; its row reports the network the MILP returns.
void runEngineJob(const BdnnJob& job, const data::Split& split, const BdnnSettings& s,
                  bdnn::BdnnOptions& o, const bdnn::HeuristicOptions& ho, const Callbacks& cb,
                  BdnnJobResult& row, nn::Network& net) {
  bdnn::EngineOptions eo;
  eo.time_limit_s = s.time_limit_s;
  eo.heuristic = ho;
  eo.seed = job.seed;
  eo.backend_options = s.backend_options;
  if (s.repair_round_nodes) eo.repair_round_nodes = *s.repair_round_nodes;
  if (s.lns_round_nodes) eo.lns_round_nodes = *s.lns_round_nodes;
  if (s.repair_round_iterations) eo.repair_round_iterations = *s.repair_round_iterations;
  if (s.lns_round_iterations) eo.lns_round_iterations = *s.lns_round_iterations;
  // The final incumbent check from the current basis keeps CBC's overrun short.
  if (!eo.backend_options.count("end_check")) eo.backend_options["end_check"] = "warm";
  row.cbc_opts = s.backend_options_text;
  row.time_limit_s = s.time_limit_s;
  if (job.method == BdnnMethod::kMilpMarginZero) {
    o.margin = 0.0;
    row.margin = 0.0;
    row.formulation = "margin 0 (seed, non-strict a <= lambda; not a sound model of the step)";
    eo.start = bdnn::EngineStart::kConstant;
    eo.lns = false;
    eo.symmetry = bdnn::SymmetryRows::kNone;
    eo.ray_rows = false;
    row.start = "constant";
    const bdnn::EngineResult er = bdnn::trainEngine(split.train, o, eo, cb);
    const bdnn::ExactResult& r = er.milp;
    row.engine_s = er.wall_s;
    if (!er.milp_run || er.milp_killed) {
      row.status = er.milp_killed ? "time (MILP process ended at the deadline)" : er.stopped_by;
      row.bound = er.bound;
      return;
    }
    setMilpAnswer(row, r);
    row.gap_formula = bdnn::kGapFormula;
    if (!r.has_solution) return;
    net = r.net;  // the network the MILP returns, whatever its forward pass does
    row.train_errors = r.train_eval.errors;
    return;
  }
  eo.start = job.method == BdnnMethod::kEngineHeur ? bdnn::EngineStart::kHeuristic
                                                   : bdnn::EngineStart::kConstant;
  const bdnn::EngineResult r = bdnn::trainEngine(split.train, o, eo, cb);
  net = r.net;
  row.start = bdnn::engineStartName(eo.start);
  row.start_errors = r.start_errors;
  row.heuristic_s = r.heuristic_s;
  row.heuristic_time_limit_s = ho.time_limit_s;
  row.repair_round_nodes = eo.repair_round_nodes;
  row.lns_round_nodes = eo.lns_round_nodes;
  row.repair_round_iterations = eo.repair_round_iterations;
  row.lns_round_iterations = eo.lns_round_iterations;
  int rounds[2] = {0, 0}, accepted[2] = {0, 0};  // [0]: LNS, [1]: repair
  for (const auto& lr : r.lns) {
    ++rounds[lr.repair];
    accepted[lr.repair] += lr.accepted;
  }
  row.lns_rounds = rounds[0];
  row.lns_accepted = accepted[0];
  row.repair_rounds = rounds[1];
  row.repair_accepted = accepted[1];
  row.heuristic_starts = r.heuristic_starts;
  row.lns_s = r.lns_s;
  row.lns_errors = r.lns_errors;
  row.milp_run = r.milp_run;
  if (r.milp_run) {
    row.milp_status =
        r.milp_killed ? "killed at the deadline" : statusText(r.milp.termination, r.milp.limit);
    if (!r.milp_killed) {
      row.milp_s = r.milp.wall_s;
      row.nodes = r.milp.nodes;
      row.milp_objective = r.milp.has_solution ? r.milp.objective : NAN;
      row.milp_bound = r.milp.best_bound;
    }
  }
  row.status = r.stopped_by;
  row.objective = r.objective;
  row.bound = r.bound;
  row.ray_bound = r.ray_bound;
  row.gap = r.gap;
  row.gap_formula = r.gap_formula;
  setTrainEvaluation(row, r.train_eval);
  row.forward_check_ok = r.forward_check_ok;
  row.engine_s = r.wall_s;
}

}  // namespace

const char* bdnnMethodName(BdnnMethod method) {
  for (const auto& [m, name] : kMethodNames) {
    if (m == method) return name;
  }
  return "?";
}

std::optional<BdnnMethod> parseBdnnMethod(std::string_view name) {
  for (const auto& [m, text] : kMethodNames) {
    if (name == text) return m;
  }
  return std::nullopt;
}

const char* bdnnTableKindName(BdnnTableKind kind) {
  switch (kind) {
    case BdnnTableKind::kMain: return "main";
    case BdnnTableKind::kShuffles: return "shuffles";
    case BdnnTableKind::kRobust: return "robust";
    case BdnnTableKind::kTrain: return "train";
  }
  return "main";
}

std::string BdnnJob::id() const {
  return fmt::format(
      "{}|{}|{}|{}|{}|{}|{}", bdnnTableKindName(kind), dataset, bdnnMethodName(method),
      method == BdnnMethod::kRelu ? "-" : thresholdText(threshold), hidden, seed, radius);
}

std::string BdnnJob::label() const {
  if (method == BdnnMethod::kRelu) return "DNN (ReLU)";
  const std::string base = threshold == bdnn::ThresholdMode::kZero     ? "BDNN0"
                           : threshold == bdnn::ThresholdMode::kNeuron ? "BDNN(bias)"
                                                                       : "BDNN";
  switch (method) {
    case BdnnMethod::kHeuristic: return base + " heur.";
    case BdnnMethod::kMilpHeurStart: return base + " MILP+heur.start";
    case BdnnMethod::kIterative: return base + " iterative";
    case BdnnMethod::kMilpMarginZero: return base + " margin-0 (seed)";
    case BdnnMethod::kEngineHeur: return base + " engine (heur. start)";
    case BdnnMethod::kEngineConst: return base + " engine (const. start)";
    default: return base;
  }
}

nlohmann::json to_json(const BdnnJobResult& r) {
  using nlohmann::json;
  json row;
  const BdnnJob& j = r.job;
  row["kind"] = bdnnTableKindName(j.kind);
  row["dataset"] = j.dataset;
  row["method"] = bdnnMethodName(j.method);
  row["label"] = j.label();
  row["threshold"] = j.method == BdnnMethod::kRelu ? "-" : thresholdText(j.threshold);
  row["d1"] = j.hidden;
  row["seed"] = j.seed;
  row["radius"] = j.radius;
  row["train_points"] = r.train_points;
  row["test_points"] = r.test_points;
  row["wall_s"] = r.wall_s;
  auto put = [&row](const char* key, const auto& v) {
    if (!v) return;
    using T = std::decay_t<decltype(*v)>;
    if constexpr (std::is_same_v<T, double>) {
      row[key] = jsonNumber(*v);
    } else {
      row[key] = *v;
    }
  };
  put("train_acc", r.train_acc);
  put("test_acc", r.test_acc);
  put("margin", r.margin);
  put("recipe", r.recipe);
  put("start", r.start);
  put("status", r.status);
  put("formulation", r.formulation);
  put("gap_formula", r.gap_formula);
  put("heuristic_s", r.heuristic_s);
  put("heuristic_time_limit_s", r.heuristic_time_limit_s);
  put("lp_solves", r.lp_solves);
  put("restart_errors", r.restart_errors);
  put("restarts", r.restarts);
  put("train_errors", r.train_errors);
  put("band_points", r.band_points);
  put("margin_errors", r.margin_errors);
  put("milp_errors", r.milp_errors);
  put("forward_check_ok", r.forward_check_ok);
  if (r.cbc_opts && !r.cbc_opts->empty()) row["cbc_opts"] = *r.cbc_opts;
  put("time_limit_s", r.time_limit_s);
  put("objective", r.objective);
  put("bound", r.bound);
  put("gap", r.gap);
  put("milp_s", r.milp_s);
  put("nodes", r.nodes);
  put("milp_vars", r.milp_vars);
  put("milp_binaries", r.milp_binaries);
  put("milp_rows", r.milp_rows);
  put("start_errors", r.start_errors);
  put("repair_rounds", r.repair_rounds);
  put("repair_accepted", r.repair_accepted);
  put("heuristic_starts", r.heuristic_starts);
  put("repair_round_nodes", r.repair_round_nodes);
  put("lns_round_nodes", r.lns_round_nodes);
  put("repair_round_iterations", r.repair_round_iterations);
  put("lns_round_iterations", r.lns_round_iterations);
  put("lns_rounds", r.lns_rounds);
  put("lns_accepted", r.lns_accepted);
  put("lns_errors", r.lns_errors);
  put("lns_s", r.lns_s);
  put("engine_s", r.engine_s);
  put("ray_bound", r.ray_bound);
  put("milp_objective", r.milp_objective);
  put("milp_bound", r.milp_bound);
  put("milp_run", r.milp_run);
  put("milp_status", r.milp_status);
  put("rounds", r.rounds);
  put("subset", r.subset);
  put("converged", r.converged);
  for (const auto& [rad, p] : r.perturb) {
    row["perturb"][rad] = {{"clean", p.clean},         {"random", p.random},
                           {"certified", p.certified}, {"attacked", p.attacked},
                           {"unknown", p.unknown},     {"stable", p.stable}};
  }
  return row;
}

BdnnJobResult runBdnnJob(const BdnnJob& job, const data::Split& split, const BdnnSettings& s,
                         const Callbacks& cb, const std::string& save_path) {
  Timer timer;
  BdnnJobResult row;
  row.job = job;
  row.train_points = split.train.size();
  row.test_points = split.test.size();
  nn::Network net;
  if (job.method == BdnnMethod::kRelu) {
    Rng rng(job.seed);
    net = train::makeMlp(split.train.features(), {job.hidden}, 2, /*bias=*/false, rng);
    train::TrainOptions to;
    to.epochs = s.relu_epochs;
    to.batch_size = s.relu_batch;
    to.seed = job.seed;
    to.optimizer.lr = s.relu_lr;
    to.train_bias = false;
    train::train(net, split.train, nullptr, to);
    row.train_acc = train::evaluateAccuracy(net, split.train);
    row.test_acc = train::evaluateAccuracy(net, split.test);
    row.recipe =
        fmt::format("makeMlp(in,{{{}}},2,bias=false), softmax CE, Adam lr={}, {} epochs, batch {}",
                    job.hidden, s.relu_lr, s.relu_epochs, s.relu_batch);
    row.wall_s = timer.seconds();
    if (!save_path.empty()) bdnn::saveNetwork(net, save_path);
    return row;
  }
  bdnn::BdnnOptions o;
  o.hidden = {job.hidden};
  o.threshold = job.threshold;
  o.margin = s.margin;
  o.robust_radius = job.radius;
  bdnn::HeuristicOptions ho;
  ho.restarts = s.restarts;
  ho.time_limit_s = s.heuristic_time_s;
  ho.seed = job.seed;
  ho.lp_margin = s.lp_margin;
  row.margin = s.margin;
  auto finish = [&] {
    row.wall_s = timer.seconds();
    return row;
  };
  std::optional<bdnn::BdnnParams> start;
  if (isEngine(job.method)) {
    runEngineJob(job, split, s, o, ho, cb, row, net);
    if (net.numLayers() == 0) return finish();
  } else if (job.method == BdnnMethod::kHeuristic || job.method == BdnnMethod::kMilpHeurStart) {
    const bdnn::HeuristicResult h = bdnn::trainHeuristic(split.train, o, ho, cb);
    net = h.net;
    start = h.params;
    row.heuristic_s = h.wall_s;
    row.lp_solves = h.lp_solves;
    row.restart_errors = h.restart_errors;
    setTrainEvaluation(row, h.train_eval);
    row.heuristic_time_limit_s = s.heuristic_time_s;
    row.restarts = s.restarts;
  }
  if (job.method == BdnnMethod::kMilp || job.method == BdnnMethod::kMilpHeurStart) {
    bdnn::ExactOptions ex;
    ex.time_limit_s = s.time_limit_s;
    ex.backend_options = s.backend_options;
    if (!s.backend_options_text.empty()) row.cbc_opts = s.backend_options_text;
    // Without a heuristic start, the constant (majority-class) classifier: CBC often finds no
    // incumbent of its own within the limit on the full data sets (docs/results_bdnn.md).
    ex.start = start ? start : bdnn::constantClassifier(split.train, o);
    row.start = start ? "heuristic" : "constant";
    const bdnn::ExactResult r = bdnn::trainExact(split.train, o, ex, cb);
    row.time_limit_s = s.time_limit_s;
    setMilpAnswer(row, r);
    row.milp_vars = r.vars;
    row.milp_binaries = r.binaries;
    row.milp_rows = r.rows;
    if (!r.has_solution) return finish();
    net = r.net;
    setTrainEvaluation(row, r.train_eval);
  } else if (job.method == BdnnMethod::kIterative) {
    bdnn::IterativeOptions it;
    it.time_limit_s = s.time_limit_s;
    it.round_time_limit_s = std::max(10.0, s.time_limit_s / 4.0);
    it.seed = job.seed;
    const bdnn::IterativeResult r = bdnn::trainIterative(split.train, o, it, cb);
    if (r.net.numLayers() == 0) {
      row.status = "no solution";
      return finish();
    }
    net = r.net;
    row.time_limit_s = s.time_limit_s;
    row.rounds = static_cast<int>(r.rounds.size());
    row.subset = r.rounds.empty() ? 0 : r.rounds.back().subset_size;
    row.bound = r.lower_bound;
    row.converged = r.converged;
    row.train_errors = r.train_eval.errors;
    row.margin_errors = r.train_eval.margin_errors;
    row.status = r.converged ? "converged" : "budget";
    const double obj = r.train_eval.margin_errors;
    row.objective = obj;
    row.gap = obj > 0 ? (obj - std::ceil(r.lower_bound - 1e-6)) / obj : 0.0;
  }
  const bdnn::Evaluation tr = bdnn::evaluate(net, split.train, o.margin);
  const bdnn::Evaluation te = bdnn::evaluate(net, split.test, o.margin);
  row.train_acc = tr.accuracy;
  row.test_acc = te.accuracy;
  if (job.kind == BdnnTableKind::kRobust || job.radius > 0.0) {
    bdnn::PerturbationOptions po;
    po.seed = job.seed;
    for (double r : {0.05, 0.1}) {
      const bdnn::PerturbationReport p = bdnn::evaluatePerturbations(net, split.test, r, po);
      row.perturb[fmt::format("{}", r)] =
          PerturbationSummary{p.clean_accuracy,    p.random_accuracy, p.certified_accuracy,
                              p.attacked_accuracy, p.unknown,         p.certified_by_stability};
    }
  }
  row.wall_s = timer.seconds();
  if (!save_path.empty()) bdnn::saveNetwork(net, save_path, to_json(row).dump());
  return row;
}

std::vector<BdnnJob> bdnnTableJobs(BdnnTableKind kind, const std::string& dataset,
                                   const std::vector<std::string>& methods,
                                   const std::vector<int>& widths, uint64_t seed, int shuffles,
                                   const std::vector<double>& radii) {
  NNMIP_CHECK(!widths.empty(), "a table needs at least one hidden width");
  std::vector<BdnnJob> jobs;
  auto make = [&](const std::string& m, int d1, uint64_t sd, double r) {
    BdnnJob j;
    j.kind = kind;
    j.dataset = dataset;
    j.hidden = d1;
    j.seed = sd;
    j.radius = r;
    j.threshold =
        m.find('0') != std::string::npos ? bdnn::ThresholdMode::kZero : bdnn::ThresholdMode::kLayer;
    if (m == "relu") {
      j.method = BdnnMethod::kRelu;
    } else if (m.rfind("heur", 0) == 0) {
      j.method = BdnnMethod::kHeuristic;
    } else if (m.find("hstart") != std::string::npos) {
      j.method = BdnnMethod::kMilpHeurStart;
    } else if (m == "iterative") {
      j.method = BdnnMethod::kIterative;
    } else if (m == "milp" || m == "milp0") {
      j.method = BdnnMethod::kMilp;
    } else if (m == "seed" || m == "seed0") {
      j.method = BdnnMethod::kMilpMarginZero;
    } else if (m == "engine" || m == "engine0") {
      j.method = BdnnMethod::kEngineHeur;
    } else if (m == "engine-const" || m == "engine0-const") {
      j.method = BdnnMethod::kEngineConst;
    } else {
      fail(ErrorKind::kUsage, "unknown method '{}'", m);
    }
    jobs.push_back(j);
  };
  if (kind == BdnnTableKind::kMain) {
    for (int d1 : widths) {
      for (const auto& m : methods) make(m, d1, seed, 0.0);
    }
  } else if (kind == BdnnTableKind::kShuffles) {
    for (int sd = 1; sd <= shuffles; ++sd) {
      for (const auto& m : methods) make(m, widths.front(), static_cast<uint64_t>(sd), 0.0);
    }
  } else {
    for (double r : radii) {
      for (const auto& m : methods) {
        if (m == "relu" && r > 0.0) continue;
        make(m, widths.front(), seed, r);
      }
    }
  }
  return jobs;
}

namespace {

const std::vector<std::string> kCsvColumns = {
    "kind", "dataset", "label",        "method",        "threshold",   "d1",
    "seed", "radius",  "train_acc",    "test_acc",      "objective",   "bound",
    "gap",  "status",  "train_errors", "margin_errors", "band_points", "wall_s"};

std::string csvCell(const nlohmann::json& row, const std::string& col) {
  if (!row.contains(col) || row[col].is_null()) return "";
  const nlohmann::json& v = row[col];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

}  // namespace

std::vector<nlohmann::json> runBdnnTable(const std::vector<BdnnJob>& jobs, const data::Dataset& all,
                                         const BdnnSettings& settings, const std::string& stem,
                                         const Callbacks& callbacks,
                                         const Callbacks& job_callbacks) {
  JobStore store(stem + ".jsonl");
  std::vector<std::string> ids;
  for (const BdnnJob& j : jobs) ids.push_back(j.id());
  runJobs(
      store, ids,
      [&](size_t i) {
        const data::Split split = data::shuffleSplit(all, settings.train_fraction, jobs[i].seed);
        return to_json(runBdnnJob(jobs[i], split, settings, job_callbacks));
      },
      callbacks);
  // The CSV mirrors the whole store (every job of every run into this stem).
  std::string csv;
  for (size_t c = 0; c < kCsvColumns.size(); ++c) csv += (c ? "," : "") + kCsvColumns[c];
  csv += "\n";
  for (const nlohmann::json& row : store.rows()) {
    for (size_t c = 0; c < kCsvColumns.size(); ++c)
      csv += (c ? "," : "") + csvCell(row, kCsvColumns[c]);
    csv += "\n";
  }
  writeFileAtomic(stem + ".csv", csv);
  std::vector<nlohmann::json> mine;
  for (const std::string& id : ids) {
    if (const nlohmann::json* row = store.find(id)) mine.push_back(*row);
  }
  return mine;
}

}  // namespace nnmip::experiments
