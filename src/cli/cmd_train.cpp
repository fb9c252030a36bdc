#include "cli/commands.hpp"

namespace nnmip::cli {

void addTrainCommands(CLI::App& /*app*/, GlobalOptions& /*g*/) {}

}  // namespace nnmip::cli
