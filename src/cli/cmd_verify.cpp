// nnmip verify | vnncomp: VNN-LIB properties answered by the verification engine (src/verify/).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "verify/engine.hpp"
#include "verify/outputs.hpp"
#include "verify/verifier.hpp"
#include "verify/vnncomp.hpp"

namespace nnmip::cli {
namespace {

// A number > 0 (CLI::PositiveNumber prints its whole range in the error).
const CLI::Validator kPositive(
    [](std::string& v) {
      try {
        size_t used = 0;
        const double d = std::stod(v, &used);
        if (used == v.size() && d > 0) return std::string();
      } catch (const std::exception&) {
      }
      return "expected a number > 0, got '" + v + "'";
    },
    "POSITIVE");

struct EngineArgs {
  int threads = 2;
  uint64_t seed = 1;
  bool no_lp = false;
  bool no_milp = false;
  bool no_bab = false;
  bool no_alpha = false;
  bool no_refine = false;
  bool interval_root = false;
  double attack_time = 3.0;
  std::string engine = "auto";
  std::string split_rule = "smear";
  std::string split_bound = "alpha";
  int presplit = 1;
};

void addEngineOptions(CLI::App* c, EngineArgs& a) {
  c->add_option("--threads", a.threads,
                "workers for the per-disjunct MILPs and LP bounds (default 2)")
      ->check(kPositive);
  c->add_option("--seed", a.seed, "attack seed (default 1)");
  c->add_option("--attack-time", a.attack_time,
                "seconds for the attack (default 3, at most 10% of the limit)")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--no-lp", a.no_lp, "skip the LP bound tier (symbolic bounds only)");
  c->add_flag("--no-milp", a.no_milp,
              "skip the per-disjunct MILPs (incomplete: unknown when open)");
  c->add_flag("--no-alpha", a.no_alpha, "relu engine: skip the alpha bound tier");
  c->add_flag("--no-refine", a.no_refine,
              "relu engine: skip the MILP refinement of hidden layers on deep networks");
  c->add_flag(
      "--interval-root", a.interval_root,
      "relu engine: root bounds by interval arithmetic only (no symbolic back-substitution); "
      "with --no-alpha --no-bab --no-refine a second opinion independent of input-split");
  c->add_flag("--no-bab", a.no_bab,
              "relu engine: skip the branch and bound over ReLU splits (the MILP decides)");
  c->add_option("--engine", a.engine,
                "input-split (bisect the input box; few inputs), relu (bounds, LP, MILP per "
                "disjunct) or auto (input-split for <= 16 inputs, else relu; the default)")
      ->check(CLI::IsMember({"auto", "input-split", "relu"}));
  c->add_option("--split-rule", a.split_rule,
                "input-split: bisect the input with the largest interval-gradient bound x width "
                "(smear, default), |linear bound coefficient| x width (gradient) or the widest "
                "relative to the box (widest)")
      ->check(CLI::IsMember({"gradient", "smear", "widest"}));
  c->add_option("--split-bound", a.split_bound,
                "input-split: bound per sub-box, alpha (symbolic, then optimised slopes where "
                "symbolic does not close; the default) or symbolic")
      ->check(CLI::IsMember({"symbolic", "alpha"}));
  c->add_option("--presplit", a.presplit,
                "relu engine: cut each input box into this many pieces (a power of two) first")
      ->check(CLI::PositiveNumber);
}

verify::VerifyOptions engineOptions(const EngineArgs& a) {
  verify::VerifyOptions o;
  o.threads = a.threads;
  o.seed = a.seed;
  o.use_lp_tier = !a.no_lp;
  o.use_milp = !a.no_milp;
  o.use_bab = !a.no_bab;
  o.use_alpha = !a.no_alpha;
  o.use_refine = !a.no_refine;
  o.interval_root = a.interval_root;
  o.attack_time_s = a.attack_time;
  return o;
}

verify::EngineChoice engineChoice(const EngineArgs& a) {
  verify::EngineChoice e;
  e.kind = verify::parseEngine(a.engine);
  e.split.rule = a.split_rule == "widest"  ? verify::SplitRule::kWidest
                 : a.split_rule == "smear" ? verify::SplitRule::kSmear
                                           : verify::SplitRule::kGradient;
  e.split.bound =
      a.split_bound == "alpha" ? verify::SplitBound::kAlpha : verify::SplitBound::kSymbolic;
  e.relu_presplit = a.presplit;
  if (a.presplit < 1 || (a.presplit & (a.presplit - 1)) != 0) {
    fail(ErrorKind::kUsage, "--presplit must be a power of two, got {}", a.presplit);
  }
  return e;
}

Callbacks logCallbacks(const GlobalOptions& g, const Timer& clock) {
  Callbacks cb;
  if (g.verbosity >= 2) {
    cb.on_log = [&clock](Level, std::string_view line) {
      logLine(clock, "info", std::string(line));
    };
  }
  return cb;
}

struct VerifyArgs {
  std::string network;
  std::string property;
  double time_limit = 0.0;  // 0: none given
  std::string output;
  std::string json;
  std::string png_dir;
  bool fail_on_violation = false;
  EngineArgs engine;
};

void runVerify(const VerifyArgs& a, GlobalOptions& g) {
  const Timer clock;
  const nn::Network net = nn::readOnnx(a.network);
  const data::VnnlibProperty prop = data::readVnnlib(a.property);
  verify::VerifyOptions o = engineOptions(a.engine);
  if (a.time_limit > 0) o.time_limit_s = std::max(0.1, a.time_limit - clock.seconds());
  const verify::EngineChoice engine = engineChoice(a.engine);
  const verify::Result r = verify::verifyWithEngine(engine, net, prop, o, logCallbacks(g, clock));
  const std::string text = verify::resultFileText(r);
  if (!a.output.empty()) writeTextFile(a.output, text);
  if (!a.json.empty()) {
    nlohmann::json doc = r;
    doc["network"] = a.network;
    doc["property"] = a.property;
    doc["time_limit_s"] = a.time_limit > 0 ? nlohmann::json(a.time_limit) : nlohmann::json();
    doc["engine"] = verify::engineName(verify::resolveEngine(engine.kind, net));
    doc["tool"] = toolInfo();
    writeJsonFile(a.json, doc);
  }
  if (!a.png_dir.empty()) {
    for (const auto& p : verify::writeImagePngs(a.png_dir, prop, r)) {
      if (g.verbosity >= 1) logLine(clock, "info", fmt::format("wrote {}", p.string()));
    }
  }
  // The verdict on stdout: the first line of the result file, then the reason.
  std::fputs(statusName(r.status), stdout);
  std::fputs("\n", stdout);
  if (g.verbosity >= 1) {
    Table t({"<box", "<status", "time_s", "<phases"});
    for (const verify::BoxReport& b : r.boxes) {
      std::string phases;
      for (const verify::PhaseStats& p : b.phases) {
        phases += fmt::format("{}{} {:.2f}s", phases.empty() ? "" : ", ", p.name, p.wall_s);
      }
      t.addRow(
          {std::to_string(b.box), statusName(b.status), fmt::format("{:.2f}", b.wall_s), phases});
    }
    std::fputs(t.str().c_str(), stdout);
    std::fprintf(stdout, "verdict   %s: %s (%.2f s)\n", statusName(r.status), r.reason.c_str(),
                 r.wall_s);
  }
  if (a.fail_on_violation && r.status == verify::Status::kSat) g.exit_code = 10;
}

struct VnncompArgs {
  std::string instances;
  std::string output;
  std::string result_dir;
  std::string filter;
  double scale = 1.0;
  EngineArgs engine;
};

void runVnncomp(const VnncompArgs& a, GlobalOptions& g) {
  const Timer clock;
  const std::vector<verify::Instance> inst = verify::readInstances(a.instances);
  verify::CampaignOptions o;
  o.verify = engineOptions(a.engine);
  o.engine = engineChoice(a.engine);
  o.time_limit_scale = a.scale;
  o.results_csv = a.output;
  o.result_dir = a.result_dir;
  o.filter = a.filter;
  const auto on_row = [&](const verify::CampaignRow& row, int k, int total) {
    if (g.verbosity < 1) return;
    if (row.skipped) {
      std::fprintf(stderr, "[%d/%d] %s %s: already done\n", k + 1, total, row.instance.onnx.c_str(),
                   row.instance.vnnlib.c_str());
    } else {
      std::fprintf(stderr, "[%d/%d] %s %s: %s in %.1f s, %.1f s CPU (limit %.0f s)%s%s\n", k + 1,
                   total, row.instance.onnx.c_str(), row.instance.vnnlib.c_str(),
                   row.result.c_str(), row.wall_s, row.cpu_s, row.instance.timeout_s * a.scale,
                   row.result == "error" ? ": " : "",
                   row.result == "error" ? row.note.c_str() : "");
    }
  };
  const auto rows = verify::runCampaign(inst, o, on_row, logCallbacks(g, clock));
  int counts[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& r : rows) {
    if (r.skipped) {
      ++counts[5];
      continue;
    }
    const std::string& s = r.result;
    ++counts[s == "sat" ? 0 : s == "unsat" ? 1 : s == "unknown" ? 2 : s == "timeout" ? 3 : 4];
  }
  std::fprintf(stdout, "sat %d  unsat %d  unknown %d  timeout %d  error %d  (skipped %d)\n",
               counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
}

}  // namespace

void addVerifyCommands(CLI::App& app, GlobalOptions& g) {
  auto va = std::make_shared<VerifyArgs>();
  CLI::App* v = app.add_subcommand("verify",
                                   "answer a VNN-LIB property: sat (with a checked "
                                   "counterexample), unsat, unknown or timeout");
  v->add_option("network", va->network, "network (.onnx)")->required();
  v->add_option("property", va->property, "property (.vnnlib)")->required();
  v->add_option("--time-limit", va->time_limit, "seconds for the whole run (default: none)")
      ->check(kPositive);
  v->add_option("-o,--output", va->output, "VNN-COMP result file");
  v->add_option("--json", va->json, "JSON report with per-phase timings");
  v->add_option("--png-dir", va->png_dir,
                "PNGs of the reference, the counterexample and their "
                "difference (square image inputs)");
  v->add_flag("--fail-on-violation", va->fail_on_violation,
              "exit 10 when the property is violated (sat)");
  addEngineOptions(v, va->engine);
  v->callback([va, &g] { runVerify(*va, g); });

  auto ca = std::make_shared<VnncompArgs>();
  CLI::App* c = app.add_subcommand("vnncomp",
                                   "run a VNN-COMP instances.csv (onnx,vnnlib,timeout); "
                                   "resumable: instances already in the results are skipped");
  c->add_option("instances", ca->instances, "instances.csv")->required();
  c->add_option("-o,--output", ca->output, "results CSV (appended)")->required();
  c->add_option("--result-dir", ca->result_dir, "per-instance result files and JSON reports");
  c->add_option("--time-limit-scale", ca->scale, "multiply every timeout (default 1)")
      ->check(kPositive);
  c->add_option("--filter", ca->filter, "only instances whose paths contain this text");
  addEngineOptions(c, ca->engine);
  c->callback([ca, &g] { runVnncomp(*ca, g); });
}

}  // namespace nnmip::cli
