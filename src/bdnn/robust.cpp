// Perturbation evaluation of step networks (robust.hpp).
//
// Why the attack MILP builds its own rows instead of using encode/'s network formulations:
// encode/ models ReLU units, h = max(0, a): continuous in a, both phases agree at a = 0, so a
// phase binary with big-M rows (or the triangle relaxation) is exact and the LP relaxation is
// meaningful. A step unit jumps at its threshold: h is a constant level on each side, the
// inactive side is a strict inequality (a < lambda) that needs an explicit slack (tau below),
// and a counterexample must lie on a chosen side of the jump. A step is not a combination of
// ReLUs without a ramp of some width, which would either change the function or bring back the
// same binaries plus the ramp's rows; and the relaxed/restricted pair (tau = 0, tau > 0) that
// makes the verdict sound has no counterpart in encode/. So step units keep their own rows here
// (and the training MILP, exact_trainer.hpp, where weights are variables and the products w*u
// need McCormick rows, keeps its own as well).
#include "bdnn/robust.hpp"

#include <algorithm>
#include <cmath>

#include "bdnn/step_net.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

namespace nnmip::bdnn {
namespace {

using mip::Term;
using mip::Var;

constexpr double kInnerSlack = 1e-6;

enum class Attack { kRobust, kFound, kUnknown };

// One attack MILP. tau = 0: every strict inequality relaxed to a non-strict one (a relaxation,
// so infeasible proves robustness); tau > 0: every unit and output condition with slack tau on
// its side (a restriction, whose solutions survive rounding in the forward pass).
Attack attackPoint(const nn::Network& net, const Vec& x, int y, double r,
                   const PerturbationOptions& opt, double tau, bool& by_stability) {
  const nn::DenseLayer& l1 = net.layer(0);
  const nn::DenseLayer& l2 = net.layer(1);
  const Vec a = l1.weight * x + l1.bias;
  const int d0 = static_cast<int>(x.size()), d1 = l1.outputSize();
  std::vector<int> state(static_cast<size_t>(d1));  // 1 on, 0 off, -1 unstable
  bool all_stable = true;
  for (int j = 0; j < d1; ++j) {
    const double slack = r * l1.weight.row(j).cwiseAbs().sum();
    const double lam = l1.step.lambda(j);
    if (a(j) - slack >= lam) {
      state[static_cast<size_t>(j)] = 1;
    } else if (a(j) + slack < lam) {
      state[static_cast<size_t>(j)] = 0;
    } else {
      state[static_cast<size_t>(j)] = -1;
      all_stable = false;
    }
  }
  by_stability = all_stable;
  if (all_stable) return Attack::kRobust;
  mip::Model m;
  std::vector<Var> delta(static_cast<size_t>(d0));
  for (auto& v : delta) v = m.addContinuous(-r, r);
  std::vector<Var> u(static_cast<size_t>(d1));
  const double beta = l1.step.beta, gamma = l1.step.gamma;
  for (int j = 0; j < d1; ++j) {
    if (state[static_cast<size_t>(j)] >= 0) continue;
    const Var uj = m.addBinary();
    u[static_cast<size_t>(j)] = uj;
    const double slack = r * l1.weight.row(j).cwiseAbs().sum();
    const double lam = l1.step.lambda(j);
    const double big_m = std::abs(a(j) - lam) + slack + 1.0;
    std::vector<Term> pre;
    for (int l = 0; l < d0; ++l) {
      if (l1.weight(j, l) != 0.0) pre.push_back({delta[static_cast<size_t>(l)], l1.weight(j, l)});
    }
    // a + w.delta - lam >= tau - M (1 - u);  a + w.delta - lam <= -tau + M u
    std::vector<Term> on = pre, off = pre;
    on.push_back({uj, -big_m});
    off.push_back({uj, -big_m});
    m.addGe(on, lam - a(j) + tau - big_m);
    m.addLe(off, lam - a(j) - tau);
  }
  // Output pre-activations: affine in u.
  auto outTerms = [&](int c, double& constant) {
    std::vector<Term> terms;
    constant = l2.bias(c);
    for (int j = 0; j < d1; ++j) {
      const double w = l2.weight(c, j);
      if (state[static_cast<size_t>(j)] >= 0) {
        constant += w * (state[static_cast<size_t>(j)] ? gamma : beta);
      } else {
        constant += w * beta;
        if (w * (gamma - beta) != 0.0)
          terms.push_back({u[static_cast<size_t>(j)], w * (gamma - beta)});
      }
    }
    return terms;
  };
  double out_bound = 1.0;
  for (int c = 0; c < l2.outputSize(); ++c) {
    out_bound =
        std::max(out_bound, std::abs(l2.bias(c)) + l2.weight.row(c).cwiseAbs().sum() *
                                                       std::max(std::abs(beta), std::abs(gamma)));
  }
  if (l2.activation == nn::Activation::kStep) {
    double k = 0.0;
    const std::vector<Term> t = outTerms(0, k);
    const double lam = l2.step.lambda(0);
    if (y == 1) {
      m.addLe(t, lam - k - tau);  // output inactive
    } else {
      m.addGe(t, lam - k + tau);  // output active
    }
  } else {
    double ky = 0.0;
    const std::vector<Term> ty = outTerms(y, ky);
    std::vector<Term> pick;
    for (int c = 0; c < l2.outputSize(); ++c) {
      if (c == y) continue;
      const Var s = m.addBinary();
      pick.push_back({s, 1.0});
      double kc = 0.0;
      std::vector<Term> row = outTerms(c, kc);
      for (const Term& t : ty) row.push_back({t.var, -t.coef});
      const double big_m = 2.0 * out_bound + 1.0;
      row.push_back({s, -big_m});
      // a_c - a_y >= tau - M (1 - s)  (ties go to the lower index: c < y wins at equality)
      m.addGe(row, tau - big_m - (kc - ky));
    }
    m.addEq(pick, 1.0);
  }
  m.setObjective(mip::Sense::kMinimize, std::vector<Term>{});
  mip::MipParams params;
  params.time_limit_s = opt.attack_time_limit_s;
  const mip::MipResult res = mip::makeMipSolver(opt.backend)->solve(m, params);
  if (res.termination == mip::Termination::kInfeasible) return Attack::kRobust;
  if (!res.hasSolution()) return Attack::kUnknown;
  Vec xp = x;
  for (int l = 0; l < d0; ++l)
    xp(l) += std::clamp(res.values[static_cast<size_t>(delta[static_cast<size_t>(l)].id)], -r, r);
  Mat row = xp.transpose();
  const int pred = predictBdnn(net, row)[0];
  return pred != y ? Attack::kFound : Attack::kUnknown;
}

}  // namespace

PerturbationReport evaluatePerturbations(const nn::Network& net, const data::Dataset& set,
                                         double radius, const PerturbationOptions& opt) {
  PerturbationReport rep;
  rep.points = set.size();
  rep.radius = radius;
  if (set.size() == 0) return rep;
  const std::vector<int> clean = predictBdnn(net, set.X);
  int clean_ok = 0;
  for (int i = 0; i < set.size(); ++i)
    clean_ok += clean[static_cast<size_t>(i)] == set.y[static_cast<size_t>(i)];
  rep.clean_accuracy = static_cast<double>(clean_ok) / set.size();
  Rng rng(opt.seed);
  long ok = 0, total = 0;
  Mat batch(std::max(1, opt.samples), set.features());
  for (int i = 0; i < set.size() && opt.samples > 0; ++i) {
    for (int s = 0; s < opt.samples; ++s) {
      for (int l = 0; l < set.features(); ++l)
        batch(s, l) = set.X(i, l) + rng.uniform(-radius, radius);
    }
    const std::vector<int> pred = predictBdnn(net, batch);
    for (int p : pred) ok += p == set.y[static_cast<size_t>(i)];
    total += opt.samples;
  }
  rep.random_accuracy = total > 0 ? static_cast<double>(ok) / static_cast<double>(total) : NAN;
  if (!opt.worst_case) return rep;
  const bool supported =
      net.numLayers() == 2 && net.layer(0).activation == nn::Activation::kStep &&
      (net.layer(1).activation == nn::Activation::kIdentity ||
       (net.layer(1).activation == nn::Activation::kStep && net.layer(1).outputSize() == 1));
  if (!supported) {
    fail(ErrorKind::kUnsupported,
         "worst-case evaluation handles one step hidden layer and a step or linear output");
  }
  int certified = 0, not_attacked = 0;
  for (int i = 0; i < set.size(); ++i) {
    const int y = set.y[static_cast<size_t>(i)];
    if (clean[static_cast<size_t>(i)] != y) continue;
    bool by_stability = false;
    const Vec xi = set.X.row(i).transpose();
    Attack a = attackPoint(net, xi, y, radius, opt, 0.0, by_stability);
    if (a == Attack::kUnknown) a = attackPoint(net, xi, y, radius, opt, kInnerSlack, by_stability);
    rep.certified_by_stability += by_stability;
    if (a == Attack::kRobust) ++certified;
    if (a != Attack::kFound) ++not_attacked;
    rep.attacks_found += a == Attack::kFound;
    rep.unknown += a == Attack::kUnknown;
  }
  rep.certified_accuracy = static_cast<double>(certified) / set.size();
  rep.attacked_accuracy = static_cast<double>(not_attacked) / set.size();
  return rep;
}

}  // namespace nnmip::bdnn
