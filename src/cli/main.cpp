// nnmip: mixed-integer optimization over neural networks.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

int main(int argc, char** argv) {
  using namespace nnmip;
  CLI::App app{"nnmip: mixed-integer optimization over neural networks (CBC/CLP inside)"};
  app.set_version_flag("--version", fmt::format("nnmip {} (commit {})", kVersion, buildCommit()));
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
  // Every message is one line with its control bytes escaped (sanitizeMessage): file names and
  // file contents in it come from the user. Exit 1 is kept for real internal errors.
  const auto report = [](const char* kind, const char* what, const char* tail = "") {
    std::fprintf(stderr, "nnmip: %s: %s%s\n", kind, sanitizeMessage(what).c_str(), tail);
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    report("usage error", e.what(), " (see --help)");
    return exitCodeFor(ErrorKind::kUsage);
  } catch (const Error& e) {
    report(errorKindName(e.kind()), e.what());
    return exitCodeFor(e.kind());
  } catch (const std::bad_alloc&) {
    // The inputs and options are checked against the machine's memory before the work starts;
    // what still runs out of memory was asked for by them, not by a bug.
    report(errorKindName(ErrorKind::kInvalidInput),
           "out of memory: the inputs or options need more memory than this machine has");
    return exitCodeFor(ErrorKind::kInvalidInput);
  } catch (const std::filesystem::filesystem_error& e) {
    report(errorKindName(ErrorKind::kIo), e.what());
    return exitCodeFor(ErrorKind::kIo);
  } catch (const std::exception& e) {
    report("internal error", e.what());
    return 1;
  }
  return g.exit_code;
}
