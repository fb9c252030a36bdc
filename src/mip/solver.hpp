#pragma once
// Solver-agnostic interfaces. Backends register by name; callers never name CBC/CLP.
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/callbacks.hpp"
#include "mip/model.hpp"
#include "mip/params.hpp"
#include "mip/result.hpp"

namespace nnmip::mip {

struct Capabilities {
  bool mip_start = false;
  bool threads = false;
  bool cutoff = false;
  bool time_limit = false;
};

class MipSolver {
 public:
  virtual ~MipSolver() = default;
  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;
  virtual MipResult solve(const Model& model, const MipParams& params = {},
                          const Callbacks& callbacks = {}) = 0;
};

// One LP, many objectives and bound changes, warm-started between solves.
// Integrality in the model it was made from is ignored (it solves the relaxation).
// A solve fills LpResult's row duals and reduced costs (optimal) or a Farkas ray (infeasible);
// mip/safe_bound.hpp turns them into bounds that hold despite the solver's tolerances.
class LpSession {
 public:
  virtual ~LpSession() = default;
  virtual void setObjective(Sense sense, std::span<const Term> terms, double constant = 0.0) = 0;
  virtual void setVarBounds(Var v, double lb, double ub) = 0;
  virtual void setRowBounds(Row r, double lb, double ub) = 0;
  virtual LpResult solve(const LpParams& params = {}) = 0;
  // Total simplex iterations over all solves of this session.
  virtual long totalIterations() const = 0;
};

// Backends: "cbc" (default) and "enum" (brute-force oracle for tiny models).
std::unique_ptr<MipSolver> makeMipSolver(std::string_view backend = "cbc");
// Backends (all CLP, one ClpSimplex per session):
//   "clp" (default): after an objective change, restart from the slack basis with every column
//       at the bound its new cost prefers (dual simplex with cost perturbation); after bound or
//       row changes only, warm dual(0, 1|2) from the previous basis;
//   "clp-warm": always dual(0, 1|2) from the previous basis (the pre-2026-11 "clp");
//   "clp-restart": always the slack/cost-preferred restart;
//   "clp-cold": a fresh ClpSimplex and initialSolve() for every solve (a benchmark baseline).
// The session copies the model; later edits of `lp` do not affect it.
// Unknown names throw Error{kUsage}.
std::unique_ptr<LpSession> makeLpSession(const Model& lp, std::string_view backend = "clp");
std::vector<std::string> mipBackendNames();
std::vector<std::string> lpBackendNames();

// Writes the model as free MPS (minimisation form; a maximisation is negated and the
// original sense recorded in a comment) or CPLEX LP format.
void writeMps(const Model& model, std::ostream& out);
void writeLp(const Model& model, std::ostream& out);
// Writes to a file chosen by extension (.mps or .lp); writes to a temp file then renames.
void writeModelFile(const Model& model, const std::string& path);

}  // namespace nnmip::mip
