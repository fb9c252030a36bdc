#include "bdnn/exact_trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

namespace nnmip::bdnn {
namespace {

using mip::Term;
using mip::Var;

struct LayerRange {
  double lo = -1.0, hi = 1.0;
};

LayerRange weightRange(const BdnnOptions& o, bool regression_output, double output_bound) {
  if (regression_output) return {-output_bound, output_bound};
  switch (o.weights) {
    case WeightDomain::kContinuous: return {-o.weight_bound, o.weight_bound};
    case WeightDomain::kBinaryPm1: return {-1.0, 1.0};
    case WeightDomain::kBinary01: return {0.0, 1.0};
    case WeightDomain::kTernary: return {-1.0, 1.0};
  }
  return {-1.0, 1.0};
}

double maxAbsOffset(const HiddenActivation& a) {
  double m = 0.0;
  for (double o : a.offsets) m = std::max(m, std::abs(o));
  return m;
}

void checkOptions(const data::Dataset& train, const BdnnOptions& o) {
  if (o.hidden.empty()) fail(ErrorKind::kInvalidInput, "a BDNN needs at least one hidden layer");
  for (int d : o.hidden) {
    if (d < 1) fail(ErrorKind::kInvalidInput, "hidden layer width {} must be positive", d);
  }
  o.activation.validate();
  // margin 0 is the seed's non-strict formulation (options.hpp): allowed, but not sound.
  if (!(o.margin >= 0.0 && o.margin <= 1.0)) {
    fail(ErrorKind::kInvalidInput, "step margin {} must lie in [0, 1]", o.margin);
  }
  if (!(o.weight_bound > 0.0)) fail(ErrorKind::kInvalidInput, "weight bound must be positive");
  if (o.robust_radius < 0.0) fail(ErrorKind::kInvalidInput, "robust radius must be >= 0");
  if (o.l1_penalty < 0.0) fail(ErrorKind::kInvalidInput, "L1 penalty must be >= 0");
  if (train.size() == 0) fail(ErrorKind::kInvalidInput, "empty training set");
  if (!train.X.allFinite()) fail(ErrorKind::kInvalidInput, "training features contain NaN/Inf");
  if (o.output == OutputMode::kRegression) {
    if (train.target.size() != train.size()) {
      fail(ErrorKind::kInvalidInput, "regression needs one target per point ({} for {})",
           train.target.size(), train.size());
    }
    if (o.robust_radius > 0.0) {
      fail(ErrorKind::kUnsupported, "robust training is implemented for classification only");
    }
    if (o.pwl_pieces < 1) fail(ErrorKind::kInvalidInput, "pwl_pieces must be >= 1");
    return;
  }
  if (static_cast<int>(train.y.size()) != train.size()) {
    fail(ErrorKind::kInvalidInput, "classification needs one label per point");
  }
  const int max_label = *std::max_element(train.y.begin(), train.y.end());
  const int min_label = *std::min_element(train.y.begin(), train.y.end());
  if (min_label < 0) fail(ErrorKind::kInvalidInput, "negative class label {}", min_label);
  if (o.output == OutputMode::kStep && max_label > 1) {
    fail(ErrorKind::kInvalidInput,
         "the single step output handles two classes (labels 0/1); use the argmax output for {}",
         max_label + 1);
  }
}

// The pre-activation of unit c of point i in layer k >= 1 through the products with the previous
// layer's step units: sum_j (sum_t (values[t+1] - values[t]) prod_cjt + values[0] w_cj).
std::vector<Term> productTerms(const TrainingMilp& m, const HiddenActivation& act, int k, int i,
                               int c) {
  const int in = m.dims[static_cast<size_t>(k)], q = act.units();
  const auto& pi = m.prod[static_cast<size_t>(k)][static_cast<size_t>(i)];
  std::vector<Term> pre;
  for (int j = 0; j < in; ++j) {
    for (int t = 0; t < q; ++t) {
      const double delta =
          act.values[static_cast<size_t>(t) + 1] - act.values[static_cast<size_t>(t)];
      pre.push_back({pi[static_cast<size_t>((c * in + j) * q + t)], delta});
    }
    if (act.values[0] != 0.0) {
      pre.push_back({m.w[static_cast<size_t>(k)][static_cast<size_t>(c * in + j)], act.values[0]});
    }
  }
  return pre;
}

int numClasses(const data::Dataset& train) {
  const int max_label = *std::max_element(train.y.begin(), train.y.end());
  return std::max({2, train.num_classes, max_label + 1});
}

}  // namespace

TrainingMilp buildTrainingMilp(const data::Dataset& train, const BdnnOptions& options) {
  checkOptions(train, options);
  TrainingMilp m;
  m.options = options;
  m.points = train.size();
  const BdnnOptions& o = options;
  const HiddenActivation& act = o.activation;
  const int q = act.units();
  m.units = q;
  const bool regression = o.output == OutputMode::kRegression;
  const int out_dim = o.output == OutputMode::kArgmax ? numClasses(train) : 1;
  m.dims.push_back(train.features());
  for (int d : o.hidden) m.dims.push_back(d);
  m.dims.push_back(out_dim);
  const int n_layers = static_cast<int>(m.dims.size()) - 1;
  const int n = m.points;
  const double max_v = act.maxAbsValue();
  const double max_o = maxAbsOffset(act);
  const double r = o.robust_radius;
  const bool robust = r > 0.0;
  const bool classify = !regression;
  m.integral_objective = classify && o.l1_penalty == 0.0;
  double max_target = 0.0;
  if (regression) max_target = train.target.cwiseAbs().maxCoeff();
  const double out_bound =
      o.output_weight_bound > 0.0 ? o.output_weight_bound : std::max(1.0, max_target);
  mip::Model& model = m.model;

  // Weights (and the helper columns of the weight-level variants).
  m.w.resize(static_cast<size_t>(n_layers));
  m.w_sign.resize(static_cast<size_t>(n_layers));
  m.w_abs.resize(static_cast<size_t>(n_layers));
  m.w_nz.resize(static_cast<size_t>(n_layers));
  std::vector<Term> penalty_terms, nz_terms;
  for (int k = 0; k < n_layers; ++k) {
    const bool reg_out = regression && k == n_layers - 1;
    const LayerRange range = weightRange(o, reg_out, out_bound);
    m.weight_lo.push_back(range.lo);
    m.weight_hi.push_back(range.hi);
    const int rows = m.dims[static_cast<size_t>(k) + 1], cols = m.dims[static_cast<size_t>(k)];
    auto& wk = m.w[static_cast<size_t>(k)];
    for (int c = 0; c < rows; ++c) {
      for (int j = 0; j < cols; ++j) {
        const std::string name = fmt::format("W{}_{}_{}", k + 1, c, j);
        Var v;
        if (reg_out || o.weights == WeightDomain::kContinuous) {
          v = model.addContinuous(range.lo, range.hi, name);
        } else if (o.weights == WeightDomain::kBinary01) {
          v = model.addBinary(name);
        } else if (o.weights == WeightDomain::kTernary) {
          v = model.addVar(-1.0, 1.0, mip::VarType::kInteger, name);
        } else {  // kBinaryPm1: w = 2b - 1
          v = model.addContinuous(-1.0, 1.0, name);
          const Var b = model.addBinary(name + "_b");
          m.w_sign[static_cast<size_t>(k)].push_back(b);
          model.addEq(std::vector<Term>{{v, 1.0}, {b, -2.0}}, -1.0);
        }
        wk.push_back(v);
        const bool need_abs = o.l1_penalty > 0.0 || (robust && k == 0);
        if (need_abs) {
          const Var p = model.addContinuous(0.0, std::max(std::abs(range.lo), std::abs(range.hi)),
                                            name + "_abs");
          model.addGe(std::vector<Term>{{p, 1.0}, {v, -1.0}}, 0.0);
          model.addGe(std::vector<Term>{{p, 1.0}, {v, 1.0}}, 0.0);
          m.w_abs[static_cast<size_t>(k)].push_back(p);
          if (o.l1_penalty > 0.0) penalty_terms.push_back({p, o.l1_penalty});
        }
        if (o.max_nonzero_weights >= 0) {
          const Var z = model.addBinary(name + "_nz");
          model.addLe(std::vector<Term>{{v, 1.0}, {z, -range.hi}}, 0.0);
          model.addGe(std::vector<Term>{{v, 1.0}, {z, -range.lo}}, 0.0);
          m.w_nz[static_cast<size_t>(k)].push_back(z);
          nz_terms.push_back({z, 1.0});
        }
      }
    }
  }
  if (o.max_nonzero_weights >= 0) {
    model.addLe(nz_terms, static_cast<double>(o.max_nonzero_weights), "sparsity");
  }
  if (robust) {
    const int rows = m.dims[1], cols = m.dims[0];
    for (int c = 0; c < rows; ++c) {
      const Var t =
          model.addContinuous(0.0, cols * std::max(std::abs(m.weight_lo[0]), m.weight_hi[0]),
                              fmt::format("W1_{}_l1", c));
      std::vector<Term> terms{{t, 1.0}};
      for (int j = 0; j < cols; ++j)
        terms.push_back({m.w_abs[0][static_cast<size_t>(c * cols + j)], -1.0});
      model.addGe(terms, 0.0);
      m.row_l1.push_back(t);
    }
  }

  // Bounds on |a| per layer and point.
  std::vector<std::vector<double>> a_bound(static_cast<size_t>(n_layers),
                                           std::vector<double>(static_cast<size_t>(n)));
  for (int k = 0; k < n_layers; ++k) {
    const double wb = std::max(std::abs(m.weight_lo[static_cast<size_t>(k)]),
                               m.weight_hi[static_cast<size_t>(k)]);
    for (int i = 0; i < n; ++i) {
      double a = 0.0;
      if (k == 0) {
        a = wb * train.X.row(i).cwiseAbs().sum();
        if (robust) a += r * m.dims[0] * wb;
      } else {
        a = wb * m.dims[static_cast<size_t>(k)] * max_v;
        if (regression && k == n_layers - 1) a += out_bound;
      }
      a_bound[static_cast<size_t>(k)][static_cast<size_t>(i)] = a;
    }
  }

  // Thresholds.
  m.lambda.resize(static_cast<size_t>(n_layers));
  m.lambda_bound.assign(static_cast<size_t>(n_layers), 0.0);
  for (int k = 0; k < n_layers; ++k) {
    const bool has_units = k < n_layers - 1 || o.output == OutputMode::kStep;
    if (!has_units || o.threshold == ThresholdMode::kZero) continue;
    const auto& ab = a_bound[static_cast<size_t>(k)];
    const double bound =
        *std::max_element(ab.begin(), ab.end()) + (k < n_layers - 1 ? max_o : 0.0) + 1.0;
    m.lambda_bound[static_cast<size_t>(k)] = bound;
    const int count = o.threshold == ThresholdMode::kLayer ? 1 : m.dims[static_cast<size_t>(k) + 1];
    for (int c = 0; c < count; ++c) {
      m.lambda[static_cast<size_t>(k)].push_back(
          model.addContinuous(-bound, bound, fmt::format("lambda{}_{}", k + 1, c)));
    }
  }
  if (regression) m.out_bias = model.addContinuous(-out_bound, out_bound, "out_bias");

  // Per point: units, products, unit rows.
  m.unit.resize(static_cast<size_t>(n_layers));
  m.prod.resize(static_cast<size_t>(n_layers));
  if (robust) {
    for (int i = 0; i < n; ++i) m.give_up.push_back(model.addBinary(fmt::format("z{}", i)));
  }
  for (int k = 0; k < n_layers; ++k) {
    const bool hidden = k < n_layers - 1;
    const bool has_units = hidden || o.output == OutputMode::kStep;
    const int out = m.dims[static_cast<size_t>(k) + 1], in = m.dims[static_cast<size_t>(k)];
    const int qk = hidden ? q : 1;
    auto& units_k = m.unit[static_cast<size_t>(k)];
    auto& prod_k = m.prod[static_cast<size_t>(k)];
    units_k.resize(static_cast<size_t>(n));
    if (k > 0) prod_k.resize(static_cast<size_t>(n));
    const double lo = m.weight_lo[static_cast<size_t>(k)], hi = m.weight_hi[static_cast<size_t>(k)];
    for (int i = 0; i < n; ++i) {
      // Products with the previous layer's units.
      if (k > 0) {
        const auto& prev = m.unit[static_cast<size_t>(k) - 1][static_cast<size_t>(i)];
        auto& pi = prod_k[static_cast<size_t>(i)];
        pi.reserve(static_cast<size_t>(out * in * q));
        for (int c = 0; c < out; ++c) {
          for (int j = 0; j < in; ++j) {
            const Var w = m.w[static_cast<size_t>(k)][static_cast<size_t>(c * in + j)];
            for (int t = 0; t < q; ++t) {
              const Var u = prev[static_cast<size_t>(j * q + t)];
              const Var s = model.addContinuous(std::min(lo, 0.0), std::max(hi, 0.0),
                                                fmt::format("s{}_{}_{}_{}_{}", k + 1, i, c, j, t));
              model.addGe(std::vector<Term>{{s, 1.0}, {u, -lo}}, 0.0);
              model.addLe(std::vector<Term>{{s, 1.0}, {u, -hi}}, 0.0);
              model.addGe(std::vector<Term>{{s, 1.0}, {w, -1.0}, {u, -hi}}, -hi);
              model.addLe(std::vector<Term>{{s, 1.0}, {w, -1.0}, {u, -lo}}, -lo);
              pi.push_back(s);
            }
          }
        }
      }
      if (!has_units) continue;
      auto& ui = units_k[static_cast<size_t>(i)];
      const double big_m = a_bound[static_cast<size_t>(k)][static_cast<size_t>(i)] +
                           m.lambda_bound[static_cast<size_t>(k)] + (hidden ? max_o : 0.0) + 1.0;
      for (int c = 0; c < out; ++c) {
        std::vector<Term> pre;
        if (k == 0) {
          for (int l = 0; l < in; ++l) {
            const double x = train.X(i, l);
            if (x != 0.0) pre.push_back({m.w[0][static_cast<size_t>(c * in + l)], x});
          }
        } else {
          pre = productTerms(m, act, k, i, c);
        }
        const auto& lam = m.lambda[static_cast<size_t>(k)];
        if (!lam.empty()) {
          pre.push_back(
              {lam[o.threshold == ThresholdMode::kLayer ? 0 : static_cast<size_t>(c)], -1.0});
        }
        for (int t = 0; t < qk; ++t) {
          const double off = hidden ? act.offsets[static_cast<size_t>(t)] : 0.0;
          const Var u = model.addBinary(fmt::format("u{}_{}_{}_{}", k + 1, i, c, t));
          ui.push_back(u);
          std::vector<Term> act_row = pre, inact_row = pre;
          act_row.push_back({u, -big_m});
          inact_row.push_back({u, -big_m});
          if (robust && k == 0) {
            act_row.push_back({m.row_l1[static_cast<size_t>(c)], -r});
            inact_row.push_back({m.row_l1[static_cast<size_t>(c)], r});
            act_row.push_back({m.give_up[static_cast<size_t>(i)], big_m});
            inact_row.push_back({m.give_up[static_cast<size_t>(i)], -big_m});
          }
          model.addGe(act_row, off - big_m);
          model.addLe(inact_row, off - o.margin);
          if (t > 0) model.addGe(std::vector<Term>{{ui[ui.size() - 2], 1.0}, {u, -1.0}}, 0.0);
        }
      }
    }
  }

  // Output and objective.
  std::vector<Term> obj = penalty_terms;
  double obj_const = 0.0;
  const int last = n_layers - 1;
  if (o.output == OutputMode::kStep) {
    for (int i = 0; i < n; ++i) {
      const Var u = m.unit[static_cast<size_t>(last)][static_cast<size_t>(i)][0];
      const int y = train.y[static_cast<size_t>(i)];
      if (!robust) {
        if (y == 1) {
          obj.push_back({u, -1.0});
          obj_const += 1.0;
        } else {
          obj.push_back({u, 1.0});
        }
        continue;
      }
      const Var e = model.addBinary(fmt::format("e{}", i));
      m.err.push_back(e);
      if (y == 1) {
        model.addGe(std::vector<Term>{{e, 1.0}, {u, 1.0}}, 1.0);
      } else {
        model.addGe(std::vector<Term>{{e, 1.0}, {u, -1.0}}, 0.0);
      }
      model.addGe(std::vector<Term>{{e, 1.0}, {m.give_up[static_cast<size_t>(i)], -1.0}}, 0.0);
      obj.push_back({e, 1.0});
    }
  } else {
    // Output pre-activations through the products.
    auto outTerms = [&](int i, int c) { return productTerms(m, act, last, i, c); };
    if (o.output == OutputMode::kArgmax) {
      for (int i = 0; i < n; ++i) {
        const Var e = model.addBinary(fmt::format("e{}", i));
        m.err.push_back(e);
        const int y = train.y[static_cast<size_t>(i)];
        const double big_m =
            2.0 * a_bound[static_cast<size_t>(last)][static_cast<size_t>(i)] + o.margin;
        const std::vector<Term> ay = outTerms(i, y);
        for (int c = 0; c < m.dims.back(); ++c) {
          if (c == y) continue;
          std::vector<Term> row = ay;
          for (const Term& tm : outTerms(i, c)) row.push_back({tm.var, -tm.coef});
          row.push_back({e, big_m});
          model.addGe(row, o.margin);
        }
        if (robust)
          model.addGe(std::vector<Term>{{e, 1.0}, {m.give_up[static_cast<size_t>(i)], -1.0}}, 0.0);
        obj.push_back({e, 1.0});
      }
    } else {  // regression
      const double range = a_bound[static_cast<size_t>(last)][0] + max_target;
      m.pwl_range = range;
      if (o.loss == RegressionLoss::kLinf) {
        m.max_loss = model.addContinuous(0.0, range, "max_loss");
        obj.push_back({m.max_loss, 1.0});
      }
      for (int i = 0; i < n; ++i) {
        std::vector<Term> pre = outTerms(i, 0);
        pre.push_back({m.out_bias, 1.0});
        const double y = train.target(i);
        if (o.loss == RegressionLoss::kLinf) {
          std::vector<Term> up = pre, down;
          up.push_back({m.max_loss, -1.0});
          model.addLe(up, y);  // a - y <= t
          for (const Term& tm : pre) down.push_back({tm.var, -tm.coef});
          down.push_back({m.max_loss, -1.0});
          model.addLe(down, -y);  // y - a <= t
          continue;
        }
        const Var e = model.addContinuous(
            0.0, o.loss == RegressionLoss::kL1 ? range : range * range, fmt::format("loss{}", i));
        m.err.push_back(e);
        obj.push_back({e, 1.0});
        if (o.loss == RegressionLoss::kL1) {
          std::vector<Term> up = pre, down;
          up.push_back({e, -1.0});
          model.addLe(up, y);
          for (const Term& tm : pre) down.push_back({tm.var, -tm.coef});
          down.push_back({e, -1.0});
          model.addLe(down, -y);
        } else {
          for (int p = 0; p <= o.pwl_pieces; ++p) {
            const double z = -range + 2.0 * range * p / o.pwl_pieces;
            // e >= 2 z (a - y) - z^2
            std::vector<Term> row{{e, 1.0}};
            for (const Term& tm : pre) row.push_back({tm.var, -2.0 * z * tm.coef});
            model.addGe(row, -2.0 * z * y - z * z);
          }
        }
      }
    }
  }
  model.setObjective(mip::Sense::kMinimize, obj, obj_const);
  return m;
}

BdnnParams extractParams(const TrainingMilp& m, std::span<const double> x) {
  NNMIP_CHECK(static_cast<int>(x.size()) == m.model.numVars(), "point of size {} for {} columns",
              x.size(), m.model.numVars());
  BdnnParams p;
  const int n_layers = static_cast<int>(m.dims.size()) - 1;
  for (int k = 0; k < n_layers; ++k) {
    const int rows = m.dims[static_cast<size_t>(k) + 1], cols = m.dims[static_cast<size_t>(k)];
    Mat w(rows, cols);
    const bool integral =
        m.model.column(m.w[static_cast<size_t>(k)][0]).type != mip::VarType::kContinuous ||
        !m.w_sign[static_cast<size_t>(k)].empty();
    for (int c = 0; c < rows; ++c) {
      for (int j = 0; j < cols; ++j) {
        double v = x[static_cast<size_t>(
            m.w[static_cast<size_t>(k)][static_cast<size_t>(c * cols + j)].id)];
        if (integral) v = std::round(v);
        w(c, j) = v;
      }
    }
    p.weights.push_back(w);
    const bool has_units = k < n_layers - 1 || m.options.output == OutputMode::kStep;
    Vec lam;
    if (has_units) {
      // Network threshold theta = lambda - margin/2 (options.hpp).
      lam = Vec::Constant(rows, -m.options.margin / 2.0);
      const auto& lv = m.lambda[static_cast<size_t>(k)];
      for (int c = 0; c < rows; ++c) {
        if (!lv.empty())
          lam(c) += x[static_cast<size_t>(lv[lv.size() == 1 ? 0 : static_cast<size_t>(c)].id)];
      }
    }
    p.lambda.push_back(lam);
  }
  if (m.out_bias.valid()) p.output_bias = x[static_cast<size_t>(m.out_bias.id)];
  return p;
}

int milpErrorCount(const TrainingMilp& m, const data::Dataset& train, std::span<const double> x) {
  NNMIP_CHECK(m.options.output != OutputMode::kRegression, "error count of a regression MILP");
  int errors = 0;
  if (!m.err.empty()) {
    for (const Var e : m.err) errors += x[static_cast<size_t>(e.id)] > 0.5;
    return errors;
  }
  const auto& out_units = m.unit.back();
  for (int i = 0; i < m.points; ++i) {
    const bool active = x[static_cast<size_t>(out_units[static_cast<size_t>(i)][0].id)] > 0.5;
    errors += active != (train.y[static_cast<size_t>(i)] == 1);
  }
  return errors;
}

std::vector<double> startFromParams(const TrainingMilp& m, const data::Dataset& train,
                                    const BdnnParams& params) {
  const BdnnOptions& o = m.options;
  const HiddenActivation& act = o.activation;
  const int q = m.units;
  const int n_layers = static_cast<int>(m.dims.size()) - 1;
  NNMIP_CHECK(static_cast<int>(params.weights.size()) == n_layers, "start has {} layers, MILP {}",
              params.weights.size(), n_layers);
  std::vector<double> x(static_cast<size_t>(m.model.numVars()), 0.0);
  auto set = [&](Var v, double value) { x[static_cast<size_t>(v.id)] = value; };
  for (int k = 0; k < n_layers; ++k) {
    const Mat& w = params.weights[static_cast<size_t>(k)];
    NNMIP_CHECK(w.rows() == m.dims[static_cast<size_t>(k) + 1] &&
                    w.cols() == m.dims[static_cast<size_t>(k)],
                "start layer {} has shape {}x{}", k, w.rows(), w.cols());
    const int cols = static_cast<int>(w.cols());
    for (int c = 0; c < w.rows(); ++c) {
      for (int j = 0; j < cols; ++j) {
        const size_t idx = static_cast<size_t>(c * cols + j);
        const double v = std::clamp(w(c, j), m.weight_lo[static_cast<size_t>(k)],
                                    m.weight_hi[static_cast<size_t>(k)]);
        set(m.w[static_cast<size_t>(k)][idx], v);
        if (!m.w_sign[static_cast<size_t>(k)].empty())
          set(m.w_sign[static_cast<size_t>(k)][idx], (v + 1.0) / 2.0);
        if (!m.w_abs[static_cast<size_t>(k)].empty())
          set(m.w_abs[static_cast<size_t>(k)][idx], std::abs(v));
        if (!m.w_nz[static_cast<size_t>(k)].empty())
          set(m.w_nz[static_cast<size_t>(k)][idx], v != 0.0);
      }
      if (k == 0 && !m.row_l1.empty())
        set(m.row_l1[static_cast<size_t>(c)], w.row(c).cwiseAbs().sum());
    }
    const auto& lv = m.lambda[static_cast<size_t>(k)];
    for (size_t c = 0; c < lv.size(); ++c) {
      const double b = m.lambda_bound[static_cast<size_t>(k)];
      set(lv[c], std::clamp(params.lambda[static_cast<size_t>(k)](static_cast<Eigen::Index>(c)) +
                                o.margin / 2.0,
                            -b, b));
    }
  }
  if (m.out_bias.valid()) set(m.out_bias, params.output_bias);
  const double r = o.robust_radius;
  double max_loss = 0.0;
  for (int i = 0; i < m.points; ++i) {
    Vec h = train.X.row(i).transpose();
    std::vector<double> prev_units;
    bool give_up = false;
    for (int k = 0; k < n_layers; ++k) {
      const bool hidden = k < n_layers - 1;
      const Mat& w = params.weights[static_cast<size_t>(k)];
      const Vec a = w * h;
      if (k > 0) {
        auto& pi = m.prod[static_cast<size_t>(k)][static_cast<size_t>(i)];
        const int in = static_cast<int>(w.cols());
        for (int c = 0; c < w.rows(); ++c) {
          for (int j = 0; j < in; ++j) {
            for (int t = 0; t < q; ++t) {
              set(pi[static_cast<size_t>((c * in + j) * q + t)],
                  x[static_cast<size_t>(
                      m.w[static_cast<size_t>(k)][static_cast<size_t>(c * in + j)].id)] *
                      prev_units[static_cast<size_t>(j * q + t)]);
            }
          }
        }
      }
      if (!hidden) {
        const int y = o.output == OutputMode::kRegression ? 0 : train.y[static_cast<size_t>(i)];
        bool wrong = false;
        if (o.output == OutputMode::kStep) {
          const double lam = params.lambda[static_cast<size_t>(k)](0);
          const bool active = a(0) >= lam;
          set(m.unit[static_cast<size_t>(k)][static_cast<size_t>(i)][0], active);
          wrong = active != (y == 1);
        } else if (o.output == OutputMode::kArgmax) {
          for (Eigen::Index c = 0; c < a.size(); ++c) {
            if (c != y && a(y) - a(c) < o.margin) wrong = true;
          }
        } else {
          const double res = a(0) + params.output_bias - train.target(i);
          if (o.loss == RegressionLoss::kLinf) {
            max_loss = std::max(max_loss, std::abs(res));
          } else if (o.loss == RegressionLoss::kL1) {
            set(m.err[static_cast<size_t>(i)], std::abs(res));
          } else {
            set(m.err[static_cast<size_t>(i)], res * res);
          }
        }
        if (o.output != OutputMode::kRegression && !m.err.empty()) {
          set(m.err[static_cast<size_t>(i)], wrong || give_up);
        }
        if (!m.give_up.empty()) set(m.give_up[static_cast<size_t>(i)], give_up);
        break;
      }
      // Hidden layer: units from the exact step, then h.
      prev_units.assign(static_cast<size_t>(a.size() * q), 0.0);
      Vec next(a.size());
      for (Eigen::Index c = 0; c < a.size(); ++c) {
        const double lam = params.lambda[static_cast<size_t>(k)](c);
        double hv = act.values[0];
        for (int t = 0; t < q; ++t) {
          const double thr = lam + act.offsets[static_cast<size_t>(t)];
          const bool on = a(c) >= thr;
          if (k == 0 && r > 0.0) {
            const double slack = r * w.row(c).cwiseAbs().sum();
            if (on ? a(c) - slack < thr + o.margin / 2.0 : a(c) + slack > thr - o.margin / 2.0)
              give_up = true;
          }
          prev_units[static_cast<size_t>(c * q + t)] = on;
          set(m.unit[static_cast<size_t>(k)][static_cast<size_t>(i)]
                    [static_cast<size_t>(c * q + t)],
              on);
          if (on) hv += act.values[static_cast<size_t>(t) + 1] - act.values[static_cast<size_t>(t)];
        }
        next(c) = hv;
      }
      h = next;
    }
  }
  if (m.max_loss.valid()) set(m.max_loss, max_loss);
  return x;
}

BdnnParams constantClassifier(const data::Dataset& train, const BdnnOptions& options) {
  NNMIP_CHECK(options.output != OutputMode::kRegression, "constant classifier for regression");
  const int classes = numClasses(train);
  std::vector<int> count(static_cast<size_t>(classes), 0);
  for (int y : train.y) ++count[static_cast<size_t>(y)];
  const int major = static_cast<int>(std::max_element(count.begin(), count.end()) - count.begin());
  BdnnParams p;
  std::vector<int> dims{train.features()};
  for (int d : options.hidden) dims.push_back(d);
  dims.push_back(options.output == OutputMode::kArgmax ? classes : 1);
  const int n_layers = static_cast<int>(dims.size()) - 1;
  const double gamma = options.activation.values.back();
  for (int k = 0; k < n_layers; ++k) {
    Mat w = Mat::Zero(dims[static_cast<size_t>(k) + 1], dims[static_cast<size_t>(k)]);
    Vec lam = Vec::Zero(dims[static_cast<size_t>(k) + 1]);
    if (k == n_layers - 1) {
      // With zero hidden weights every two-level unit is active (a = 0 >= lambda), h = gamma.
      if (options.output == OutputMode::kArgmax) {
        w.row(major).setConstant(gamma >= 0 ? 1.0 : -1.0);
      } else {
        w.setConstant((major == 1) == (gamma >= 0) ? 1.0 : -1.0);
      }
      if (options.output == OutputMode::kArgmax) lam = Vec();
    } else if (k > 0) {
      lam.setZero();
    }
    p.weights.push_back(w);
    p.lambda.push_back(lam);
  }
  // Network thresholds theta = lambda - margin/2; every hidden unit active at a = 0 needs
  // lambda + max offset <= 0 (possible with trained thresholds).
  double max_o = 0.0;
  for (double o : options.activation.offsets) max_o = std::max(max_o, o);
  for (int k = 0; k < n_layers; ++k) {
    Vec& lam = p.lambda[static_cast<size_t>(k)];
    const bool shift = k + 1 < n_layers && options.threshold != ThresholdMode::kZero;
    if (lam.size() > 0) lam.setConstant(-options.margin / 2.0 - (shift ? max_o : 0.0));
  }
  return p;
}

namespace {

double roundedGap(const TrainingMilp& m, double obj, double& bound) {
  if (m.integral_objective && std::isfinite(bound)) bound = std::ceil(bound - 1e-6);
  if (!std::isfinite(obj) || !std::isfinite(bound)) return NAN;
  if (std::abs(obj) < 1e-9) return bound >= obj - 1e-9 ? 0.0 : NAN;
  return std::max(0.0, (obj - bound) / std::abs(obj));
}

}  // namespace

ExactResult trainExact(const data::Dataset& train, const BdnnOptions& options,
                       const ExactOptions& exact, const Callbacks& callbacks) {
  Timer timer;
  const TrainingMilp m = buildTrainingMilp(train, options);
  ExactResult res = solveTrainingMilp(m, train, exact, callbacks);
  res.wall_s = timer.seconds();
  return res;
}

ExactResult solveTrainingMilp(const TrainingMilp& m, const data::Dataset& train,
                              const ExactOptions& exact, const Callbacks& callbacks) {
  Timer timer;
  const BdnnOptions& options = m.options;
  ExactResult res;
  res.vars = m.model.numVars();
  res.binaries = m.model.numIntegerVars();
  res.rows = m.model.numRows();
  mip::MipParams params;
  params.time_limit_s = exact.time_limit_s;
  params.threads = exact.threads;
  params.backend_options = exact.backend_options;
  if (exact.start_point) {
    params.start = *exact.start_point;
  } else if (exact.start) {
    params.start = startFromParams(m, train, *exact.start);
  }
  callbacks.log(Level::kInfo, fmt::format("bdnn MILP: {} columns ({} integer), {} rows", res.vars,
                                          res.binaries, res.rows));
  const auto solver = mip::makeMipSolver(exact.backend);
  const mip::MipResult r = solver->solve(m.model, params, callbacks);
  res.termination = r.termination;
  res.limit = r.limit;
  res.nodes = r.stats.nodes;
  res.best_bound = r.best_bound;
  if (r.hasSolution()) {
    res.has_solution = true;
    res.objective = r.objective.value_or(m.model.objectiveValue(r.values));
    res.params = extractParams(m, r.values);
    res.net = toNetwork(res.params, options);
    if (options.output == OutputMode::kRegression) {
      res.train_reg = evaluateRegression(res.net, train, options.margin);
      double loss = 0.0;
      switch (options.loss) {
        case RegressionLoss::kL1: loss = res.train_reg.l1; break;
        case RegressionLoss::kLinf: loss = res.train_reg.linf; break;
        case RegressionLoss::kSquaredPwl: loss = res.train_reg.squared; break;
      }
      double penalty = 0.0;
      for (const Mat& w : res.params.weights) penalty += options.l1_penalty * w.cwiseAbs().sum();
      // The PWL objective is a lower approximation of the squared loss.
      const double tol = 1e-5 * (1.0 + std::abs(res.objective));
      if (options.loss == RegressionLoss::kSquaredPwl) {
        const double h = 2.0 * m.pwl_range / options.pwl_pieces;
        res.forward_check_ok = loss + penalty >= res.objective - tol &&
                               loss + penalty <= res.objective + train.size() * h * h / 4.0 + tol;
      } else {
        res.forward_check_ok = std::abs(loss + penalty - res.objective) <= tol;
      }
      res.forward_check_ok = res.forward_check_ok && res.train_reg.band_points == 0;
    } else {
      res.milp_errors = milpErrorCount(m, train, r.values);
      res.train_eval = evaluate(res.net, train, options.margin);
      if (options.robust_radius > 0.0) {
        // Given-up points may be classified correctly by the forward pass.
        res.forward_check_ok =
            res.train_eval.margin_errors <= res.milp_errors && res.train_eval.band_points == 0;
      } else {
        res.forward_check_ok =
            res.train_eval.margin_errors == res.milp_errors && res.train_eval.band_points == 0;
      }
    }
  }
  res.gap = roundedGap(m, res.objective, res.best_bound);
  res.wall_s = timer.seconds();
  return res;
}

IterativeResult trainIterative(const data::Dataset& train, const BdnnOptions& options,
                               const IterativeOptions& iter, const Callbacks& callbacks) {
  Timer timer;
  IterativeResult out;
  Rng rng(iter.seed);
  const std::vector<int> perm = rng.permutation(train.size());
  std::vector<int> subset(perm.begin(), perm.begin() + std::min(iter.initial_points, train.size()));
  std::vector<char> in_subset(static_cast<size_t>(train.size()), 0);
  for (int i : subset) in_subset[static_cast<size_t>(i)] = 1;
  std::optional<BdnnParams> start = iter.start;
  // Without a start, the constant classifier guarantees an incumbent in the first round.
  if (!start && options.output != OutputMode::kRegression)
    start = constantClassifier(train, options);
  int best_errors = train.size() + 1;
  for (int round = 0; round < iter.max_rounds; ++round) {
    const double left = iter.time_limit_s - timer.seconds();
    if (left <= 1.0 || callbacks.stopRequested()) break;
    std::sort(subset.begin(), subset.end());
    const data::Dataset part = train.subset(subset);
    ExactOptions ex;
    ex.time_limit_s = std::min(iter.round_time_limit_s, left);
    ex.backend = iter.backend;
    ex.start = start;
    IterativeRound rr;
    rr.subset_size = static_cast<int>(subset.size());
    rr.result = trainExact(part, options, ex, callbacks);
    if (std::isfinite(rr.result.best_bound))
      out.lower_bound = std::max(out.lower_bound, rr.result.best_bound);
    if (!rr.result.has_solution) {
      out.rounds.push_back(std::move(rr));
      break;
    }
    const Evaluation full = evaluate(rr.result.net, train, options.margin);
    rr.full_margin_errors = full.margin_errors;
    if (full.margin_errors < best_errors) {
      best_errors = full.margin_errors;
      out.params = rr.result.params;
      out.net = rr.result.net;
      out.train_eval = full;
    }
    start = rr.result.params;
    callbacks.log(Level::kInfo, fmt::format("bdnn iterative round {}: subset {}, subset errors {}, "
                                            "full-data errors {} (margin-consistent {})",
                                            round + 1, subset.size(), rr.result.milp_errors,
                                            full.errors, full.margin_errors));
    out.rounds.push_back(std::move(rr));
    // Add misclassified (or band) points outside the subset.
    std::vector<int> wrong;
    const std::vector<int> pred = predictBdnn(out.rounds.back().result.net, train.X);
    for (int i : perm) {
      if (in_subset[static_cast<size_t>(i)]) continue;
      if (pred[static_cast<size_t>(i)] != train.y[static_cast<size_t>(i)]) wrong.push_back(i);
    }
    if (wrong.empty()) {
      out.converged = true;
      break;
    }
    for (size_t a = 0; a < wrong.size() && static_cast<int>(a) < iter.add_per_round; ++a) {
      subset.push_back(wrong[a]);
      in_subset[static_cast<size_t>(wrong[a])] = 1;
    }
  }
  out.wall_s = timer.seconds();
  return out;
}

}  // namespace nnmip::bdnn
