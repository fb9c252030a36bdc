// CBC backend, direct route (STYLE.md §3.2): one OsiClpSolverInterface and one CbcModel per
// solve() call, nothing shared between calls, so independent solves may run in parallel threads.
//
// Sign convention: CBC always sees a minimisation. For a max problem we negate the objective
// ourselves (internal = -c), so every value CBC reports (incumbent, bound, cutoff, event values)
// is in min form and converts back as user = sense * internal + constant, sense = +-1. The
// objective constant never goes to COIN (§3.4).
#include <CbcConfig.h>
#include <CbcEventHandler.hpp>
#include <CbcModel.hpp>
#include <CbcStrategy.hpp>
#include <CoinMessageHandler.hpp>
#include <OsiClpSolverInterface.hpp>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"
#include "mip/cbc/coin_util.hpp"

namespace nnmip::mip::detail {

const char* cbcVersionString() { return "cbc " CBC_VERSION; }

namespace {

// ---------------------------------------------------------------------------------------------
// Backend options (params.backend_options); unknown keys throw.

struct CbcOptions {
  bool strategy = true;    // "strategy": "default" | "none"
  bool cuts = true;        // "cuts": "on" | "off"   (only meaningful with the strategy)
  bool heuristics = true;  // "heuristics": "on" | "off"
  int strong = 5;          // "strong": number of strong-branching candidates
  int trust = 5;           // "trust": number before trusting pseudo costs
  std::optional<double> integer_tolerance;  // "integer_tolerance"
  std::optional<double> cutoff_increment;   // "cutoff_increment"
  // "end_check": "cold" | "warm". CBC checks every integer solution (and re-checks the best one
  // when it stops) by an LP over the continuous columns with the integers fixed, solved from the
  // all-slack basis by default; on large models that final LP can take longer than the time
  // limit allowed (19 s after a 20 s limit on the BCW training MILP, d1 = 25). "warm" starts those
  // LPs from the current basis (CBC special option 2): same LP, same validity, faster.
  bool warm_end_check = false;
};

bool parseOnOff(const std::string& key, const std::string& value) {
  if (value == "on" || value == "true" || value == "1") return true;
  if (value == "off" || value == "false" || value == "0") return false;
  fail(ErrorKind::kInvalidInput, "cbc option '{}': expected on/off, got '{}'", key, value);
}

double parseDouble(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const double v = std::stod(value, &used);
    if (used == value.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  fail(ErrorKind::kInvalidInput, "cbc option '{}': expected a number, got '{}'", key, value);
}

int parseInt(const std::string& key, const std::string& value) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < 0) {
    fail(ErrorKind::kInvalidInput, "cbc option '{}': expected a non-negative integer, got '{}'",
         key, value);
  }
  return v;
}

CbcOptions parseOptions(const std::map<std::string, std::string>& options) {
  CbcOptions o;
  for (const auto& [raw_key, value] : options) {
    // Accept both "cuts" and "cbc.cuts" (the CLI's --backend-opt cbc.cuts=off form).
    const std::string key = raw_key.rfind("cbc.", 0) == 0 ? raw_key.substr(4) : raw_key;
    if (key == "strategy") {
      if (value == "default") {
        o.strategy = true;
      } else if (value == "none") {
        o.strategy = false;
      } else {
        fail(ErrorKind::kInvalidInput, "cbc option 'strategy': expected default/none, got '{}'",
             value);
      }
    } else if (key == "cuts") {
      o.cuts = parseOnOff(key, value);
    } else if (key == "heuristics") {
      o.heuristics = parseOnOff(key, value);
    } else if (key == "strong") {
      o.strong = parseInt(key, value);
    } else if (key == "trust") {
      o.trust = parseInt(key, value);
    } else if (key == "integer_tolerance") {
      o.integer_tolerance = parseDouble(key, value);
    } else if (key == "cutoff_increment") {
      o.cutoff_increment = parseDouble(key, value);
    } else if (key == "end_check") {
      if (value != "cold" && value != "warm") {
        fail(ErrorKind::kInvalidInput, "cbc option 'end_check': expected cold/warm, got '{}'",
             value);
      }
      o.warm_end_check = value == "warm";
    } else {
      fail(ErrorKind::kInvalidInput,
           "unknown cbc option '{}' (known: strategy, cuts, heuristics, strong, trust, "
           "integer_tolerance, cutoff_increment, end_check)",
           raw_key);
    }
  }
  return o;
}

// CbcStrategyDefault(1, strong, trust) with cut generators and/or heuristics optionally removed.
class Strategy : public CbcStrategyDefault {
 public:
  Strategy(int strong, int trust, bool cuts, bool heuristics)
      : CbcStrategyDefault(/*cutsOnlyAtRoot=*/1, strong, trust),
        cuts_(cuts),
        heuristics_(heuristics) {}
  CbcStrategy* clone() const override { return new Strategy(*this); }
  void setupCutGenerators(CbcModel& model) override {
    if (cuts_) CbcStrategyDefault::setupCutGenerators(model);
  }
  void setupHeuristics(CbcModel& model) override {
    if (heuristics_) CbcStrategyDefault::setupHeuristics(model);
  }

