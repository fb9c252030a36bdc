#include "cli/commands.hpp"

namespace nnmip::cli {

void addBdnnCommands(CLI::App& /*app*/, GlobalOptions& /*g*/) {}

}  // namespace nnmip::cli
