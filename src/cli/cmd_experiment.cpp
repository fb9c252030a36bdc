// nnmip experiment <name>: one study of the research documents as a resumable campaign
// (experiments/campaign.hpp runs it; this file parses the options and prints the summary).
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "experiments/campaign.hpp"

namespace nnmip::cli {
namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_stop = 0;
extern "C" void onExperimentInterrupt(int) { g_stop = 1; }

struct ExperimentArgs {
  std::string name;
  std::string scale = "small";
  std::string out = "results/experiments";
  std::string small_dir;
  int threads = 1;
  bool dry_run = false;
  std::string only;
};

void runExperimentCommand(const ExperimentArgs& a, GlobalOptions& g, const std::string& command) {
  const auto scale = experiments::parseScale(a.scale);
  if (!scale) fail(ErrorKind::kUsage, "--scale must be small or paper, not '{}'", a.scale);
  if (a.threads < 1) fail(ErrorKind::kUsage, "--threads must be >= 1");
  experiments::CampaignContext ctx;
  ctx.scale = *scale;
  ctx.root = a.out;
  ctx.threads = a.threads;
  ctx.data_dir = resolveDataDir(g.data_dir);
  ctx.command = command;
  ctx.job_filter = a.only;
  if (a.dry_run) {
    const auto runs =
        experiments::dryRun(a.name, ctx, a.small_dir.empty() ? ctx.root : fs::path(a.small_dir));
    Table t({"<campaign", "scale", "jobs", "CPU hours (est.)", "<basis"});
    for (const auto& d : runs) {
      t.addRow({d.name, a.scale, std::to_string(d.jobs),
                d.cpu_hours ? fmt::format("{:.3g}", *d.cpu_hours) : std::string("-"), d.basis});
    }
    t.print();
    return;
  }
  const std::string mpi = experiments::mpiInit(nullptr, nullptr);
  const Timer clock;
  const bool show = g.verbosity > 0 && experiments::mpiRank() == 0;
  ctx.callbacks.on_log = [&clock, show](Level level, std::string_view m) {
    if (show || level >= Level::kWarn) {
      logLine(clock, level >= Level::kWarn ? "warn" : "info", std::string(m));
    }
  };
  g_stop = 0;
  auto previous = std::signal(SIGINT, onExperimentInterrupt);
  ctx.callbacks.should_stop = [] { return g_stop != 0; };
  std::vector<experiments::CampaignSummary> done;
  try {
    done = experiments::runExperiment(a.name, ctx);
  } catch (...) {
    std::signal(SIGINT, previous);
    experiments::mpiFinalize();
    throw;
  }
  std::signal(SIGINT, previous);
  const bool rank0 = experiments::mpiRank() == 0;
  const int ranks = experiments::mpiSize();
  experiments::mpiFinalize();
  if (!rank0) return;
  Table t({"<campaign", "jobs", "ran", "skipped", "wall_s", "job_cpu_s", "plots", "<report"});
  bool complete = true;
  for (const auto& s : done) {
    t.addRow({s.name, std::to_string(s.jobs), std::to_string(s.ran), std::to_string(s.skipped),
              fmt::format("{:.1f}", s.wall_s), fmt::format("{:.1f}", s.job_cpu_s),
              fmt::format("{}/{}", s.plots_drawn, s.plots_written), s.report.string()});
    complete = complete && s.complete;
  }
  t.print();
  if (ranks > 1) fmt::print("MPI: {} ranks (rank 0 coordinates), thread level {}\n", ranks, mpi);
  if (!complete) {
    fmt::print("not every job finished (stopped or failed): rerun the same command to resume\n");
    g.exit_code = exitCodeFor(ErrorKind::kSolver);
  }
}

}  // namespace

void addExperimentCommands(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<ExperimentArgs>();
  auto* cmd = app.add_subcommand(
      "experiment",
      "Reproduce a study of the documents as one resumable campaign: nets, pruning, bounds, bdnn, "
      "verify, pv, compare, mineps; writes jobs.jsonl, CSV, plots "
      "and report.md under -o DIR/<name>");
  cmd->add_option("name", a->name, "campaign name")->required();
  cmd->add_option("--scale", a->scale, "small (minutes here) | paper (the documents' size)")
      ->capture_default_str();
  cmd->add_option("-o,--out", a->out, "root folder (a campaign writes DIR/<name>/)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "jobs run at once (local pool)")->capture_default_str();
  cmd->add_flag("--dry-run", a->dry_run,
                "print the job count and, from a finished small run, a CPU-hour estimate");
  cmd->add_option("--only", a->only,
                  "run (and report) only the jobs whose id matches this regex; dependencies run "
                  "the jobs that these need");
  cmd->add_option("--small-dir", a->small_dir,
                  "--dry-run: root of the finished small run (default: -o DIR)");
  cmd->callback([a, &g] {
    std::string command = "nnmip experiment " + a->name + " --scale " + a->scale + " -o " + a->out +
                          " --threads " + std::to_string(a->threads) +
                          (a->only.empty() ? "" : " --only '" + a->only + "'");
    runExperimentCommand(*a, g, command);
  });
}

}  // namespace nnmip::cli