 private:
  bool cuts_;
  bool heuristics_;
};

// ---------------------------------------------------------------------------------------------
// Log forwarding: each solve gets its own handler; lines go to Callbacks::on_log.

class ForwardingHandler : public CoinMessageHandler {
 public:
  explicit ForwardingHandler(const Callbacks* callbacks) : callbacks_(callbacks) {}
  CoinMessageHandler* clone() const override { return new ForwardingHandler(*this); }
  int print() override {
    if (callbacks_ != nullptr && callbacks_->on_log) {
      std::string line(messageBuffer());
      while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) callbacks_->on_log(Level::kInfo, line);
    }
    return 0;
  }

 private:
  const Callbacks* callbacks_;
};

// ---------------------------------------------------------------------------------------------
// Progress and interruption. CBC clones the handler (passInEventHandler), so the state that must
// survive lives in a struct owned by solve() and referenced by pointer.

struct EventState {
  const Callbacks* callbacks = nullptr;
  double sense = 1.0;  // user = sense * internal + constant
  double constant = 0.0;
  double last_incumbent = NAN;  // internal form, for de-duplication
  double last_node_report_s = -1.0;
  bool interrupted = false;
  int num_cols = 0;
};

class EventHandler : public CbcEventHandler {
 public:
  explicit EventHandler(EventState* state) : state_(state) {}
  CbcEventHandler* clone() const override { return new EventHandler(*this); }

  CbcAction event(CbcEvent which) override {
    if (model_ == nullptr || model_->parentModel() != nullptr) return noAction;  // sub-B&B
    const Callbacks& cb = *state_->callbacks;
    const bool is_solution = which == solution || which == heuristicSolution;
    if (is_solution || which == node || which == treeStatus || which == endSearch) {
      if (cb.on_progress) {
        const double elapsed = model_->getCurrentSeconds();
        bool report = false;
        const double inc = model_->getMinimizationObjValue();
        const bool has_inc = model_->bestSolution() != nullptr && inc < 1e49;
        // Every new incumbent is reported with its values, on the event that first sees it:
        // CBC's root heuristics can set one without a solution event.
        const bool new_incumbent = has_inc && !(inc == state_->last_incumbent);
        if (new_incumbent) {
          state_->last_incumbent = inc;
          report = true;
        } else if (which == endSearch ||
                   (!is_solution && elapsed - state_->last_node_report_s >= 1.0)) {
          report = true;
        }
        if (report) {
          state_->last_node_report_s = elapsed;
          ProgressEvent e;
          e.phase = "milp";
          e.elapsed_s = elapsed;
          if (has_inc) e.incumbent = state_->sense * inc + state_->constant;
          if (new_incumbent) {
            e.incumbent_values = {model_->bestSolution(), static_cast<size_t>(state_->num_cols)};
          }
          const double bound = model_->getBestPossibleObjValue();
          if (std::abs(bound) < 1e49) e.bound = state_->sense * bound + state_->constant;
          e.nodes = model_->getNodeCount();
          cb.on_progress(e);
        }
      }
    }
    if (which != endSearch && cb.stopRequested()) {
      state_->interrupted = true;
      return stop;
    }
    return noAction;
  }

 private:
  EventState* state_;
};

// ---------------------------------------------------------------------------------------------

// True when the LP relaxation of `osi` (our untouched copy of the model) is unbounded.
bool relaxationUnbounded(OsiClpSolverInterface& osi) {
  osi.initialSolve();
  return osi.isProvenDualInfeasible() && !osi.isProvenPrimalInfeasible();
}

class CbcMipSolver final : public MipSolver {
 public:
  std::string_view name() const override { return "cbc"; }
  Capabilities capabilities() const override {
    return Capabilities{.mip_start = true, .threads = true, .cutoff = true, .time_limit = true};
  }
  MipResult solve(const Model& model, const MipParams& params, const Callbacks& callbacks) override;
};

