// CLP LpSession (STYLE.md §3.1): one ClpSimplex per session, re-solved after objective / bound
// changes. The session keeps its own copy of the LP data so that the ClpSimplex can be rebuilt at
// any time (cold mode, or after a solve that stopped on a limit or ran into numerical trouble).
//
// How a solve starts (ClpStart, chosen by the backend name, see mip/backends.hpp):
//   warm     dual(0, 1|2) from the previous basis (STYLE.md §3.1);
//   restart  the slack basis with every structural column at the bound its cost prefers, then
//            dual simplex with CLP's cost perturbation on (setPerturbation(50)). The start is dual
//            feasible except for columns with a zero cost. On the bound LPs of wide networks (about
//            800 boxed input columns, 2 rows per unstable neuron, objectives on a few columns)
//            the previous optimum is a bad start for a new objective (dual(0, 1|2) took ~800
//            iterations per LP, about one per input), while this restart takes ~20
//            (docs/results_bounds.md). Without the perturbation the all-zero reduced costs of
//            the inputs make the dual simplex stall just as long;
//   auto     on a wide LP (#columns >= 2 #rows) restart when the objective changed since the
//            last solve, warm otherwise (bound and row changes keep the old basis dual
//            feasible, so the warm dual is the right start there); a narrow LP starts with
//            initialSolve() and then always resumes warm (STYLE.md §3.1's regime: 20 inputs,
//            150-400 ReLUs, where warm took about half the time of the restart);
//   cold     a fresh ClpSimplex and initialSolve() for every solve (benchmark baseline).
// The restart and wide auto sessions run with CLP's scaling off: on the mnist bound LPs that
// took 0.45x the iterations of the default scaling on the deep layers of 256x4 and never left
// a solve unproven (tolerances then apply to the LP as given). Narrow auto sessions and the
// baselines keep the default scaling.
// A solve that ends unproven (not a limit) is retried within solve() on a fresh, scaled copy
// (the restart, then a cold initialSolve()); if the baselines or all of these fail, the
// ClpSimplex is dropped and the next solve is a cold initialSolve() on a fresh copy.
#include <ClpConfig.h>
#include <ClpSimplex.hpp>

#include <climits>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "mip/backends.hpp"
#include "mip/cbc/coin_util.hpp"

namespace nnmip::mip::detail {

const char* clpVersionString() { return "clp " CLP_VERSION; }

namespace {

class ClpLpSession final : public LpSession {
 public:
  ClpLpSession(const Model& lp, ClpStart start);

  void setObjective(Sense sense, std::span<const Term> terms, double constant) override;
  void setVarBounds(Var v, double lb, double ub) override;
  void setRowBounds(Row r, double lb, double ub) override;
  LpResult solve(const LpParams& params) override;
  long totalIterations() const override { return total_iterations_; }

 private:
  // A fresh ClpSimplex; scaled = CLP's default scaling, otherwise scaling off.
  void rebuild(bool scaled);
  // Loads the session's matrix and bounds (infinities as COIN's) with `cost` into `clp`.
  void loadInto(ClpSimplex& clp, const double* cost) const;
  // Slack basis, structural columns at the bound their cost prefers (see the file comment).
  void crashFromCosts();
  // After an infeasible solve: CLP's infeasibility ray over the rows, signed so that it proves
  // infeasibility in double arithmetic if either sign does; when CLP has none (presolve or its
  // empty-problem check decided) or it proves nothing, the row duals of the elastic LP
  // min sum(p + q) s.t. lb <= A x + p - q <= ub, x in the box, p, q >= 0 (optimum > 0; its duals
  // lie in [-1, 1], so they are a Farkas vector of the original rows). Empty if both fail.
  std::vector<double> farkasRay() const;
  // sum_i y_i (its lower or upper side) - max over the column box of (A^T y)^T x, in double.
  double farkasGap(const std::vector<double>& y) const;
  std::vector<double> elasticDuals() const;

