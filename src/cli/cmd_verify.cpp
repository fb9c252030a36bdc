// nnmip verify | vnncomp: VNN-LIB properties answered by the verification engine (src/verify/).
#include <fmt/format.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "data/vnnlib.hpp"
#include "encode/compact.hpp"
#include "nn/onnx_io.hpp"
#include "verify/engine.hpp"
#include "verify/outputs.hpp"
#include "verify/phase_budget.hpp"
#include "verify/verifier.hpp"
#include "verify/vnncomp.hpp"

namespace nnmip::cli {
namespace {

struct EngineArgs {
  int threads = 2;
  uint64_t seed = 1;
  bool no_lp = false;
  bool no_milp = false;
  bool no_bab = false;
  bool no_alpha = false;
  bool no_refine = false;
  bool interval_root = false;
  double attack_time = verify::VerifyOptions{}.attack_time_s;
  double refine_front_share = verify::VerifyOptions{}.refine_front_share;
  int refine_max_binaries = verify::VerifyOptions{}.refine_max_binaries;
  std::string refine_form{bounds::refineFormName(verify::VerifyOptions{}.refine_form)};
  std::string engine = "auto";
  std::string split_rule = "smear";
  std::string split_bound = "alpha";
  int presplit = 1;
};

std::vector<std::string> refineFormNames() {
  std::vector<std::string> names;
  for (bounds::RefineForm f : bounds::kRefineForms) names.emplace_back(bounds::refineFormName(f));
  return names;
}

void addEngineOptions(CLI::App* c, EngineArgs& a) {
  c->add_option("--threads", a.threads,
                "workers for the per-disjunct MILPs and LP bounds (default 2)")
      ->check(intRange(1, kMaxThreads));
  c->add_option("--seed", a.seed, "attack seed (default 1)")->check(seedValue());
  c->add_option("--attack-time", a.attack_time,
                fmt::format("seconds for the attack (default {:g}, at most {:g}% of the limit)",
                            a.attack_time, 100.0 * verify::kAttackTimeShare))
      ->check(nonNegativeReal(kMaxSeconds));
  c->add_flag("--no-lp", a.no_lp, "skip the LP bound tier (symbolic bounds only)");
  c->add_flag("--no-milp", a.no_milp,
              "skip the per-disjunct MILPs (incomplete: unknown when open)");
  c->add_flag("--no-alpha", a.no_alpha, "relu engine: skip the alpha bound tier");
  c->add_flag("--no-refine", a.no_refine,
              "relu engine: skip the MILP refinement of hidden layers on deep networks");
  c->add_option("--refine-front-share", a.refine_front_share,
                fmt::format("relu engine: most of the refine time left one layer may take to try "
                            "all its unstable neurons (default {:g}; 0: an equal split over the "
                            "layers)",
                            a.refine_front_share))
      ->check(realRange(0.0, 1.0));
  c->add_option("--refine-max-binaries", a.refine_max_binaries,
                fmt::format("relu engine: partial refinement MILPs, each keeping the binaries of "
                            "this many earlier neurons (those that loosen it most; default {}; 0: "
                            "the full MILP)",
                            a.refine_max_binaries))
      ->check(intRange(0, std::numeric_limits<int>::max()));
  c->add_option("--refine-stable-form", a.refine_form,
                fmt::format("relu engine: stably active neurons in the refinement MILPs: "
                            "composed (substituted back to the inputs), columns (a column each: "
                            "sparse rows on deep nets), sparser (the one with fewer nonzeros) or "
                            "race (per layer, the one that solves its first neuron better; "
                            "default {})",
                            a.refine_form))
      ->check(CLI::IsMember(refineFormNames()));
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
                "relu engine: cut each input box into this many pieces first (a power of two "
                "between 1 and 65536)")
      ->check(powerOfTwo(1, kMaxPresplit));
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
  o.refine_front_share = a.refine_front_share;
  o.refine_max_binaries = a.refine_max_binaries;
  o.refine_form = bounds::parseRefineForm(a.refine_form);
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
  bool strict = false;
  EngineArgs engine;
};

// Prints the property's warnings (an empty disjunction, ...) on stderr, one line each.
void printWarnings(const data::VnnlibProperty& prop, const GlobalOptions& g) {
  if (g.verbosity < 1) return;
  for (const std::string& w : prop.warnings) {
    std::fprintf(stderr, "nnmip: warning: %s\n", sanitizeMessage(w).c_str());
  }
}

// The VNN-COMP reading takes < and > as <= and >=. When the counterexample satisfies the strict
// comparisons only in that reading, say so; with --strict it is no counterexample (unknown: the
// strict region may still hold one). Returns whether the counterexample holds as written (null
// when there is no counterexample or no strict comparison).
nlohmann::json applyStrictReading(verify::Result& r, const data::VnnlibProperty& prop,
                                  bool strict) {
  if (r.status != verify::Status::kSat || !r.counterexample || !prop.hasStrictOutputAtoms()) {
    return nullptr;
  }
  const verify::Counterexample& c = *r.counterexample;
  const std::vector<double> y_float(c.y.begin(), c.y.end());
  const bool holds = prop.outputUnsafeStrict(y_float) && prop.outputUnsafeStrict(c.y_double);
  if (holds) return true;
  const std::string note =
      "the counterexample satisfies the property's strict comparisons (< >) only as <= >=";
  if (strict) {
    r.status = verify::Status::kUnknown;
    r.reason = note + " (--strict: not a counterexample)";
    r.counterexample.reset();
  } else {
    r.reason += "; note: " + note + " (the VNN-COMP reading; --strict refuses it)";
  }
  return false;
}

void runVerify(const VerifyArgs& a, GlobalOptions& g) {
  const Timer clock;
  // Every output is checked before the work starts, and written together at the end.
  checkOutputPath(a.output, "-o");
  checkOutputPath(a.json, "--json");
  checkOutputFolder(a.png_dir, "--png-dir");
  const nn::Network net = nn::readOnnx(a.network);
  const data::VnnlibProperty prop = data::readVnnlib(a.property);
  printWarnings(prop, g);
  verify::VerifyOptions o = engineOptions(a.engine);
  if (a.time_limit > 0) o.time_limit_s = std::max(0.1, a.time_limit - clock.seconds());
  const verify::EngineChoice engine = engineChoice(a.engine);
  verify::Result r = verify::verifyWithEngine(engine, net, prop, o, logCallbacks(g, clock));
  const nlohmann::json as_written = applyStrictReading(r, prop, a.strict);
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  if (!a.output.empty()) files.emplace_back(a.output, verify::resultFileText(r));
  if (!a.json.empty()) {
    nlohmann::json doc = r;
    doc["network"] = a.network;
    doc["property"] = a.property;
    doc["time_limit_s"] = a.time_limit > 0 ? nlohmann::json(a.time_limit) : nlohmann::json();
    doc["engine"] = verify::engineName(verify::resolveEngine(engine.kind, net));
    doc["comparisons"] = a.strict ? "strict" : "vnncomp";
    doc["counterexample_strict"] = as_written;
    doc["tool"] = toolInfo();
    files.emplace_back(a.json, doc.dump(2) + "\n");
  }
  if (!a.png_dir.empty()) {
    for (const auto& p : verify::writeImagePngs(a.png_dir, prop, r)) {
      if (g.verbosity >= 1) logLine(clock, "info", fmt::format("wrote {}", p.string()));
    }
  }
  writeFilesAtomic(files);
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
    std::fprintf(stdout, "verdict   %s: %s (%.2f s)\n", statusName(r.status),
                 sanitizeMessage(r.reason).c_str(), r.wall_s);
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
  checkOutputPath(a.output, "-o");
  checkOutputFolder(a.result_dir, "--result-dir");
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
    // Paths and notes come from the instances file: printed with their control bytes escaped.
    const std::string onnx = sanitizeMessage(row.instance.onnx);
    const std::string vnnlib = sanitizeMessage(row.instance.vnnlib);
    if (row.skipped) {
      std::fprintf(stderr, "[%d/%d] %s %s: already done\n", k + 1, total, onnx.c_str(),
                   vnnlib.c_str());
    } else {
      std::fprintf(stderr, "[%d/%d] %s %s: %s in %.1f s, %.1f s CPU (limit %.0f s)%s%s\n", k + 1,
                   total, onnx.c_str(), vnnlib.c_str(), row.result.c_str(), row.wall_s, row.cpu_s,
                   row.instance.timeout_s * a.scale, row.result == "error" ? ": " : "",
                   row.result == "error" ? sanitizeMessage(row.note).c_str() : "");
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
  CLI::App* v = app.add_subcommand(
      "verify",
      "answer a VNN-LIB property: sat (with a checked counterexample), unsat, unknown or timeout. "
      "Strict comparisons (< >) are read as <= >= (the VNN-COMP convention) unless --strict");
  v->add_option("network", va->network, "network (.onnx)")->required();
  v->add_option("property", va->property, "property (.vnnlib)")->required();
  v->add_option("--time-limit", va->time_limit, "seconds for the whole run (default: none)")
      ->check(positiveReal(kMaxSeconds));
  v->add_option("-o,--output", va->output, "VNN-COMP result file (its folder must exist)");
  v->add_option("--json", va->json, "JSON report with per-phase timings");
  v->add_option("--png-dir", va->png_dir,
                "PNGs of the reference, the counterexample and their "
                "difference (square image inputs); created when missing");
  v->add_flag("--fail-on-violation", va->fail_on_violation,
              "exit 10 when the property is violated (sat)");
  v->add_flag("--strict", va->strict,
              "read < and > in the property as strict comparisons: a counterexample that "
              "satisfies them only as <= and >= is reported as unknown (default: the VNN-COMP "
              "reading, < as <= and > as >=; the result then says when the counterexample needs "
              "it)");
  addEngineOptions(v, va->engine);
  v->callback([va, &g] { runVerify(*va, g); });

  auto ca = std::make_shared<VnncompArgs>();
  CLI::App* c = app.add_subcommand("vnncomp",
                                   "run a VNN-COMP instances.csv (onnx,vnnlib,timeout); "
                                   "resumable: instances already in the results are skipped");
  c->add_option("instances", ca->instances, "instances.csv")->required();
  c->add_option("-o,--output", ca->output,
                "results CSV (appended to when it is one; its folder must exist)")
      ->required();
  c->add_option("--result-dir", ca->result_dir,
                "per-instance result files and JSON reports (created when missing)");
  c->add_option("--time-limit-scale", ca->scale, "multiply every timeout (default 1, at most 100)")
      ->check(positiveReal(100.0));
  c->add_option("--filter", ca->filter, "only instances whose paths contain this text");
  addEngineOptions(c, ca->engine);
  c->callback([ca, &g] { runVnncomp(*ca, g); });
}

}  // namespace nnmip::cli
