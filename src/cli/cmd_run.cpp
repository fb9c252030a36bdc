// nnmip run: the main job on built-in defaults (experiments/main_run.hpp runs the phases; this
// file parses the options and prints one table per phase on stdout).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "experiments/main_run.hpp"

namespace nnmip::cli {
namespace {

std::string percent(double v) { return fmt::format("{:.2f}%", 100.0 * v); }

void printModels(const experiments::ModelsPhase& p) {
  auto sizes = [](const std::vector<int>& s) {
    std::string text;
    for (int v : s) text += (text.empty() ? "" : "-") + std::to_string(v);
    return text;
  };
  if (p.dataset == "random") {
    Table t({"<network", "sizes", "params", "train_acc", "test_acc"});
    for (const auto& r : p.networks) {
      t.addRow({r.name, sizes(r.sizes), std::to_string(r.parameters), percent(r.train_accuracy),
                percent(r.accuracy)});
    }
    fmt::print("== models (random data set, N=100, m=200, 80/20 split)\n");
    t.print();
    return;
  }
  Table t({"<network", "sizes", "params", "relus", "accuracy", "stated", "time_s"});
  for (const auto& r : p.networks) {
    t.addRow({r.name, sizes(r.sizes), std::to_string(r.parameters), std::to_string(r.relus),
              fmt::format("{:.4f}", r.accuracy), fmt::format("{:.4f}", r.stated_accuracy),
              fmt::format("{:.2f}", r.seconds)});
  }
  fmt::print("== models (VNN-COMP mnist_fc, MNIST test set, {} images)\n", p.test_samples);
  t.print();
}

void printBounds(const experiments::BoundsPhase& p) {
  Table t({"<method", "layer", "mean_width", "max_width", "active", "inactive", "unstable", "LPs",
           "time_s"});
  for (const auto& r : p.layers) {
    const bounds::LayerStats& s = r.stats;
    t.addRow({r.method, std::to_string(s.layer + 1), fmt::format("{:.4g}", s.mean_width),
              fmt::format("{:.4g}", s.max_width), std::to_string(s.stable_active),
              std::to_string(s.stable_inactive), std::to_string(s.unstable), std::to_string(s.lps),
              fmt::format("{:.2f}", s.time_s)});
  }
  fmt::print("\n== bounds ({}, {}; hidden ReLU layers)\n", p.network, p.domain);
  t.print();
}

void printBdnn(const experiments::BdnnPhase& p) {
  Table t({"<method", "d1", "train_points", "train_acc", "test_acc", "status", "gap", "time_s"});
  for (const auto& r : p.rows) {
    t.addRow({r.method, std::to_string(r.d1), std::to_string(r.train_points),
              percent(r.train_accuracy), percent(r.test_accuracy), r.status,
              std::isfinite(r.gap) ? percent(r.gap) : "-", fmt::format("{:.2f}", r.seconds)});
  }
  fmt::print("\n== bdnn ({} data set, 80/20 split seed 1; accuracy on the held-out 20%)\n",
             p.dataset);
  t.print();
}

void printVerify(const experiments::VerifyPhase& p) {
  Table t({"<property", "result", "time_s", "<reason"});
  for (const auto& r : p.rows) {
    t.addRow({r.property, r.result, fmt::format("{:.2f}", r.seconds), r.reason});
  }
  fmt::print("\n== verify ({})\n", p.network);
  t.print();
}

void printPv(const experiments::PvPhase& p) {
  Table t({"<domain", "tier", "value", "bound", "gap", "<found_by", "time_s"});
  t.addRow({p.domain, p.tier, fmt::format("{:.4f}", p.value), fmt::format("{:.4f}", p.bound),
            std::isfinite(p.gap) ? percent(p.gap) : "-", p.found_by,
            fmt::format("{:.2f}", p.seconds)});
  fmt::print("\n== pv ({}, {}; PNGs in pv/)\n", p.network, p.objective);
  t.print();
}

}  // namespace

void addMainJob(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "run",
      "The main job on built-in defaults: models, bounds, binary networks, verification and PV, "
      "ending with report.md; on the shared data when found, else on data nnmip makes itself");
  auto out_dir = std::make_shared<std::string>("results/run");
  auto opts = std::make_shared<experiments::MainRunOptions>();
  cmd->add_option("--out-dir", *out_dir,
                  "where run.json and the phase files go (created with its parents when missing)")
      ->capture_default_str();
  addTimeLimitOption(*cmd, opts->milp_time_limit_s, "time limit of each MILP solve in seconds");
  cmd->add_option("--threads", opts->threads, "worker threads for bounds (1 to 256)")
      ->check(intRange(1, kMaxThreads))
      ->capture_default_str();
  cmd->callback([opts, out_dir, &g] {
    if (std::filesystem::exists(*out_dir) && !std::filesystem::is_directory(*out_dir)) {
      fail(ErrorKind::kIo, "--out-dir {}: exists and is not a directory", *out_dir);
    }
    experiments::MainRunOptions o = *opts;
    o.out_dir = *out_dir;
    o.data_dir = resolveDataDir(g.data_dir);
    const Timer clock;
    Callbacks cb;
    cb.on_log = [&g, &clock](Level, std::string_view message) {
      std::fflush(stdout);  // keep the tables and the log lines in order on a terminal
      if (g.verbosity > 0) logLine(clock, "info", std::string(message));
    };
    experiments::MainRun run(o, cb);
    if (!o.data_dir) {
      fmt::print("{}\nrunning on data nnmip makes itself (the Bah & Kurtz random data set)\n\n",
                 dataDirHint());
    } else {
      fmt::print("data directory: {}\n\n", o.data_dir->string());
    }
    printModels(run.runModels());
    if (const auto bounds = run.runBounds()) printBounds(*bounds);
    printBdnn(run.runBdnn());
    if (const auto v = run.runVerify()) printVerify(*v);
    if (const auto p = run.runPv()) printPv(*p);
    const auto report = run.writeReport();
    fmt::print("\nresults: {}/run.json, {} ({:.1f} s)\n", *out_dir, report.string(), run.seconds());
  });
}

}  // namespace nnmip::cli
