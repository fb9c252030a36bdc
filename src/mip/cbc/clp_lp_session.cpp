// CLP LpSession (STYLE.md §3.1): one ClpSimplex per session, solved once with initialSolve()
// and then warm re-solved with dual(0, 1|2) after objective / bound changes. The session keeps
// its own copy of the LP data so that the ClpSimplex can be rebuilt at any time (cold mode,
// or after a solve that stopped on a limit or ran into numerical trouble).
#include <ClpConfig.h>
#include <ClpSimplex.hpp>

#include <climits>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"
#include "mip/cbc/coin_util.hpp"

namespace nnmip::mip::detail {

const char* clpVersionString() { return "clp " CLP_VERSION; }

namespace {

class ClpLpSession final : public LpSession {
 public:
  ClpLpSession(const Model& lp, bool warm);

  void setObjective(Sense sense, std::span<const Term> terms, double constant) override;
  void setVarBounds(Var v, double lb, double ub) override;
  void setRowBounds(Row r, double lb, double ub) override;
  LpResult solve(const LpParams& params) override;
  long totalIterations() const override { return total_iterations_; }

 private:
  void rebuild();

  bool warm_;
  int num_cols_;
  int num_rows_;
  CoinPackedMatrix matrix_;
  std::vector<double> col_lb_, col_ub_, row_lb_, row_ub_;
  std::vector<double> cost_;  // user sense; CLP gets the direction separately
  Sense sense_ = Sense::kMinimize;
  double constant_ = 0.0;