  ClpStart start_;
  int num_cols_;
  int num_rows_;
  CoinPackedMatrix matrix_;
  std::vector<double> col_lb_, col_ub_, row_lb_, row_ub_;
  std::vector<double> cost_;  // user sense; CLP gets the direction separately
  Sense sense_ = Sense::kMinimize;
  double constant_ = 0.0;

  std::unique_ptr<ClpSimplex> clp_;  // null until the first solve or after invalidation
  bool have_basis_ = false;          // the last solve ended optimal/infeasible/unbounded
  bool objective_changed_ = true;    // since the last solve
  bool cold_next_ = false;           // the last solve ended unproven: next one cold
  bool fresh_next_ = false;          // the last solve used a fallback: next one on a fresh copy
  long total_iterations_ = 0;
};

ClpLpSession::ClpLpSession(const Model& lp, ClpStart start)
    : start_(start), num_cols_(lp.numVars()), num_rows_(lp.numRows()) {
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

void ClpLpSession::loadInto(ClpSimplex& clp, const double* cost) const {
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
  clp.loadProblem(matrix_, cl.data(), cu.data(), cost, rl.data(), ru.data());
}

void ClpLpSession::rebuild(bool scaled) {
  auto clp = std::make_unique<ClpSimplex>();
  clp->setLogLevel(0);
  if (!scaled) clp->scaling(0);
  loadInto(*clp, cost_.data());
  clp->setOptimizationDirection(sense_ == Sense::kMaximize ? -1.0 : 1.0);
  clp_ = std::move(clp);
  have_basis_ = false;
}

void ClpLpSession::crashFromCosts() {
  clp_->allSlackBasis(true);
  const double dir = sense_ == Sense::kMaximize ? -1.0 : 1.0;  // CLP minimises dir * cost
  double* x = clp_->primalColumnSolution();
  for (int j = 0; j < num_cols_; ++j) {
    const size_t k = static_cast<size_t>(j);
    const double d = dir * cost_[k];
    if (d > 0.0 && col_lb_[k] > -kInf) {
      clp_->setColumnStatus(j, ClpSimplex::atLowerBound);
      x[j] = col_lb_[k];
    } else if (d < 0.0 && col_ub_[k] < kInf) {
      clp_->setColumnStatus(j, ClpSimplex::atUpperBound);
      x[j] = col_ub_[k];
    }
    // A zero cost, or a cost pushing towards an infinite bound: allSlackBasis's choice stays.
  }
}

double ClpLpSession::farkasGap(const std::vector<double>& y) const {
  double rows = 0.0;
  for (int i = 0; i < num_rows_; ++i) {
    const double yi = y[static_cast<size_t>(i)];
    const double side =
        yi > 0.0 ? row_lb_[static_cast<size_t>(i)] : row_ub_[static_cast<size_t>(i)];
    if (yi != 0.0 && std::isfinite(side)) rows += yi * side;
  }
  double box = 0.0;
  for (int j = 0; j < num_cols_; ++j) {
    const CoinShallowPackedVector col = matrix_.getVector(j);
    double r = 0.0;
    for (int k = 0; k < col.getNumElements(); ++k) {
      r += y[static_cast<size_t>(col.getIndices()[k])] * col.getElements()[k];
    }
    if (r == 0.0) continue;
    const double x = r > 0.0 ? col_ub_[static_cast<size_t>(j)] : col_lb_[static_cast<size_t>(j)];
    box += r * x;  // an infinite x gives +inf: no certificate
  }
  return rows - box;
}

std::vector<double> ClpLpSession::elasticDuals() const {
  ClpSimplex elastic;
  elastic.setLogLevel(0);
  const std::vector<double> zero(col_lb_.size(), 0.0);
  loadInto(elastic, zero.data());
  // p_i: +1 in row i, q_i: -1 in row i; cost 1, in [0, inf).
  const int m = num_rows_;
  std::vector<CoinBigIndex> starts(static_cast<size_t>(2 * m) + 1);
  std::vector<int> rows(static_cast<size_t>(2 * m));
  std::vector<double> elements(static_cast<size_t>(2 * m));
  for (int k = 0; k < 2 * m; ++k) {
    starts[static_cast<size_t>(k)] = k;
    rows[static_cast<size_t>(k)] = k % m;
    elements[static_cast<size_t>(k)] = k < m ? 1.0 : -1.0;
  }
  starts[static_cast<size_t>(2 * m)] = 2 * m;
  const std::vector<double> lower(static_cast<size_t>(2 * m), 0.0);
  const std::vector<double> upper(static_cast<size_t>(2 * m), COIN_DBL_MAX);
  const std::vector<double> cost(static_cast<size_t>(2 * m), 1.0);
  elastic.addColumns(2 * m, lower.data(), upper.data(), cost.data(), starts.data(), rows.data(),
                     elements.data());
  elastic.setOptimizationDirection(1.0);
  elastic.initialSolve();
  if (elastic.status() != 0 || elastic.objectiveValue() <= 0.0) return {};
  const double* y = elastic.dualRowSolution();
  return std::vector<double>(y, y + m);
}

std::vector<double> ClpLpSession::farkasRay() const {
  std::vector<double> y;
  if (const std::unique_ptr<double[]> ray(clp_->infeasibilityRay()); ray) {
    y.assign(ray.get(), ray.get() + num_rows_);
    std::vector<double> minus(y);
    for (double& v : minus) v = -v;
    if (farkasGap(minus) > farkasGap(y)) y = std::move(minus);
  }
  if (y.empty() || !(farkasGap(y) > 0.0)) y = elasticDuals();
  return y;
}

void ClpLpSession::setObjective(Sense sense, std::span<const Term> terms, double constant) {
  std::vector<double> cost(static_cast<size_t>(num_cols_), 0.0);
  for (const Term& t : terms) {
    if (t.var.id < 0 || t.var.id >= num_cols_) {
      fail(ErrorKind::kInvalidInput, "LP objective uses unknown variable {}", t.var.id);
    }
    if (!std::isfinite(t.coef))
      fail(ErrorKind::kInvalidInput, "LP objective has a non-finite coefficient");
    cost[static_cast<size_t>(t.var.id)] += t.coef;
  }
  if (!std::isfinite(constant))
    fail(ErrorKind::kInvalidInput, "LP objective constant is not finite");
  if (sense != sense_ || cost != cost_) objective_changed_ = true;
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
  if (std::isnan(lb) || std::isnan(ub))
    fail(ErrorKind::kInvalidInput, "NaN bound for variable {}", v.id);
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
  if (std::isnan(lb) || std::isnan(ub))
    fail(ErrorKind::kInvalidInput, "NaN bound for row {}", r.id);
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
    // The ways tried in turn while a solve ends unproven (not for the warm/cold baselines):
    // the mode's own start, then the restart on a fresh scaled copy, then a cold
    // initialSolve() on a fresh copy.
    enum class Way { kInitial, kRestart, kRestartScaled, kWarm, kInitialUnscaled };
    std::vector<Way> ways;
    const bool cold = start_ == ClpStart::kCold || cold_next_;
    // auto: wide LPs (many more columns than rows) restart on every objective change; narrow
    // ones keep the warm dual (STYLE.md 3.1's regime, where it took 2x less time).
    const bool wide = num_cols_ >= 2 * num_rows_;
    const bool restart = start_ == ClpStart::kRestart || (start_ == ClpStart::kAuto && wide &&
                                                          (objective_changed_ || !have_basis_));
    if (cold || (start_ != ClpStart::kRestart && !have_basis_ && !restart)) {
      ways = {Way::kInitial};
    } else if (restart) {
      ways = {Way::kRestart, Way::kRestartScaled, Way::kInitial};
    } else {
      ways = {Way::kWarm};
    }
    if (start_ == ClpStart::kAuto && ways.front() == Way::kWarm) {
      ways.insert(ways.end(), {Way::kRestartScaled, Way::kInitial});
    } else if (start_ == ClpStart::kAuto && ways.front() == Way::kInitial) {
      ways.push_back(Way::kRestartScaled);
    }
    // Last resort of every chain: CLP's scaling can leave a small LP "optimal for the scaled
    // problem only" (status 0/2) on every scaled attempt; unscaled, it is proven.
    ways.push_back(Way::kInitialUnscaled);
    int status = -1;
    int secondary = 0;
    long iterations = 0;
    for (size_t a = 0; a < ways.size(); ++a) {
      const Way way = ways[a];
      if (a > 0 || cold || !clp_ || fresh_next_) {
        // The restarting sessions run unscaled (see the file comment); the baselines, the
        // scaled restart and the cold fallback use CLP's default scaling.
        const bool unscaled_session =
            start_ == ClpStart::kRestart || (start_ == ClpStart::kAuto && wide);
        rebuild(way != Way::kInitialUnscaled && (!unscaled_session || a > 0 || cold));
      }
      fresh_next_ = a > 0;  // a fallback changed settings: the next solve starts fresh
      long iteration_limit = INT_MAX;
      if (params.iteration_limit)
        iteration_limit = std::max(0L, *params.iteration_limit - iterations);
      clp_->setMaximumIterations(static_cast<int>(std::min<long>(iteration_limit, INT_MAX)));
      clp_->setMaximumWallSeconds(
          params.time_limit_s ? std::max(0.0, *params.time_limit_s - timer.seconds()) : -1.0);
      switch (way) {
        case Way::kInitial:
        case Way::kInitialUnscaled:
          clp_->setPerturbation(100);  // CLP's default
          clp_->initialSolve();
          break;
        case Way::kRestartScaled:
        case Way::kRestart:
          crashFromCosts();
          clp_->setPerturbation(50);
          clp_->dual(0, 0);
          break;
        case Way::kWarm:
          clp_->setPerturbation(100);
          clp_->dual(0, 1 | 2);
          break;
      }
      status = clp_->status();
      secondary = clp_->secondaryStatus();
      iterations += clp_->numberIterations();
      const bool unproven =
          (status == 0 && secondary >= 2 && secondary <= 4) || status < 0 || status > 3;
      if (!unproven) break;
    }
    cold_next_ = false;
    objective_changed_ = false;
    result.detail = fmt::format("clp status {}/{}", status, secondary);
    result.stats.lp_iterations = iterations;
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
      // CLP's duals of the problem as given (its direction applied): y_i = d objective / d b_i,
      // the LpResult convention (checked in lp_session_test).
      const double* y = clp_->dualRowSolution();
      const double* dj = clp_->dualColumnSolution();
      result.row_duals.assign(y, y + num_rows_);
      result.reduced_costs.assign(dj, dj + num_cols_);
      have_basis_ = true;
    } else if (status == 1) {
      result.termination = Termination::kInfeasible;
      result.farkas_ray = farkasRay();
      have_basis_ = true;
    } else if (status == 2) {
      result.termination = Termination::kUnbounded;
      have_basis_ = true;
    } else if (status == 3) {
      result.termination = Termination::kLimitNoSolution;
      result.limit = secondary == 9 ? Limit::kTime : Limit::kIterations;
      clp_.reset();  // start clean next time
      cold_next_ = true;
    } else {
      // 0 with unscaled infeasibilities, 4 (errors), 5 (event), -1: not proven.
      result.termination = Termination::kError;
      clp_.reset();
      cold_next_ = true;
    }
  } catch (const CoinError& e) {
    clp_.reset();
    cold_next_ = true;
    rethrowCoin(e, "clp solve");
  }
  result.stats.wall_s = timer.seconds();
  return result;
}

}  // namespace

std::unique_ptr<LpSession> makeClpLpSession(const Model& lp, ClpStart start) {
  return std::make_unique<ClpLpSession>(lp, start);
}

}  // namespace nnmip::mip::detail
