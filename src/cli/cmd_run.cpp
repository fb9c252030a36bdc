#include "cli/commands.hpp"

namespace nnmip::cli {

void addMainJob(CLI::App& /*app*/, GlobalOptions& /*g*/) {}

}  // namespace nnmip::cli
