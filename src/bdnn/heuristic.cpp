#include "bdnn/heuristic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "mip/solver.hpp"

namespace nnmip::bdnn {
namespace {

using mip::Term;
using mip::Var;

struct Climber {
  const data::Dataset& train;
  const BdnnOptions& o;
  const HeuristicOptions& h;
  Rng rng;
  int n, d0, d1, out_dim;
  double beta, gamma, wb;
  double lambda1_bound, lambda_out_bound;
  long lp_solves = 0;

  Climber(const data::Dataset& t, const BdnnOptions& opts, const HeuristicOptions& ho, int classes)
      : train(t), o(opts), h(ho), rng(ho.seed) {
    n = t.size();
    d0 = t.features();
    d1 = opts.hidden[0];
    out_dim = opts.output == OutputMode::kArgmax ? classes : 1;
    beta = opts.activation.values[0];
    gamma = opts.activation.values[1];
    wb = opts.weight_bound;
    double max_l1 = 0.0;
    for (int i = 0; i < n; ++i) max_l1 = std::max(max_l1, t.X.row(i).cwiseAbs().sum());
    // The MILP's threshold boxes (exact_trainer.cpp), so a result stays MILP-feasible.
    lambda1_bound = wb * (max_l1 + opts.robust_radius * d0) + 1.0;
    lambda_out_bound = wb * d1 * opts.activation.maxAbsValue() + 1.0;
  }

  Mat hidden(const BdnnParams& p) const {
    Mat a = train.X * p.weights[0].transpose();
    Mat hm(n, d1);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < d1; ++j) hm(i, j) = a(i, j) >= p.lambda[0](j) ? gamma : beta;
    }
    return hm;
  }

  int score(const BdnnParams& p) const {
    return evaluate(toNetwork(p, o), train, o.margin).margin_errors;
  }

  // Correct with the MILP margin, given the output pre-activations of point i.
  bool correct(const Vec& a, int y, double lambda_out) const {
    if (o.output == OutputMode::kStep) {
      return y == 1 ? a(0) - lambda_out >= o.margin / 2.0 : a(0) - lambda_out <= -o.margin / 2.0;
    }
    for (int c = 0; c < a.size(); ++c) {
      if (c != y && a(y) - a(c) < o.margin) return false;
    }
    return true;
  }

  std::optional<std::vector<double>> solveLp(const mip::Model& model) {
    ++lp_solves;
    auto session = mip::makeLpSession(model, h.lp_backend);
    const mip::LpResult r = session->solve();
    if (!r.optimal()) return std::nullopt;
    return r.values;
  }

  // Output layer LP given hidden values H.
  bool fitOutput(const Mat& hm, BdnnParams& p) {
    mip::Model lp;
    std::vector<Var> v(static_cast<size_t>(out_dim * d1));
    for (auto& x : v) x = lp.addContinuous(-wb, wb);
    Var lam;
    // Network thresholds theta = lambda - margin/2 with lambda in the MILP's box (0 for kZero).
    const double shift = -o.margin / 2.0;
    if (o.output == OutputMode::kStep && o.threshold != ThresholdMode::kZero) {
      lam = lp.addContinuous(-lambda_out_bound + shift, lambda_out_bound + shift);
    }
    const double fixed = o.output == OutputMode::kStep && !lam.valid() ? shift : 0.0;
    std::vector<Term> obj;
    for (int i = 0; i < n; ++i) {
      const Var xi = lp.addContinuous(0.0, mip::kInf);
      obj.push_back({xi, 1.0});
      const int y = train.y[static_cast<size_t>(i)];
      if (o.output == OutputMode::kStep) {
        std::vector<Term> row;
        for (int j = 0; j < d1; ++j) {
          if (hm(i, j) != 0.0) row.push_back({v[static_cast<size_t>(j)], hm(i, j)});
        }
        if (lam.valid()) row.push_back({lam, -1.0});
        const double mu = std::max(h.lp_margin, o.margin);
        if (y == 1) {
          row.push_back({xi, 1.0});
          lp.addGe(row, mu + fixed);
        } else {
          row.push_back({xi, -1.0});
          lp.addLe(row, -mu + fixed);
        }
      } else {
        for (int c = 0; c < out_dim; ++c) {
          if (c == y) continue;
          std::vector<Term> row;
          for (int j = 0; j < d1; ++j) {
            if (hm(i, j) == 0.0) continue;
            row.push_back({v[static_cast<size_t>(y * d1 + j)], hm(i, j)});
            row.push_back({v[static_cast<size_t>(c * d1 + j)], -hm(i, j)});
          }
          row.push_back({xi, 1.0});
          lp.addGe(row, h.lp_margin);
        }
      }
    }
    lp.setObjective(mip::Sense::kMinimize, obj);
    const auto x = solveLp(lp);
    if (!x) return false;
    Mat w(out_dim, d1);
    for (int c = 0; c < out_dim; ++c) {
      for (int j = 0; j < d1; ++j)
        w(c, j) = (*x)[static_cast<size_t>(v[static_cast<size_t>(c * d1 + j)].id)];
    }
    p.weights[1] = w;
    if (o.output == OutputMode::kStep) {
      p.lambda[1] = Vec::Constant(1, lam.valid() ? (*x)[static_cast<size_t>(lam.id)] : shift);
    }
    return true;
  }

