// nnmip run: the main job on built-in defaults. It touches every capability once, on real
// data when a data directory is found and on data it makes itself otherwise:
//   1. models   the VNN-COMP mnist_fc networks: structure and MNIST test accuracy
//               (without data: a ReLU network trained on the Bah & Kurtz random data set);
//   2. bounds   activation bounds of mnist-net_256x2 over the prop_0_0.03 box, tier by tier
//               (naive, interval, symbolic, lp), with stable/unstable neuron counts;
//   3. bdnn     binary-activation networks on Breast Cancer Wisconsin (or the random data set):
//               heuristic and exact MILP (time-limited, with its gap) against the ReLU baseline.
// Each phase prints a table on stdout and rewrites <out-dir>/run.json when it finishes, so an
// interrupted run keeps what it finished.
#include <fmt/format.h>

#include <filesystem>

#include "bounds/bounder.hpp"
#include "cli/commands.hpp"
#include "cli/datasets.hpp"
#include "cli/report.hpp"
#include "cli/run_phases.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/timer.hpp"

namespace nnmip::cli {

void addMainJob(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "run", "The main job on built-in defaults: models, bounds and binary networks, on the "
             "shared data when found, else on data nnmip makes itself");
  auto opts = std::make_shared<RunOptions>();
  cmd->add_option("--out-dir", opts->out_dir, "where run.json and the phase files go")
      ->capture_default_str();
  cmd->add_option("--time-limit", opts->milp_time_limit_s,
                  "time limit of each MILP solve in seconds")
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "worker threads for bounds")->capture_default_str();
  cmd->callback([opts, &g] {
    RunContext ctx;
    ctx.options = *opts;
    ctx.verbosity = g.verbosity;
    ctx.data_dir = resolveDataDir(g.data_dir);
    std::filesystem::create_directories(ctx.options.out_dir);
    if (!ctx.data_dir) {
      fmt::print("{}\nrunning on data nnmip makes itself (the Bah & Kurtz random data set)\n\n",
                 dataDirHint());
    } else {
      fmt::print("data directory: {}\n\n", ctx.data_dir->string());
    }
    ctx.summary["schema"] = "nnmip.run/1";
    ctx.summary["tool"] = toolInfo();
    ctx.summary["data_dir"] = ctx.data_dir ? ctx.data_dir->string() : "";
    runModelsPhase(ctx);
    runBoundsPhase(ctx);
    runBdnnPhase(ctx);
    fmt::print("\nresults: {}/run.json ({:.1f} s)\n", ctx.options.out_dir, ctx.clock.seconds());
  });
}

}  // namespace nnmip::cli