  std::unique_ptr<ClpSimplex> clp_;  // null until the first solve or after invalidation
  bool have_basis_ = false;          // the last solve ended optimal/infeasible/unbounded
  long total_iterations_ = 0;
};

ClpLpSession::ClpLpSession(const Model& lp, bool warm)
    : warm_(warm), num_cols_(lp.numVars()), num_rows_(lp.numRows()) {
  validateModel(lp);
  try {
    matrix_ = buildColumnMatrix(lp);
  } catch (const CoinError& e) {
    rethrowCoin(e, "clp session");
  }
  for (const Column& c : lp.columns()) {
    col_lb_.push_back(c.lb);
    col_ub_.push_back(c.ub);
  }
  for (const Constraint& r : lp.rows()) {
    row_lb_.push_back(r.lb);
    row_ub_.push_back(r.ub);
  }
  cost_ = denseObjective(lp);
  sense_ = lp.objective().sense;
  constant_ = lp.objective().constant;
}

void ClpLpSession::rebuild() {
  auto clp = std::make_unique<ClpSimplex>();
  clp->setLogLevel(0);
  std::vector<double> cl(col_lb_.size()), cu(col_ub_.size()), rl(row_lb_.size()),
      ru(row_ub_.size());
  for (size_t j = 0; j < cl.size(); ++j) {
    cl[j] = toCoin(col_lb_[j]);
    cu[j] = toCoin(col_ub_[j]);
  }
  for (size_t i = 0; i < rl.size(); ++i) {
    rl[i] = toCoin(row_lb_[i]);
    ru[i] = toCoin(row_ub_[i]);
  }
  clp->loadProblem(matrix_, cl.data(), cu.data(), cost_.data(), rl.data(), ru.data());
  clp->setOptimizationDirection(sense_ == Sense::kMaximize ? -1.0 : 1.0);
  clp_ = std::move(clp);
  have_basis_ = false;
}

void ClpLpSession::setObjective(Sense sense, std::span<const Term> terms, double constant) {
  std::vector<double> cost(static_cast<size_t>(num_cols_), 0.0);
  for (const Term& t : terms) {
    if (t.var.id < 0 || t.var.id >= num_cols_) {
      fail(ErrorKind::kInvalidInput, "LP objective uses unknown variable {}", t.var.id);
    }
    if (!std::isfinite(t.coef)) fail(ErrorKind::kInvalidInput, "LP objective has a non-finite coefficient");
    cost[static_cast<size_t>(t.var.id)] += t.coef;
  }
  if (!std::isfinite(constant)) fail(ErrorKind::kInvalidInput, "LP objective constant is not finite");
  try {
    if (clp_) {
      // Only touch the entries that change (this resets the previous objective's entries).
      for (int j = 0; j < num_cols_; ++j) {
        if (cost[static_cast<size_t>(j)] != cost_[static_cast<size_t>(j)]) {
          clp_->setObjectiveCoefficient(j, cost[static_cast<size_t>(j)]);
        }
      }
      clp_->setOptimizationDirection(sense == Sense::kMaximize ? -1.0 : 1.0);
    }
  } catch (const CoinError& e) {
    rethrowCoin(e, "clp setObjective");
  }
  cost_ = std::move(cost);
  sense_ = sense;
  constant_ = constant;
}

void ClpLpSession::setVarBounds(Var v, double lb, double ub) {
  if (v.id < 0 || v.id >= num_cols_) fail(ErrorKind::kInvalidInput, "unknown LP variable {}", v.id);
  if (std::isnan(lb) || std::isnan(ub)) fail(ErrorKind::kInvalidInput, "NaN bound for variable {}", v.id);
  col_lb_[static_cast<size_t>(v.id)] = lb;
  col_ub_[static_cast<size_t>(v.id)] = ub;
  try {
    if (clp_) clp_->setColumnBounds(v.id, toCoin(lb), toCoin(ub));
  } catch (const CoinError& e) {
    rethrowCoin(e, "clp setVarBounds");
  }
}

void ClpLpSession::setRowBounds(Row r, double lb, double ub) {
  if (r.id < 0 || r.id >= num_rows_) fail(ErrorKind::kInvalidInput, "unknown LP row {}", r.id);
  if (std::isnan(lb) || std::isnan(ub)) fail(ErrorKind::kInvalidInput, "NaN bound for row {}", r.id);
  row_lb_[static_cast<size_t>(r.id)] = lb;
  row_ub_[static_cast<size_t>(r.id)] = ub;
  try {
    if (clp_) clp_->setRowBounds(r.id, toCoin(lb), toCoin(ub));
  } catch (const CoinError& e) {
    rethrowCoin(e, "clp setRowBounds");
  }
}

LpResult ClpLpSession::solve(const LpParams& params) {
  Timer timer;
  LpResult result;
  result.stats.backend = clpVersionString();

  // A bound pair with lb > ub is an infeasible LP; answer without asking CLP (whose
  // behaviour on crossed bounds is not something to rely on).
  for (int j = 0; j < num_cols_; ++j) {
    if (col_lb_[static_cast<size_t>(j)] > col_ub_[static_cast<size_t>(j)]) {
      result.termination = Termination::kInfeasible;
      result.detail = fmt::format("variable {} has crossed bounds", j);
      result.stats.wall_s = timer.seconds();
      return result;
    }
  }
  for (int i = 0; i < num_rows_; ++i) {
    if (row_lb_[static_cast<size_t>(i)] > row_ub_[static_cast<size_t>(i)]) {
      result.termination = Termination::kInfeasible;
      result.detail = fmt::format("row {} has crossed bounds", i);
      result.stats.wall_s = timer.seconds();
      return result;
    }
  }

  try {
    if (!warm_ || !clp_) rebuild();
    clp_->setMaximumIterations(params.iteration_limit
                                   ? static_cast<int>(std::clamp<long>(*params.iteration_limit, 0,
                                                                       INT_MAX))
                                   : INT_MAX);
    clp_->setMaximumWallSeconds(params.time_limit_s ? std::max(0.0, *params.time_limit_s) : -1.0);
    if (have_basis_ && warm_) {
      clp_->dual(0, 1 | 2);
    } else {
      clp_->initialSolve();
    }
    const int status = clp_->status();
    const int secondary = clp_->secondaryStatus();
    result.detail = fmt::format("clp status {}/{}", status, secondary);
    result.stats.lp_iterations = clp_->numberIterations();
    total_iterations_ += result.stats.lp_iterations;

    if (status == 0 && !(secondary >= 2 && secondary <= 4)) {
      result.termination = Termination::kOptimal;
      const double* x = clp_->primalColumnSolution();
      result.values.assign(x, x + num_cols_);
      double v = constant_;
      for (int j = 0; j < num_cols_; ++j) {
        v += cost_[static_cast<size_t>(j)] * result.values[static_cast<size_t>(j)];
      }
      result.objective = v;
      have_basis_ = true;
    } else if (status == 1) {
      result.termination = Termination::kInfeasible;
      have_basis_ = true;
    } else if (status == 2) {
      result.termination = Termination::kUnbounded;
      have_basis_ = true;
    } else if (status == 3) {
      result.termination = Termination::kLimitNoSolution;
      result.limit = secondary == 9 ? Limit::kTime : Limit::kIterations;
      clp_.reset();  // start clean next time
    } else {
      // 0 with unscaled infeasibilities, 4 (errors), 5 (event), -1: not proven.
      result.termination = Termination::kError;
      clp_.reset();
    }
  } catch (const CoinError& e) {
    clp_.reset();
    rethrowCoin(e, "clp solve");
  }
  result.stats.wall_s = timer.seconds();
  return result;
}

}  // namespace

std::unique_ptr<LpSession> makeClpLpSession(const Model& lp, bool warm) {
  return std::make_unique<ClpLpSession>(lp, warm);
}

}  // namespace nnmip::mip::detail