  // Neuron LP: weights of hidden neuron j (and its threshold for kNeuron) fitted to `want`.
  bool fitNeuron(int j, const std::vector<char>& want, const std::vector<double>& cost,
                 BdnnParams& p) {
    mip::Model lp;
    std::vector<Var> w(static_cast<size_t>(d0));
    for (auto& x : w) x = lp.addContinuous(-wb, wb);
    Var lam, t;
    if (o.threshold == ThresholdMode::kNeuron) {
      lam = lp.addContinuous(-lambda1_bound - o.margin / 2.0, lambda1_bound - o.margin / 2.0);
    }
    const double fixed_lambda = o.threshold == ThresholdMode::kNeuron ? 0.0 : p.lambda[0](j);
    const double r = o.robust_radius;
    if (r > 0.0) {
      t = lp.addContinuous(0.0, d0 * wb);
      std::vector<Term> sum{{t, 1.0}};
      for (int l = 0; l < d0; ++l) {
        const Var a = lp.addContinuous(0.0, wb);
        lp.addGe(std::vector<Term>{{a, 1.0}, {w[static_cast<size_t>(l)], -1.0}}, 0.0);
        lp.addGe(std::vector<Term>{{a, 1.0}, {w[static_cast<size_t>(l)], 1.0}}, 0.0);
        sum.push_back({a, -1.0});
      }
      lp.addGe(sum, 0.0);
    }
    std::vector<Term> obj;
    for (int i = 0; i < n; ++i) {
      if (cost[static_cast<size_t>(i)] <= 0.0) continue;
      const Var xi = lp.addContinuous(0.0, mip::kInf);
      obj.push_back({xi, cost[static_cast<size_t>(i)]});
      std::vector<Term> row;
      for (int l = 0; l < d0; ++l) {
        if (train.X(i, l) != 0.0) row.push_back({w[static_cast<size_t>(l)], train.X(i, l)});
      }
      if (lam.valid()) row.push_back({lam, -1.0});
      const double mu = std::max(h.lp_margin, o.margin);
      if (want[static_cast<size_t>(i)]) {
        if (t.valid()) row.push_back({t, -r});
        row.push_back({xi, 1.0});
        lp.addGe(row, mu + fixed_lambda);
      } else {
        if (t.valid()) row.push_back({t, r});
        row.push_back({xi, -1.0});
        lp.addLe(row, -mu + fixed_lambda);
      }
    }
    lp.setObjective(mip::Sense::kMinimize, obj);
    const auto x = solveLp(lp);
    if (!x) return false;
    for (int l = 0; l < d0; ++l)
      p.weights[0](j, l) = (*x)[static_cast<size_t>(w[static_cast<size_t>(l)].id)];
    if (lam.valid()) p.lambda[0](j) = (*x)[static_cast<size_t>(lam.id)];
    return true;
  }

  BdnnParams randomStart() {
    BdnnParams p;
    p.weights = {Mat(d1, d0), Mat::Zero(out_dim, d1)};
    // kZero: the network threshold is theta = 0 - margin/2 (options.hpp).
    p.lambda = {Vec::Constant(d1, -o.margin / 2.0),
                o.output == OutputMode::kStep ? Vec::Constant(1, -o.margin / 2.0) : Vec()};
    for (int j = 0; j < d1; ++j) {
      for (int l = 0; l < d0; ++l) p.weights[0](j, l) = rng.uniform(-wb, wb);
    }
    if (o.threshold != ThresholdMode::kZero) {
      // Thresholds at the pre-activation of random training points, so units split the data.
      for (int j = 0; j < d1; ++j) {
        const int i = static_cast<int>(rng.below(static_cast<uint64_t>(n)));
        p.lambda[0](j) = p.weights[0].row(j).dot(train.X.row(i));
      }
      if (o.threshold == ThresholdMode::kLayer) p.lambda[0].setConstant(p.lambda[0](0));
    }
    return p;
  }

