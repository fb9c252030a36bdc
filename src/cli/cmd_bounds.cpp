#include "cli/commands.hpp"

namespace nnmip::cli {

void addBoundsCommands(CLI::App& /*app*/, GlobalOptions& /*g*/) {}

}  // namespace nnmip::cli
