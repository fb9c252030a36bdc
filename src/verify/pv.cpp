#include "verify/pv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "bounds/linear_bound.hpp"
#include "core/error.hpp"
#include "core/json_number.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "encode/softmax_pwl.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

namespace nnmip::verify {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

Mat softmaxRows(const Mat& Z) {
  Mat P(Z.rows(), Z.cols());
  for (Eigen::Index r = 0; r < Z.rows(); ++r) {
    const Eigen::RowVectorXd e = (Z.row(r).array() - Z.row(r).maxCoeff()).exp().matrix();
    P.row(r) = e / e.sum();
  }
  return P;
}

nn::Network logitNetwork(const nn::Network& net) {
  nn::Network copy = net;
  if (copy.layers().back().activation == nn::Activation::kSoftmax) {
    copy.mutableLayers().back().activation = nn::Activation::kIdentity;
  }
  return copy;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool lastIsSoftmax(const nn::Network& net) {
  return net.layers().back().activation == nn::Activation::kSoftmax;
}

// The project's class rule (nn::predictedClass) on the logits; 0 for a single output (PV's
// margin and softmax-l1 need two or more).
int classOf(const nn::Network& net, const Vec& z) {
  return z.size() >= 2 ? nn::predictedClass(net.layers().back(), z) : 0;
}

double relGap(double value, double bound) {
  return (bound - value) / std::max(std::abs(value), 1e-10);
}

// The exact objective as an attack objective over the network's outputs Y.
nn::OutputObjective attackObjective(const nn::Network& net, PvObjective objective, const Vec& z0,
                                    int class0) {
  const bool softmax_net = lastIsSoftmax(net);
  const Vec p0 = softmaxOf(z0);
  switch (objective) {
    case PvObjective::kLogitL1:
      NNMIP_CHECK(!softmax_net, "logit-l1 attack on softmax outputs");
      return [z0](const Mat& Y, Vec& value, Mat* grad) {
        const Mat D = Y.rowwise() - z0.transpose();
        value = D.cwiseAbs().rowwise().sum();
        if (grad != nullptr) *grad = D.unaryExpr([](double v) { return v >= 0 ? 1.0 : -1.0; });
      };
    case PvObjective::kMargin: {
      NNMIP_CHECK(!softmax_net, "margin attack on softmax outputs");
      const int k = static_cast<int>(z0.size());
      Mat C = Mat::Zero(k - 1, k);
      int r = 0;
      for (int j = 0; j < k; ++j) {
        if (j == class0) continue;
        C(r, j) = 1.0;
        C(r, class0) = -1.0;
        ++r;
      }
      return nn::maxLinearObjective(C, Vec::Zero(k - 1));
    }
    case PvObjective::kSoftmaxL1:
      return [p0, softmax_net](const Mat& Y, Vec& value, Mat* grad) {
        const Mat P = softmax_net ? Y : softmaxRows(Y);
        const Mat D = P.rowwise() - p0.transpose();
        value = D.cwiseAbs().rowwise().sum();
        if (grad == nullptr) return;
        const Mat G = D.unaryExpr([](double v) { return v >= 0 ? 1.0 : -1.0; });
        if (softmax_net) {
          *grad = G;  // the attack applies the softmax Jacobian itself
        } else {
          // d/dz of g . softmax(z) = p * (g - p . g)
          const Vec pg = (P.cwiseProduct(G)).rowwise().sum();
          *grad = P.cwiseProduct(G.colwise() - pg);
        }
      };
  }
  fail(ErrorKind::kInternal, "unknown PV objective");
}

struct Candidate {
  Vec x;
  double value = -kInf;
  std::string found_by;
};

// Builder state of one MILP.
struct Milp {
  mip::Model model;
  encode::EncodedNetwork enc;
  std::vector<mip::Term> objective;
  double constant = 0.0;
};

std::string terminationText(const mip::MipResult& r) {
  std::string s = mip::terminationName(r.termination);
  if (r.limit != mip::Limit::kNone) s += fmt::format(" ({})", mip::limitName(r.limit));
  return s;
}

}  // namespace

PvMilpReport milpReport(const std::string& label, const mip::Model& model,
                        const mip::MipResult& r) {
  PvMilpReport rep;
  rep.label = label;
  rep.termination = terminationText(r);
  rep.objective = r.objective.value_or(NAN);
  rep.best_bound = r.best_bound;
  rep.rows = model.numRows();
  rep.columns = model.numVars();
  rep.binaries = model.numIntegerVars();
  rep.nodes = r.stats.nodes;
  rep.wall_s = r.stats.wall_s;
  rep.detail = r.detail;
  return rep;
}

void to_json(nlohmann::json& j, const PvMilpReport& r) {
  j = {{"label", r.label},
       {"termination", r.termination},
       {"objective", jsonNumber(r.objective)},
       {"best_bound", jsonNumber(r.best_bound)},
       {"rows", r.rows},
       {"columns", r.columns},
       {"binaries", r.binaries},
       {"nodes", r.nodes},
       {"wall_s", r.wall_s},
       {"detail", r.detail}};
}

void to_json(nlohmann::json& j, const PvResult& r) {
  j = {{"objective", pvObjectiveName(r.objective)},
       {"value", jsonNumber(r.value)},
       {"bound", jsonNumber(r.bound)},
       {"gap", jsonNumber(r.gap)},
       {"gap_formula", "(bound - value) / max(|value|, 1e-10)"},
       {"proven", r.proven},
       {"found_by", r.found_by},
       {"attack_value", jsonNumber(r.attack_value)},
       {"approx_error", r.approx_error},
       {"observed_error", r.observed_error},
       {"reference",
        {{"class", r.class0}, {"logits", jsonVector(r.z0)}, {"probabilities", jsonVector(r.p0)}}},
       {"found",
        {{"class", r.found_class},
         {"logits", jsonVector(r.z)},
         {"probabilities", jsonVector(r.p)},
         {"x", jsonVector(r.x)}}},
       {"bounds_method", r.bounds_method},
       {"bounds_over", r.bounds_over},
       {"bounds_s", r.bounds_s},
       {"attack_s", r.attack_s},
       {"milp_s", r.milp_s},
       {"wall_s", r.wall_s},
       {"milps", r.milps}};
}

const char* pvObjectiveName(PvObjective objective) {
  switch (objective) {
    case PvObjective::kLogitL1: return "logit-l1";
    case PvObjective::kMargin: return "margin";
    case PvObjective::kSoftmaxL1: return "softmax-l1";
  }
  return "?";
}

PvObjective parsePvObjective(std::string_view name) {
  if (name == "logit-l1") return PvObjective::kLogitL1;
  if (name == "margin") return PvObjective::kMargin;
  if (name == "softmax-l1") return PvObjective::kSoftmaxL1;
  fail(ErrorKind::kInvalidInput, "objective '{}': expected softmax-l1, logit-l1 or margin", name);
}

Vec logitsAt(const nn::Network& net, const Vec& x) {
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  if (lastIsSoftmax(net)) return t.pre.back();
  return t.post.back();
}

Vec softmaxOf(const Vec& z) { return softmaxRows(z.transpose()).transpose(); }

double pvObjectiveValue(const nn::Network& net, PvObjective objective, const Vec& x, const Vec& z0,
                        int class0) {
  const Vec z = logitsAt(net, x);
  switch (objective) {
    case PvObjective::kLogitL1: return (z - z0).cwiseAbs().sum();
    case PvObjective::kMargin: {
      double best = -kInf;
      for (Eigen::Index j = 0; j < z.size(); ++j) {
        if (j != class0) best = std::max(best, z[j] - z[class0]);
      }
      return best;
    }
    case PvObjective::kSoftmaxL1: return (softmaxOf(z) - softmaxOf(z0)).cwiseAbs().sum();
  }
  return NAN;
}

QueryBounds queryBounds(const nn::Network& net, const encode::Domain& domain,
                        const std::optional<encode::Box>& bounds_box, bounds::BoundsOptions options,
                        std::optional<double> bounds_time_limit_s,
                        std::optional<double> time_limit_s, const std::string& who,
                        const Callbacks& callbacks) {
  std::optional<double> share = bounds_time_limit_s;
  if (!share && time_limit_s) share = 0.5 * *time_limit_s;
  if (share) {
    options.solver.time_limit_s =
        options.solver.time_limit_s ? std::min(*options.solver.time_limit_s, *share) : *share;
    options.alpha.time_limit_s = options.solver.time_limit_s;
  }
  QueryBounds out;
  out.options = options;
  out.method = bounds::methodName(options.method);
  if (bounds_box) {
    const encode::Box& bb = *bounds_box;
    bb.validate(who + " bounds box", net.inputSize());
    if ((domain.box.lo.array() < bb.lo.array()).any() ||
        (domain.box.hi.array() > bb.hi.array()).any()) {
      fail(ErrorKind::kInvalidInput, "{}: the bounds box does not contain the query box", who);
    }
    out.result = bounds::computeBounds(net, encode::Domain(bb), options, callbacks);
    out.over = "box";
  } else {
    out.result = bounds::computeBounds(net, domain, options, callbacks);
    out.over = "query";
  }
  return out;
}

PvResult solvePv(const nn::Network& net, const encode::Domain& domain, const Vec& x0,
                 const PvOptions& options, const Callbacks& callbacks) {
  const Timer total;
  encode::checkSupported(net);
  domain.validate(net, "PV domain");
  const int n = net.inputSize();
  const int k = net.outputSize();
  if (x0.size() != n) {
    fail(ErrorKind::kInvalidInput, "PV: reference has {} values, the network {} inputs", x0.size(),
         n);
  }
  if (options.objective != PvObjective::kLogitL1 && k < 2) {
    fail(ErrorKind::kInvalidInput, "PV {}: needs at least 2 outputs, the network has {}",
         pvObjectiveName(options.objective), k);
  }
  double budget_start = 0.0;  // time_limit_s counts from here (see bounds_time_limit_s)
  auto remaining = [&]() -> std::optional<double> {
    if (!options.time_limit_s) return std::nullopt;
    return std::max(0.0, *options.time_limit_s - (total.seconds() - budget_start));
  };

  PvResult res;
  res.objective = options.objective;
  res.x0 = x0;
  res.z0 = logitsAt(net, x0);
  res.p0 = softmaxOf(res.z0);
  res.class0 = classOf(net, res.z0);
  const Vec& z0 = res.z0;
  const Vec& p0 = res.p0;
  const int c0 = res.class0;

  // ---- bounds ------------------------------------------------------------------------------
  Timer phase;
  QueryBounds qb = queryBounds(net, domain, options.bounds_box, options.bounds,
                               options.bounds_time_limit_s, options.time_limit_s, "PV", callbacks);
  const bounds::BoundsResult& br = qb.result;
  const bounds::BoundsOptions& bo = qb.options;
  res.bounds_over = qb.over;
  res.bounds_method = qb.method;
  res.bounds_s = phase.seconds();
  if (options.bounds_time_limit_s) budget_start = total.seconds();
  if (br.bounds.empty) {
    // The bounds proved the domain empty (a split against the bounds, or an LP infeasible with
    // a checked Farkas certificate): no input, the maximum over it is -inf.
    res.value = res.bound = -kInf;
    res.gap = kInf;
    res.proven = true;
    res.wall_s = total.seconds();
    return res;
  }
  const encode::LayerBounds zb =
      encode::postActivationBounds(net.layers().back(), br.bounds.layers.back());

  // ---- candidates: box centre, attack -------------------------------------------------------
  Candidate best;
  auto consider = [&](const Vec& x_in, const std::string& by) {
    Vec x = x_in.cwiseMax(domain.box.lo).cwiseMin(domain.box.hi);
    if (domain.hasSideRows() || !domain.splits.empty()) {
      if (!domain.satisfiedBy(net, x, 1e-9)) return;
    }
    const double v = pvObjectiveValue(net, options.objective, x, z0, c0);
    if (std::isfinite(v) && v > best.value) best = {x, v, by};
  };
  consider(domain.box.center(), "box-centre");
  phase.reset();
  if (options.run_attack) {
    nn::AttackOptions ao = options.attack;
    if (options.time_limit_s) {
      const double share = std::min(0.1 * *options.time_limit_s, *remaining());
      ao.time_limit_s = ao.time_limit_s ? std::min(*ao.time_limit_s, share) : share;
    }
    const bool need_logits = options.objective != PvObjective::kSoftmaxL1;
    const nn::Network logit_net = need_logits ? logitNetwork(net) : nn::Network();
    const nn::Network& anet = need_logits ? logit_net : net;
    const nn::AttackResult ar =
        nn::attackBox(anet, domain.box.lo, domain.box.hi,
                      attackObjective(anet, options.objective, z0, c0), ao, callbacks);
    consider(ar.x, "attack");
    res.attack_value = ar.value;
  }
  res.attack_s = phase.seconds();

  // ---- MILPs -------------------------------------------------------------------------------
  phase.reset();
  auto solver = mip::makeMipSolver(options.mip_backend);
  bool all_optimal = true;
  double bound = -kInf;

  auto inputOf = [&](const Milp& m, const std::vector<double>& values) {
    Vec x(n);
    for (int i = 0; i < n; ++i) x[i] = values[static_cast<size_t>(m.enc.inputs.x[i].id)];
    return x;
  };
  auto solve = [&](Milp& m, const std::string& label, std::vector<double> start,
                   std::optional<double> limit, double fallback_bound) -> mip::MipResult {
    m.model.setObjective(mip::Sense::kMaximize, m.objective, m.constant);
    mip::MipParams params;
    params.threads = options.threads;
    if (limit) params.time_limit_s = std::max(0.1, *limit);  // a spent budget still ends
    // CBC ignored a 120 s limit at the root by up to 130 s: the limit is enforced from outside
    // (a killed solve keeps its dual bound, and loses the incumbents CBC had not returned).
    params.hard_time_limit = true;
    params.report_root_lp = true;  // a MILP killed in its root cut loop keeps the LP's bound
    params.start = std::move(start);
    params.exact_dual_bound = true;
    const mip::MipResult r = solver->solve(m.model, params, callbacks);
    res.milps.push_back(milpReport(label, m.model, r));
    if (r.termination != mip::Termination::kOptimal) all_optimal = false;
    if (r.hasSolution()) consider(inputOf(m, r.values), "milp");
    double b;
    if (r.termination == mip::Termination::kInfeasible) {
      b = -kInf;  // the domain is empty (within the solver's tolerances)
    } else if (std::isfinite(r.provenBound())) {
      b = std::min(r.provenBound(), fallback_bound);
    } else {
      b = fallback_bound;
    }
    bound = std::max(bound, b);
    return r;
  };
  auto newMilp = [&](Milp& m) { m.enc = encode::encodeNetwork(m.model, net, domain, br.bounds); };
  auto startFor = [&](const Milp& m) {
    return best.x.size() == n ? encode::mipStartFromInput(m.model, m.enc, best.x)
                              : std::vector<double>{};
  };
  auto outVar = [&](const Milp& m, int j) { return m.enc.outputs.at(static_cast<size_t>(j)); };

  if (options.objective == PvObjective::kLogitL1) {
    Milp m;
    newMilp(m);
    struct Sign {
      int j;
      mip::Var t, s;
    };
    std::vector<Sign> signs;
    double trivial = 0.0;
    for (int j = 0; j < k; ++j) {
      const double dl = zb.lo[j] - z0[j], du = zb.hi[j] - z0[j];
      trivial += std::max(std::abs(dl), std::abs(du));
      const mip::Var z = outVar(m, j);
      if (dl >= 0) {
        m.objective.push_back({z, 1.0});
        m.constant -= z0[j];
      } else if (du <= 0) {
        m.objective.push_back({z, -1.0});
        m.constant += z0[j];
      } else {
        const mip::Var t = m.model.addContinuous(0.0, std::max(-dl, du), fmt::format("t{}", j));
        const mip::Var s = m.model.addBinary(fmt::format("sign{}", j));
        // t <= z - z0 + 2(-dl)(1 - s);  t <= -(z - z0) + 2 du s
        m.model.addLe({{t, 1.0}, {z, -1.0}, {s, -2.0 * dl}}, -z0[j] - 2.0 * dl);
        m.model.addLe({{t, 1.0}, {z, 1.0}, {s, -2.0 * du}}, z0[j]);
        m.objective.push_back({t, 1.0});
        signs.push_back({j, t, s});
      }
    }
    std::vector<double> start = startFor(m);
    if (!start.empty()) {
      const Vec z = logitsAt(net, best.x);
      for (const Sign& sg : signs) {
        const double d = z[sg.j] - z0[sg.j];
        start[static_cast<size_t>(sg.t.id)] = std::abs(d);
        start[static_cast<size_t>(sg.s.id)] = d >= 0 ? 1.0 : 0.0;
      }
    }
    solve(m, "logit-l1", std::move(start), remaining(), trivial);
  } else if (options.objective == PvObjective::kMargin) {
    std::vector<int> js;
    for (int j = 0; j < k; ++j) {
      if (j != c0) js.push_back(j);
    }
    // Most promising first: the largest interval upper bound.
    std::stable_sort(js.begin(), js.end(),
                     [&](int a, int b) { return zb.hi[a] - zb.lo[c0] > zb.hi[b] - zb.lo[c0]; });
    for (size_t i = 0; i < js.size(); ++i) {
      const int j = js[i];
      const double trivial = zb.hi[j] - zb.lo[c0];
      if (trivial <= best.value) {  // this j cannot beat the best value: its bound is enough
        bound = std::max(bound, trivial);
        continue;
      }
      std::optional<double> limit = remaining();
      if (limit) *limit /= static_cast<double>(js.size() - i);
      Milp m;
      newMilp(m);
      m.objective = {{outVar(m, j), 1.0}, {outVar(m, c0), -1.0}};
      solve(m, fmt::format("margin j={}", j), startFor(m), limit, trivial);
    }
  } else {
    // softmax-l1
    Milp m;
    newMilp(m);
    // Ranges of the differences z_j - z_k: the interval of the logit bounds, tightened by
    // linearBound at the tier (back-substitution from symbolic on, an LP at lp and milp) over
    // the query domain, with the tier's bounds as its prior; they become rows of the MILP.
    Mat dlo(k, k), dhi(k, k);
    for (int j = 0; j < k; ++j) {
      for (int kk = 0; kk < k; ++kk) {
        dlo(j, kk) = zb.lo[j] - zb.hi[kk];
        dhi(j, kk) = zb.hi[j] - zb.lo[kk];
      }
    }
    const bool relu_out = encode::isReluLayer(net.layers().back());
    if (bo.method >= bounds::Method::kSymbolic && !relu_out) {
      const bounds::Method dt = bo.method == bounds::Method::kMilp    ? bounds::Method::kLp
                                : bo.method == bounds::Method::kAlpha ? bounds::Method::kSymbolic
                                                                      : bo.method;
      bounds::LinearBoundOptions lbo;
      lbo.solver = bo.solver;
      lbo.prior = &br.bounds;
      encode::Domain ldom = domain;
      ldom.outputs_are_logits = true;  // the objective is over the logits of a softmax net
      // At most a tenth of the time limit: the pairs not reached keep their interval ranges.
      const Timer diff_clock;
      const std::optional<double> diff_budget =
          options.time_limit_s
              ? std::optional<double>(std::min(0.1 * *options.time_limit_s, *remaining()))
              : std::nullopt;
      for (int j = 0; j < k; ++j) {
        for (int kk = j + 1; kk < k; ++kk) {
          if (diff_budget) {
            const double left = *diff_budget - diff_clock.seconds();
            if (left <= 0.0) continue;
            lbo.solver.time_limit_s = left;
          }
          bounds::LinearObjective lo;
          lo.coef = Vec::Zero(k);
          lo.coef[j] = 1.0;
          lo.coef[kk] = -1.0;
          const bounds::LinearBoundResult lb = bounds::linearBound(net, ldom, lo, dt, lbo);
          // An empty domain or ranges crossing by round-off keep the interval ranges.
          if (lb.empty || std::max(dlo(j, kk), lb.lo) > std::min(dhi(j, kk), lb.hi)) continue;
          dlo(j, kk) = std::max(dlo(j, kk), lb.lo);
          dhi(j, kk) = std::min(dhi(j, kk), lb.hi);
          dlo(kk, j) = -dhi(j, kk);
          dhi(kk, j) = -dlo(j, kk);
        }
      }
    }
    // The sandwich's upper side (encode/softmax_pwl.hpp) with the ranges above as rows; per
    // class, (d) t = (p - p0)^+ right after its rows.
    std::vector<mip::Var> z_vars;
    for (int j = 0; j < k; ++j) z_vars.push_back(outVar(m, j));
    std::vector<mip::Var> t_vars(static_cast<size_t>(k)), b_vars(static_cast<size_t>(k));
    auto gain = [&](int kk, const encode::SoftmaxPwlClass& c) {
      // (d) t = (p - p0)^+
      const double t_hi = c.pu - p0[kk];
      if (t_hi > 0) {
        const mip::Var t = m.model.addContinuous(0.0, t_hi, fmt::format("t{}", kk));
        const mip::Var b = m.model.addBinary(fmt::format("gain{}", kk));
        m.model.addLe({{t, 1.0}, {c.p, -1.0}, {b, p0[kk]}}, 0.0);  // t <= p - p0 + p0(1-b)
        m.model.addLe({{t, 1.0}, {b, -t_hi}}, 0.0);
        m.objective.push_back({t, 2.0});
        t_vars[static_cast<size_t>(kk)] = t;
        b_vars[static_cast<size_t>(kk)] = b;
      }
    };
    encode::SoftmaxPwlOptions po = options.pwl;
    po.difference_rows = true;
    po.sum_to_one = true;
    const encode::SoftmaxPwl pwl = encode::encodeSoftmaxPwl(m.model, z_vars, dlo, dhi, po,
                                                            encode::SoftmaxSides::kUpper, "", gain);
    res.approx_error = pwl.upper_error;

    std::vector<double> start = startFor(m);
    if (!start.empty()) {
      const Vec z = logitsAt(net, best.x);
      encode::setSoftmaxPwlStart(pwl, z, start);
      for (int kk = 0; kk < k; ++kk) {
        const encode::SoftmaxPwlClass& c = pwl.classes[static_cast<size_t>(kk)];
        const double pk = start[static_cast<size_t>(c.p.id)];
        if (t_vars[static_cast<size_t>(kk)].valid()) {
          start[static_cast<size_t>(t_vars[static_cast<size_t>(kk)].id)] =
              std::max(0.0, pk - p0[kk]);
          start[static_cast<size_t>(b_vars[static_cast<size_t>(kk)].id)] = pk > p0[kk] ? 1.0 : 0.0;
        }
      }
    }
    const mip::MipResult r = solve(m, "softmax-l1", std::move(start), remaining(), 2.0);
    if (r.hasSolution()) {
      Vec z(k);
      for (int j = 0; j < k; ++j) z[j] = r.values[static_cast<size_t>(outVar(m, j).id)];
      const Vec p = softmaxOf(z);
      for (int kk = 0; kk < k; ++kk) {
        const double ph = r.values[static_cast<size_t>(pwl.classes[static_cast<size_t>(kk)].p.id)];
        res.observed_error = std::max(res.observed_error, ph - p[kk]);
      }
    }
  }
  res.milp_s = phase.seconds();

  // ---- the answer ---------------------------------------------------------------------------
  if (best.x.size() == n) {
    res.x = best.x;
    res.value = best.value;
    res.found_by = best.found_by;
  } else {
    res.value = -kInf;  // no point of the domain was found (empty domain)
  }
  if (options.objective == PvObjective::kSoftmaxL1) {
    res.bound = std::min(2.0, bound + options.bound_safety);
  } else {
    res.bound = std::isfinite(bound) ? bound + options.bound_safety * (1.0 + std::abs(bound))
                                     : bound;  // -inf: the MILP proved the domain empty
  }
  if (res.x.size() == n) {
    res.z = logitsAt(net, res.x);
    res.p = softmaxOf(res.z);
    res.found_class = classOf(net, res.z);
  }
  res.gap = std::isfinite(res.value) ? std::max(0.0, relGap(res.value, res.bound)) : kInf;
  res.proven = all_optimal;
  res.wall_s = total.seconds();
  return res;
}

}  // namespace nnmip::verify
