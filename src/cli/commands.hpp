#pragma once
// Each area registers its subcommands on the top-level app. A command's callback throws
// nnmip::Error on bad input; main() maps the error kind to the exit code (STYLE.md §2.3).
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace nnmip::cli {

// Options every command can read (set on the top-level app before any callback runs).
struct GlobalOptions {
  std::string data_dir;  // --data-dir (else $NNMIP_DATA_DIR, else ../shared/data)
  int verbosity = 1;     // -q: 0, default 1, -v: 2
  // Exit code a command asks main() to return (e.g. 10 for a violated property).
  int exit_code = 0;
};

void addModelCommands(CLI::App& app, GlobalOptions& g);  // info, eval, export-onnx (cmd_model.cpp)
void addTrainCommands(CLI::App& app, GlobalOptions& g);  // train, prune (cmd_train.cpp)
void addBoundsCommands(CLI::App& app,
                       GlobalOptions& g);  // bounds, encode/export-mps (cmd_bounds.cpp)
void addBdnnCommands(CLI::App& app, GlobalOptions& g);  // bdnn train|table (cmd_bdnn.cpp)
void addMainJob(CLI::App& app, GlobalOptions& g);       // the default job `nnmip run` (cmd_run.cpp)
void addVerifyCommands(CLI::App& app, GlobalOptions& g);       // verify, vnncomp (cmd_verify.cpp)
void addAdversarialCommands(CLI::App& app, GlobalOptions& g);  // adversarial (cmd_adversarial.cpp)
void addCompareCommands(CLI::App& app, GlobalOptions& g);      // compare (cmd_compare.cpp)
void addExperimentCommands(CLI::App& app, GlobalOptions& g);   // experiment (cmd_experiment.cpp)

}  // namespace nnmip::cli
