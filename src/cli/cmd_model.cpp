#include "cli/commands.hpp"

namespace nnmip::cli {

void addModelCommands(CLI::App& /*app*/, GlobalOptions& /*g*/) {}

}  // namespace nnmip::cli