MipResult CbcMipSolver::solve(const Model& model, const MipParams& params,
                              const Callbacks& callbacks) {
  validateModel(model);
  const CbcOptions options = parseOptions(params.backend_options);
  const int n = model.numVars();
  if (!params.start.empty() && static_cast<int>(params.start.size()) != n) {
    fail(ErrorKind::kInvalidInput, "MIP start has {} values for {} variables", params.start.size(),
         n);
  }
  if (params.threads < 1) fail(ErrorKind::kInvalidInput, "threads must be >= 1");

  Timer timer;
  MipResult result;
  result.stats.backend = cbcVersionString();

  const Objective& obj = model.objective();
  const double sense = obj.sense == Sense::kMaximize ? -1.0 : 1.0;
  const double constant = obj.constant;

  try {
    // Build the LP in min form.
    std::vector<double> col_lb(static_cast<size_t>(n)), col_ub(static_cast<size_t>(n));
    for (int j = 0; j < n; ++j) {
      col_lb[static_cast<size_t>(j)] = toCoin(model.columns()[static_cast<size_t>(j)].lb);
      col_ub[static_cast<size_t>(j)] = toCoin(model.columns()[static_cast<size_t>(j)].ub);
    }
    std::vector<double> cost = denseObjective(model);
    for (double& c : cost) c *= sense;
    std::vector<double> row_lb(static_cast<size_t>(model.numRows()));
    std::vector<double> row_ub(static_cast<size_t>(model.numRows()));
    for (int i = 0; i < model.numRows(); ++i) {
      row_lb[static_cast<size_t>(i)] = toCoin(model.rows()[static_cast<size_t>(i)].lb);
      row_ub[static_cast<size_t>(i)] = toCoin(model.rows()[static_cast<size_t>(i)].ub);
    }
    const CoinPackedMatrix matrix = buildColumnMatrix(model);

    // Handlers must outlive the solver objects that point at them.
    // Two handlers: CbcModel::passInMessageHandler also installs its handler in the solver, and
    // the LP chatter must stay at level 0 while the B&B log may be at level 1.
    ForwardingHandler log_handler(&callbacks);
    log_handler.setLogLevel(params.solver_log ? 1 : 0);
    ForwardingHandler lp_handler(&callbacks);
    lp_handler.setLogLevel(0);
    EventState event_state;
    event_state.callbacks = &callbacks;
    event_state.sense = sense;
    event_state.constant = constant;
    event_state.num_cols = n;

    OsiClpSolverInterface osi;
    osi.passInMessageHandler(&lp_handler);
    osi.loadProblem(matrix, col_lb.data(), col_ub.data(), cost.data(), row_lb.data(),
                    row_ub.data());
    osi.setObjSense(1.0);
    for (int j = 0; j < n; ++j) {
      if (model.columns()[static_cast<size_t>(j)].type != VarType::kContinuous) osi.setInteger(j);
    }

    CbcModel cbc(osi);  // copies osi: from here on only cbc.solver() is used
    cbc.passInMessageHandler(&log_handler);
    cbc.setLogLevel(params.solver_log ? 1 : 0);
    cbc.solver()->passInMessageHandler(&lp_handler);
    if (options.strategy) {
      Strategy strategy(options.strong, options.trust, options.cuts, options.heuristics);
      cbc.setStrategy(strategy);  // clones
    }
    cbc.setUseElapsedTime(true);
    if (params.time_limit_s) cbc.setMaximumSeconds(std::max(0.0, *params.time_limit_s));
    cbc.setAllowableFractionGap(params.rel_gap);
    cbc.setAllowableGap(params.abs_gap);
    if (params.threads > 1) cbc.setNumberThreads(params.threads);
    if (params.node_limit) {
      cbc.setMaximumNodes(static_cast<int>(std::clamp<long>(*params.node_limit, 0, INT_MAX)));
    }
    if (params.iteration_limit) {
      cbc.setMaximumNumberIterations(
          static_cast<int>(std::clamp<long>(*params.iteration_limit, 0, INT_MAX)));
    }
    if (params.cutoff) cbc.setCutoff(sense * (*params.cutoff - constant));
    if (options.integer_tolerance) cbc.setIntegerTolerance(*options.integer_tolerance);
    if (options.cutoff_increment) {
      cbc.setCutoffIncrement(*options.cutoff_increment);
    } else if (params.exact_dual_bound) {
      cbc.setCutoffIncrement(1e-9);
    }
    if (options.warm_end_check) cbc.setSpecialOptions(cbc.specialOptions() | 2);
    if (!params.start.empty()) {
      const double start_obj = sense * (model.objectiveValue(params.start) - constant);
      cbc.setBestSolution(params.start.data(), n, start_obj, /*check=*/true);
    }
    EventHandler handler(&event_state);
    cbc.passInEventHandler(&handler);  // clones

    if (callbacks.stopRequested()) {
      result.termination = Termination::kLimitNoSolution;
      result.limit = Limit::kInterrupted;
      result.detail = "interrupted before the solve started";
      result.stats.wall_s = timer.seconds();
      return result;
    }

    // MipParams::report_root_lp: the root LP's value is a dual bound, reported before CBC's root
    // cut loop. Solved on our copy: handing CBC a solved LP changed its search (fewer nodes and
    // weaker bounds in the same time on the PV margin MILPs), so CBC starts as it always did.
    if (params.report_root_lp) {
      osi.initialSolve();
      if (callbacks.on_progress && osi.isProvenOptimal()) {
        ProgressEvent e;
        e.phase = "milp";
        e.elapsed_s = timer.seconds();
        e.bound = sense * osi.getObjValue() + constant;
        callbacks.on_progress(e);
      }
    }
    cbc.branchAndBound();

    const int status = cbc.status();
    const int secondary = cbc.secondaryStatus();
    result.detail = fmt::format("cbc status {}/{}", status, secondary);
    result.stats.nodes = cbc.getNodeCount();
    result.stats.lp_iterations = cbc.getIterationCount();

    const double* best = cbc.bestSolution();
    if (best != nullptr) {
      result.values.assign(best, best + n);
      result.objective = model.objectiveValue(result.values);
    }
    const double internal_bound = cbc.getBestPossibleObjValue();
    if (std::abs(internal_bound) < 1e49) result.best_bound = sense * internal_bound + constant;

    const bool has_solution = result.hasSolution();
    if (status == 0 && cbc.isContinuousUnbounded()) {
      result.termination = Termination::kUnbounded;
      result.values.clear();
      result.objective.reset();
      result.best_bound = sense * -kInf;
    } else if (status == 0 && secondary == 7) {
      result.termination = Termination::kUnbounded;
      result.best_bound = sense * -kInf;
    } else if (status == 0 && secondary == 0 && has_solution) {
      result.termination = Termination::kOptimal;
      result.best_bound = *result.objective;
    } else if (status == 0 && secondary == 1 && has_solution) {
      // "Relaxation worse than the cutoff": with a MIP start CBC sets the cutoff just below the
      // start's value, so a root LP above it proves the start optimal up to the cutoff
      // increment. The dual bound keeps that increment so it stays valid.
      result.termination = Termination::kOptimal;
      const double internal_obj = sense * (*result.objective - constant);
      result.best_bound = sense * (internal_obj - cbc.getCutoffIncrement()) + constant;
      result.detail += " (MIP start proved optimal at the root)";
    } else if (status == 0 && secondary == 2 && has_solution) {
      result.termination = Termination::kLimitFeasible;
      result.limit = Limit::kGap;
    } else if (status == 0 && !has_solution && relaxationUnbounded(osi)) {
      // CBC 2.10.8 can finish with status 0/0 and no solution when the root LP is unbounded
      // (isContinuousUnbounded() stays false), so we ask CLP about the relaxation ourselves.
      // As in CBC and or-tools, an unbounded relaxation is reported as unbounded even though
      // the integer problem could in principle be infeasible.
      result.termination = Termination::kUnbounded;
      result.best_bound = sense * -kInf;
    } else if (status == 0 && !has_solution) {
      // Proven infeasible (or nothing better than the cutoff exists).
      result.termination = Termination::kInfeasible;
      result.best_bound = sense * kInf;
      if (params.cutoff) result.detail += " (no solution better than the cutoff)";
    } else if (status == 1 || (status == 5)) {
      result.termination =
          has_solution ? Termination::kLimitFeasible : Termination::kLimitNoSolution;
      switch (secondary) {
        case 3: result.limit = Limit::kNodes; break;
        case 4: result.limit = Limit::kTime; break;
        case 5: result.limit = Limit::kInterrupted; break;
        case 6: result.limit = Limit::kSolutions; break;
        case 8: result.limit = Limit::kIterations; break;
        default: result.limit = event_state.interrupted ? Limit::kInterrupted : Limit::kTime; break;
      }
      if (event_state.interrupted) result.limit = Limit::kInterrupted;
    } else {
      result.termination = Termination::kError;
      result.detail += " (abandoned: numerical difficulties)";
    }
  } catch (const CoinError& e) {
    rethrowCoin(e, "cbc solve");
  }
  result.stats.wall_s = timer.seconds();
  return result;
}

}  // namespace

std::unique_ptr<MipSolver> makeCbcMipSolver() { return std::make_unique<CbcMipSolver>(); }

}  // namespace nnmip::mip::detail
