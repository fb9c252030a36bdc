// "enum" backend: the brute-force oracle (STYLE.md §2.4 rule 5). It enumerates every
// assignment of the integer variables (binaries and small-range general integers), fixes them
// in an LpSession over the relaxation, and keeps the best LP optimum. Only for tiny models.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"

namespace nnmip::mip::detail {
namespace {

constexpr int kMaxBinaries = 20;
constexpr double kMaxPatterns = 1 << 20;  // 1,048,576 LPs at most

class EnumerationSolver final : public MipSolver {
 public:
  std::string_view name() const override { return "enum"; }
  Capabilities capabilities() const override {
    return Capabilities{.mip_start = false, .threads = false, .cutoff = false, .time_limit = true};
  }
  MipResult solve(const Model& model, const MipParams& params, const Callbacks& callbacks) override;
};

MipResult EnumerationSolver::solve(const Model& model, const MipParams& params,
                                   const Callbacks& callbacks) {
  validateModel(model);
  if (!params.backend_options.empty()) {
    fail(ErrorKind::kInvalidInput, "the enum backend has no options (got '{}')",
         params.backend_options.begin()->first);
  }
  Timer timer;
  MipResult result;
  result.stats.backend = "enum (clp " + std::string(clpVersionString()).substr(4) + ")";
  const bool maximize = model.objective().sense == Sense::kMaximize;
  // better(a, b): a is strictly better than b in the user's sense.
  auto better = [maximize](double a, double b) { return maximize ? a > b : a < b; };

  // The integer variables and their value ranges.
  struct IntVar {
    int id;
    long lo;
    long hi;
  };
  std::vector<IntVar> ints;
  int binaries = 0;
  double patterns = 1.0;
  for (int j = 0; j < model.numVars(); ++j) {
    const Column& c = model.columns()[static_cast<size_t>(j)];
    if (c.type == VarType::kContinuous) continue;
    const double lo = std::ceil(c.lb - 1e-9);
    const double hi = std::floor(c.ub + 1e-9);
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi - lo > 1e6) {
      fail(ErrorKind::kUnsupported, "enum backend: integer variable {} ('{}') has range [{}, {}]",
           j, c.name, c.lb, c.ub);
    }
    if (hi - lo == 1.0) ++binaries;
    patterns *= std::max(1.0, hi - lo + 1.0);
    ints.push_back(IntVar{j, static_cast<long>(lo), static_cast<long>(hi)});
  }
  if (binaries > kMaxBinaries || patterns > kMaxPatterns) {
    fail(ErrorKind::kUnsupported,
         "enum backend: {} integer variables ({} binary) give {} patterns; the limit is {} "
         "binaries / {} patterns",
         ints.size(), binaries, patterns, kMaxBinaries, kMaxPatterns);
  }

  std::unique_ptr<LpSession> lp = makeLpSession(model.relaxed(), "clp");
  auto remaining = [&]() -> std::optional<double> {
    if (!params.time_limit_s) return std::nullopt;
    return std::max(0.0, *params.time_limit_s - timer.seconds());
  };

  // Root relaxation: a valid bound for every pattern.
  {
    LpParams lp_params;
    lp_params.time_limit_s = remaining();
    const LpResult root = lp->solve(lp_params);
    if (root.optimal()) result.best_bound = *root.objective;
  }

  // An empty integer range means no pattern exists at all.
  bool empty_range = false;
  for (const IntVar& v : ints) empty_range = empty_range || v.hi < v.lo;

  bool any_unbounded = false;
  bool any_error = false;
  bool stopped = false;
  Limit stop_reason = Limit::kNone;
  long explored = 0;
  std::vector<long> value(ints.size());
  for (size_t k = 0; k < ints.size(); ++k) value[k] = ints[k].lo;

  while (!empty_range) {
    if (callbacks.stopRequested()) {
      stopped = true;
      stop_reason = Limit::kInterrupted;
      break;
    }
    if (params.time_limit_s && timer.seconds() >= *params.time_limit_s) {
      stopped = true;
      stop_reason = Limit::kTime;
      break;
    }
    if (params.node_limit && explored >= *params.node_limit) {
      stopped = true;
      stop_reason = Limit::kNodes;
      break;
    }
    for (size_t k = 0; k < ints.size(); ++k) {
      const double v = static_cast<double>(value[k]);
      lp->setVarBounds(Var{ints[k].id}, v, v);
    }
    LpParams lp_params;
    lp_params.time_limit_s = remaining();
    const LpResult r = lp->solve(lp_params);
    ++explored;
    if (r.optimal()) {
      if (!result.objective || better(*r.objective, *result.objective)) {
        result.objective = r.objective;
        result.values = r.values;
        for (size_t k = 0; k < ints.size(); ++k) {
          result.values[static_cast<size_t>(ints[k].id)] = static_cast<double>(value[k]);
        }
        ProgressEvent e;
        e.phase = "enum";
        e.elapsed_s = timer.seconds();
        e.incumbent = *result.objective;
        e.bound = result.best_bound;
        e.nodes = explored;
        e.done = explored;
        e.total = static_cast<long>(patterns);
        callbacks.progress(e);
      }
    } else if (r.termination == Termination::kUnbounded) {
      any_unbounded = true;
      break;
    } else if (r.termination == Termination::kLimitNoSolution) {
      stopped = true;
      stop_reason = r.limit;
      break;
    } else if (r.termination != Termination::kInfeasible) {
      any_error = true;
    }
    // Next pattern (odometer).
    size_t k = 0;
    for (; k < ints.size(); ++k) {
      if (value[k] < ints[k].hi) {
        ++value[k];
        break;
      }
      value[k] = ints[k].lo;
    }
    if (k == ints.size()) break;
  }

  result.stats.nodes = explored;
  result.stats.lp_iterations = lp->totalIterations();
  result.detail = fmt::format("enum: {} of {} patterns", explored, patterns);
  if (any_unbounded) {
    result.termination = Termination::kUnbounded;
    result.objective.reset();
    result.values.clear();
    result.best_bound = maximize ? kInf : -kInf;
  } else if (stopped) {
    result.termination =
        result.objective ? Termination::kLimitFeasible : Termination::kLimitNoSolution;
    result.limit = stop_reason;
  } else if (any_error) {
    result.termination = Termination::kError;
    result.detail += " (some LPs failed)";
  } else if (!result.objective) {
    result.termination = Termination::kInfeasible;
    result.best_bound = maximize ? -kInf : kInf;
  } else {
    result.termination = Termination::kOptimal;
    result.best_bound = *result.objective;
  }
  result.stats.wall_s = timer.seconds();
  return result;
}

}  // namespace

std::unique_ptr<MipSolver> makeEnumerationSolver() { return std::make_unique<EnumerationSolver>(); }

}  // namespace nnmip::mip::detail