  // Desired values of hidden neuron j given the current output layer.
  void desired(const BdnnParams& p, const Mat& hm, int j, std::vector<char>& want,
               std::vector<double>& cost) const {
    const Mat a = hm * p.weights[1].transpose();  // n x out
    const double lam_out = o.output == OutputMode::kStep ? p.lambda[1](0) : 0.0;
    for (int i = 0; i < n; ++i) {
      const int y = train.y[static_cast<size_t>(i)];
      const Vec base = (a.row(i).transpose() - p.weights[1].col(j) * hm(i, j)).eval();
      const bool ok_on = correct((base + p.weights[1].col(j) * gamma).eval(), y, lam_out);
      const bool ok_off = correct((base + p.weights[1].col(j) * beta).eval(), y, lam_out);
      const bool now_on = hm(i, j) == gamma;
      if (ok_on != ok_off) {
        want[static_cast<size_t>(i)] = ok_on;
        cost[static_cast<size_t>(i)] = 1.0;
      } else {
        want[static_cast<size_t>(i)] = now_on;
        cost[static_cast<size_t>(i)] = ok_on ? h.keep_weight : h.dontcare_weight;
      }
    }
  }
};

int countClasses(const data::Dataset& t) {
  int m = 0;
  for (int y : t.y) m = std::max(m, y);
  return std::max({2, t.num_classes, m + 1});
}

}  // namespace

HeuristicResult trainHeuristic(const data::Dataset& train, const BdnnOptions& options,
                               const HeuristicOptions& heuristic, const Callbacks& callbacks) {
  Timer timer;
  if (options.hidden.size() != 1) {
    fail(ErrorKind::kUnsupported, "the heuristic handles one hidden layer ({} given)",
         options.hidden.size());
  }
  if (options.activation.units() != 1)
    fail(ErrorKind::kUnsupported, "the heuristic handles the two-level step");
  if (options.weights != WeightDomain::kContinuous) {
    fail(ErrorKind::kUnsupported, "the heuristic handles continuous weights");
  }
  if (options.output == OutputMode::kRegression)
    fail(ErrorKind::kUnsupported, "the heuristic handles classification");
  if (options.l1_penalty > 0.0 || options.max_nonzero_weights >= 0) {
    fail(ErrorKind::kUnsupported, "the heuristic does not handle L1 penalties or sparsity limits");
  }
  if (train.size() == 0 || static_cast<int>(train.y.size()) != train.size()) {
    fail(ErrorKind::kInvalidInput, "the heuristic needs a labelled, non-empty training set");
  }
  const int classes = countClasses(train);
  if (options.output == OutputMode::kStep && classes > 2) {
    fail(ErrorKind::kInvalidInput, "the step output handles two classes; use the argmax output");
  }
  Climber cl(train, options, heuristic, classes);
  HeuristicResult res;
  int best = train.size() + 1;
  for (int restart = 0; restart < heuristic.restarts; ++restart) {
    if (timer.seconds() > heuristic.time_limit_s || callbacks.stopRequested()) break;
    BdnnParams p = cl.randomStart();
    Mat hm = cl.hidden(p);
    cl.fitOutput(hm, p);
    int cur = cl.score(p);
    std::vector<char> want(static_cast<size_t>(cl.n));
    std::vector<double> cost(static_cast<size_t>(cl.n));
    for (int pass = 0; pass < heuristic.max_passes; ++pass) {
      bool improved = false;
      const std::vector<int> order = cl.rng.permutation(cl.d1);
      for (int j : order) {
        if (timer.seconds() > heuristic.time_limit_s || callbacks.stopRequested()) break;
        cl.desired(p, hm, j, want, cost);
        BdnnParams cand = p;
        if (!cl.fitNeuron(j, want, cost, cand)) continue;
        int s = cl.score(cand);
        const Mat cand_h = cl.hidden(cand);
        BdnnParams refit = cand;
        if (cl.fitOutput(cand_h, refit)) {
          const int s2 = cl.score(refit);
          if (s2 <= s) {
            s = s2;
            cand = std::move(refit);
          }
        }
        if (s <= cur) {
          improved = improved || s < cur;
          cur = s;
          p = std::move(cand);
          hm = cand_h;
        }
      }
      ++res.passes;
      ProgressEvent event;
      event.phase = "bdnn-heuristic";
      event.elapsed_s = timer.seconds();
      event.incumbent = static_cast<double>(cur);
      event.done = restart;
      event.total = heuristic.restarts;
      callbacks.progress(event);
      if (!improved) break;
    }
    res.restart_errors.push_back(cur);
    callbacks.log(Level::kInfo,
                  fmt::format("bdnn heuristic restart {}: {} margin-consistent training errors",
                              restart + 1, cur));
    if (cur < best) {
      best = cur;
      res.params = p;
    }
  }
  NNMIP_CHECK(!res.params.weights.empty(),
              "heuristic produced no network (time limit {} s too small?)", heuristic.time_limit_s);
  res.net = toNetwork(res.params, options);
  res.train_eval = evaluate(res.net, train, options.margin);
  res.lp_solves = cl.lp_solves;
  res.wall_s = timer.seconds();
  return res;
}

}  // namespace nnmip::bdnn
