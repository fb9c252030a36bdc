// nnmip: mixed-integer optimization over neural networks.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

int main(int argc, char** argv) {
  using namespace nnmip;
  CLI::App app{"nnmip: mixed-integer optimization over neural networks (CBC/CLP inside)"};
  app.set_version_flag("--version", std::string("nnmip ") + kVersion);
  cli::GlobalOptions g;
  app.add_option("--data-dir", g.data_dir,
                 "data directory (default: $NNMIP_DATA_DIR, else ../shared/data)");
  app.add_flag_function(
      "-q,--quiet", [&](std::int64_t) { g.verbosity = 0; }, "less on stderr");
  app.add_flag_function(
      "-v,--verbose", [&](std::int64_t) { g.verbosity = 2; }, "more on stderr");
  // The options above also work after a subcommand (`nnmip eval net.onnx --data-dir D`): a
  // subcommand hands the options it does not know to its parent. Subcommands inherit this.
  app.fallthrough();
  cli::addModelCommands(app, g);
  cli::addTrainCommands(app, g);
  cli::addBoundsCommands(app, g);
  cli::addBdnnCommands(app, g);
  cli::addMainJob(app, g);
  cli::addVerifyCommands(app, g);
  cli::addAdversarialCommands(app, g);
  cli::addCompareCommands(app, g);
  cli::addExperimentCommands(app, g);
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "nnmip: usage error: %s (see --help)\n", e.what());
    return exitCodeFor(ErrorKind::kUsage);
  } catch (const Error& e) {
    std::fprintf(stderr, "nnmip: %s: %s\n", errorKindName(e.kind()), e.what());
    return exitCodeFor(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnmip: internal error: %s\n", e.what());
    return 1;
  }
  return g.exit_code;
}
