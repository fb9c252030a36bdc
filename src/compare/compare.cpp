#include "compare/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "bounds/linear_bound.hpp"
#include "compare/diff_bounds.hpp"
#include "core/error.hpp"
#include "core/json_number.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"
#include "nn/stack.hpp"
#include "verify/witness.hpp"

namespace nnmip::compare {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool isMinimum(Comparator c) { return c == Comparator::kMinEps; }

using verify::logitNetwork;
using verify::softmaxRows;

int argmaxOf(const Vec& v) {
  int c = 0;
  for (int i = 1; i < v.size(); ++i) {
    if (v[i] > v[c]) c = i;
  }
  return c;
}

// The smallest z[c] - z[j] over j != c (> 0: c is the strict argmax).
double marginOf(const Vec& z, int c) {
  double m = kInf;
  for (int j = 0; j < z.size(); ++j) {
    if (j != c) m = std::min(m, z[c] - z[j]);
  }
  return m;
}

// Flips of hidden neurons with margin delta (within the solvers' feasibility tolerance, 1e-6)
// between two traces of networks of one architecture.
int flipsOf(const nn::ForwardTrace& ta, const nn::ForwardTrace& tb, double delta_in) {
  const double delta = std::max(0.0, delta_in - 1e-6);
  int flips = 0;
  for (size_t l = 0; l + 1 < ta.pre.size(); ++l) {
    for (Eigen::Index i = 0; i < ta.pre[l].size(); ++i) {
      const double a = ta.pre[l][i], b = tb.pre[l][i];
      if ((a >= delta && b <= -delta && a > 0 && b < 0) ||
          (a <= -delta && b >= delta && a < 0 && b > 0)) {
        ++flips;
      }
    }
  }
  return flips;
}

// The comparator's objective on double logits (or traces for maxflip).
struct Evaluator {
  const nn::Network& a;
  const nn::Network& b;
  const CompareOptions& o;
  Vec x0;
  int c0;

  // Whether a margin admits x: > 0 (the strict argmax) and >= delta within the solvers'
  // feasibility tolerance (1e-6), so that MILP solutions of the delta rows pass.
  bool admits(double margin) const { return margin > 0.0 && margin >= o.margin - 1e-6; }

  // NaN when x is not admissible (maxout, mineps: the class conditions above).
  double operator()(const Vec& x) const {
    const nn::ForwardTrace ta = nn::forwardTrace(a, x), tb = nn::forwardTrace(b, x);
    const Vec za = ta.pre.back(), zb = tb.pre.back();
    switch (o.comparator) {
      case Comparator::kMaxDiffLogit: return (za - zb).cwiseAbs().sum();
      case Comparator::kMaxDiff:
        return (encode::softmax(za) - encode::softmax(zb)).cwiseAbs().sum();
      case Comparator::kMaxOut:
        if (!admits(marginOf(za, o.class1)) || !admits(marginOf(zb, o.class2))) return NAN;
        return za[o.class1] + zb[o.class2];
      case Comparator::kMaxFlip: return flipsOf(ta, tb, o.margin);
      case Comparator::kMinEps: {
        if (!admits(marginOf(za, c0)) || argmaxOf(zb) == c0 || !admits(-marginOf(zb, c0))) {
          return NAN;
        }
        return (x - x0).cwiseAbs().maxCoeff();
      }
    }
    return NAN;
  }
};

NetEval evaluate(const nn::Network& logit_net, const verify::FloatNetwork& net32, const Vec& x) {
  NetEval e;
  e.logits = nn::forward(logit_net, x);
  e.probs = encode::softmax(e.logits);
  e.cls = argmaxOf(e.logits);
  const Eigen::VectorXf y32 = net32.forward(x.cast<float>());
  e.logits32 = y32.cast<double>();
  e.probs32 = encode::softmax(e.logits32);
  e.cls32 = argmaxOf(e.logits32);
  return e;
}

// Everything one comparison shares: the stack, its bounds, the budget, the best input.
struct Context {
  const nn::Network& a;  // logit networks
  const nn::Network& b;
  const encode::Domain& domain;
  const CompareOptions& o;
  const Callbacks& cb;
  nn::StackedNetwork stack;
  bounds::NetworkBounds sb;  // bounds of the stack
  int k1 = 0, k2 = 0, n = 0;
  Vec x0;
  int c0 = -1;
  Timer total;
  double milp_start = 0.0;  // total.seconds() when the MILP phase began
  bool minimise = false;
  long attack_evals = 0;
  // Differential bounds of a same-architecture pair (empty otherwise): per layer, bounds of
  // a^A - a^B (dz) and of h^A - h^B (dh; the output layer's dh = dz).
  std::vector<encode::LayerBounds> dz, dh;
  std::optional<DifferenceProblem> diff;  // what they were computed from
  // Best input.
  Vec best_x;
  double best = NAN;
  std::string found_by;
  // MILP outcome.
  double bound = NAN;
  bool all_proved = true;
  CompareResult res;
  std::unique_ptr<mip::MipSolver> solver;

  Context(const nn::Network& na, const nn::Network& nb, const encode::Domain& d,
          const CompareOptions& opt, const Callbacks& c)
      : a(na), b(nb), domain(d), o(opt), cb(c) {}

  std::optional<double> remaining() const {
    if (!o.time_limit_s) return std::nullopt;
    return std::max(0.0, *o.time_limit_s - (total.seconds() - milp_start));
  }
  bool better(double v) const {
    if (std::isnan(v)) return false;
    if (std::isnan(best)) return true;
    return minimise ? v < best : v > best;
  }
  void consider(const Vec& x_in, const std::string& by) {
    const Vec x = x_in.cwiseMax(domain.box.lo).cwiseMin(domain.box.hi);
    if (domain.hasSideRows() && !domain.inputFeasible(x, 1e-9)) return;
    const double v = Evaluator{a, b, o, x0, c0}(x);
    if (better(v)) {
      best = v;
      best_x = x;
      found_by = by;
    }
  }
  // Bound from one MILP in the comparator's sense (max: upper, min: lower).
  void addBound(double v) {
    if (std::isnan(bound)) {
      bound = v;
    } else {
      bound = minimise ? std::min(bound, v) : std::max(bound, v);
    }
  }
};

struct Milp {
  mip::Model model;
  encode::EncodedNetwork enc;
  std::vector<mip::Term> objective;
  double constant = 0.0;
  mip::Var out(int j) const { return enc.outputs.at(static_cast<size_t>(j)); }
};

void addDifferenceRows(const Context& ctx, Milp& m);

void newMilp(Context& ctx, Milp& m) {
  m.enc = encode::encodeNetwork(m.model, ctx.stack.net, ctx.domain, ctx.sb);
  addDifferenceRows(ctx, m);
}

std::vector<double> startFor(const Context& ctx, const Milp& m) {
  if (ctx.best_x.size() != ctx.n) return {};
  return encode::mipStartFromInput(m.model, m.enc, ctx.best_x);
}

// Solves one MILP; records its report, its incumbent's input (as a candidate) and its bound.
mip::MipResult solveMilp(Context& ctx, Milp& m, const std::string& label, std::vector<double> start,
                         std::optional<double> limit) {
  m.model.setObjective(ctx.minimise ? mip::Sense::kMinimize : mip::Sense::kMaximize, m.objective,
                       m.constant);
  mip::MipParams params;
  params.threads = ctx.o.threads;
  params.backend_options = ctx.o.mip_backend_options;
  if (limit) params.time_limit_s = std::max(0.1, *limit);
  // As PV: the limit is enforced from outside (CBC overran limits at the root), and a solve
  // killed in its root cut loop keeps the root LP's bound.
  params.hard_time_limit = true;
  params.report_root_lp = true;
  params.start = ctx.o.mip_backend == "enum" ? std::vector<double>{} : std::move(start);
  params.exact_dual_bound = true;
  const mip::MipResult r = ctx.solver->solve(m.model, params, ctx.cb);
  ctx.res.milps.push_back(verify::milpReport(label, m.model, r));
  if (r.termination != mip::Termination::kOptimal &&
      r.termination != mip::Termination::kInfeasible) {
    ctx.all_proved = false;
  }
  if (r.hasSolution()) {
    Vec x(ctx.n);
    for (int i = 0; i < ctx.n; ++i) x[i] = r.values[static_cast<size_t>(m.enc.inputs.x[i].id)];
    ctx.consider(x, "milp");
  }
  return r;
}

// The dual bound a solve proves (max: upper; min: lower), else `fallback`; +-inf when the model
// is infeasible (no input in the maximisation's sense: -inf; in the minimisation's: +inf).
double provedBound(const Context& ctx, const mip::MipResult& r, double fallback) {
  if (r.termination == mip::Termination::kInfeasible) return ctx.minimise ? kInf : -kInf;
  const double b = r.provenBound();
  if (!std::isfinite(b)) return fallback;
  return ctx.minimise ? std::max(b, fallback) : std::min(b, fallback);
}

// Records a MILP that the bounds made unnecessary (its answer is proved without a solve).
void recordSkipped(Context& ctx, const std::string& label, const std::string& why) {
  verify::PvMilpReport rep;
  rep.label = label;
  rep.termination = why;
  rep.objective = rep.best_bound = NAN;
  ctx.res.milps.push_back(rep);
}

// ---- ranges --------------------------------------------------------------------------------

// Interval of the stack's output j.
double outLo(const Context& ctx, int j) { return ctx.sb.layers.back().lo[j]; }
double outHi(const Context& ctx, int j) { return ctx.sb.layers.back().hi[j]; }

// Bounds of c . y over the domain by linearBound on the stack at the tier (milp: lp), with the
// stack's bounds as prior; nullopt when it proves nothing or the budget is spent.
std::optional<std::pair<double, double>> linearRange(Context& ctx, const Vec& coef,
                                                     std::optional<double> budget) {
  if (budget && *budget <= 0.0) return std::nullopt;
  bounds::Method tier = ctx.o.bounds.method;
  if (tier == bounds::Method::kMilp) tier = bounds::Method::kLp;
  if (tier == bounds::Method::kNaive || tier == bounds::Method::kInterval) return std::nullopt;
  bounds::LinearBoundOptions lbo;
  lbo.solver = ctx.o.bounds.solver;
  if (budget) lbo.solver.time_limit_s = *budget;
  lbo.prior = &ctx.sb;
  bounds::LinearObjective lo;
  lo.coef = coef;
  const bounds::LinearBoundResult r =
      bounds::linearBound(ctx.stack.net, ctx.domain, lo, tier, lbo, ctx.cb);
  if (r.empty || !(r.lo <= r.hi)) return std::nullopt;
  return std::make_pair(r.lo, r.hi);
}

// Ranges of z_j - z_k within one block (offset 0: N1, k1: N2) of `size` outputs: the interval
// of the outputs' bounds, tightened by linearBound.
void pairRanges(Context& ctx, int offset, int size, Mat& dlo, Mat& dhi, const Timer& clock,
                std::optional<double> budget) {
  dlo.resize(size, size);
  dhi.resize(size, size);
  for (int j = 0; j < size; ++j) {
    for (int k = 0; k < size; ++k) {
      dlo(j, k) = outLo(ctx, offset + j) - outHi(ctx, offset + k);
      dhi(j, k) = outHi(ctx, offset + j) - outLo(ctx, offset + k);
    }
  }
  for (int j = 0; j < size; ++j) {
    for (int k = j + 1; k < size; ++k) {
      Vec coef = Vec::Zero(ctx.k1 + ctx.k2);
      coef[offset + j] = 1.0;
      coef[offset + k] = -1.0;
      std::optional<double> left;
      if (budget) left = *budget - clock.seconds();
      const auto r = linearRange(ctx, coef, left);
      if (!r || std::max(dlo(j, k), r->first) > std::min(dhi(j, k), r->second)) continue;
      dlo(j, k) = std::max(dlo(j, k), r->first);
      dhi(j, k) = std::min(dhi(j, k), r->second);
      dlo(k, j) = -dhi(j, k);
      dhi(k, j) = -dlo(j, k);
    }
  }
}

// ---- differential bounds (same architecture) -----------------------------------------------

// ctx.dz, ctx.dh from compare/diff_bounds over the stack's bounds (A: the head of each layer,
// B: the tail).
void computeDifferenceBounds(Context& ctx) {
  DifferenceProblem& p = ctx.diff.emplace(DifferenceProblem{ctx.a, ctx.b, ctx.sb.input, {}, {}});
  for (const auto& lb : ctx.sb.layers) {
    const Eigen::Index w = lb.lo.size() / 2;
    p.a_pre.push_back({lb.lo.head(w), lb.hi.head(w)});
    p.b_pre.push_back({lb.lo.tail(w), lb.hi.tail(w)});
  }
  DifferenceBounds d = differenceBounds(p, ctx.o.diff_symbolic);
  ctx.dz = std::move(d.dz);
  ctx.dh = std::move(d.dh);
}

// An upper bound of (z1 - z2)[i] - (z1 - z2)[j] over the domain from the differential bounds
// (+inf without them): the symbolic pass on e_i - e_j, intersected with dz's own ranges.
double outputDiffGapUpper(const Context& ctx, int i, int j) {
  if (ctx.dz.empty()) return kInf;
  double u = ctx.dz.back().hi[i] - ctx.dz.back().lo[j];
  if (ctx.o.diff_symbolic && ctx.diff) {
    Mat c = Mat::Zero(1, ctx.dz.back().lo.size());
    c(0, i) = -1.0;
    c(0, j) = 1.0;
    u = std::min(
        u, -differenceLowerBounds(*ctx.diff, ctx.dz, static_cast<int>(ctx.dz.size()) - 1, c)[0]);
  }
  return u;
}

// Rows dz_lo <= a^A - a^B <= dz_hi and dh_lo <= h^A - h^B <= dh_hi for every neuron whose ranges
// are narrower than those the two copies' own bounds imply (a stably inactive copy has h = 0).
void addDifferenceRows(const Context& ctx, Milp& m) {
  if (ctx.dz.empty()) return;
  for (int l = 0; l < static_cast<int>(ctx.dz.size()); ++l) {
    const int off = ctx.stack.offset_b[static_cast<size_t>(l)];
    const auto& sb = ctx.sb.layers[static_cast<size_t>(l)];
    const bool last = l + 1 == static_cast<int>(ctx.dz.size());
    for (int i = 0; i < off; ++i) {
      const encode::NeuronVars& va = m.enc.neuron(l, i);
      const encode::NeuronVars& vb = m.enc.neuron(l, off + i);
      const double lo = ctx.dz[l].lo[i], hi = ctx.dz[l].hi[i];
      if (lo > sb.lo[i] - sb.hi[off + i] || hi < sb.hi[i] - sb.lo[off + i]) {
        m.model.addRow(lo, hi, {{va.pre, 1.0}, {vb.pre, -1.0}}, fmt::format("dz_L{}N{}", l + 1, i));
      }
      if (last) continue;
      std::vector<mip::Term> t;
      if (va.post.valid()) t.push_back({va.post, 1.0});
      if (vb.post.valid()) t.push_back({vb.post, -1.0});
      if (t.empty()) continue;
      const double hl = ctx.dh[l].lo[i], hh = ctx.dh[l].hi[i];
      if (va.post == va.pre && vb.post == vb.pre) continue;  // both active: the dz row
      m.model.addRow(hl, hh, t, fmt::format("dh_L{}N{}", l + 1, i));
    }
  }
}

// ---- comparators ---------------------------------------------------------------------------

// A bound of ||z1 - z2||_1 from the symbolic differential pass (+inf without it, or with more
// than 12 outputs whose difference can change sign): sum_j |d_j| = max over sign vectors s of
// s . d, and each s . d is bounded by one back-substituted row (the outputs of fixed sign keep
// theirs; 2^free rows). Tighter than summing the per-output ranges, whose extremes need not
// be reached at one input.
double signedSumBound(const Context& ctx, const Vec& dl, const Vec& du) {
  if (!ctx.o.diff_symbolic || !ctx.diff || ctx.dz.empty()) return kInf;
  const int k = static_cast<int>(dl.size());
  std::vector<int> free;
  Vec fixed = Vec::Zero(k);
  for (int j = 0; j < k; ++j) {
    if (dl[j] >= 0.0) {
      fixed[j] = 1.0;
    } else if (du[j] <= 0.0) {
      fixed[j] = -1.0;
    } else {
      free.push_back(j);
    }
  }
  if (free.size() > 12) return kInf;
  const Eigen::Index rows = Eigen::Index{1} << free.size();
  Mat c(rows, k);  // rows -s (lower bounds of -s . d give upper bounds of s . d)
  for (Eigen::Index r = 0; r < rows; ++r) {
    c.row(r) = -fixed.transpose();
    for (size_t q = 0; q < free.size(); ++q) c(r, free[q]) = (r >> q) & 1 ? -1.0 : 1.0;
  }
  return -differenceLowerBounds(*ctx.diff, ctx.dz, static_cast<int>(ctx.dz.size()) - 1, c)
              .minCoeff();
}

void runMaxDiffLogit(Context& ctx) {
  const int k = ctx.k1;
  Vec dl(k), du(k);
  const Timer clock;
  for (int j = 0; j < k; ++j) {
    dl[j] = outLo(ctx, j) - outHi(ctx, k + j);
    du[j] = outHi(ctx, j) - outLo(ctx, k + j);
    if (!ctx.o.diff_bounds) continue;
    if (!ctx.dz.empty()) {
      dl[j] = std::max(dl[j], ctx.dz.back().lo[j]);
      du[j] = std::min(du[j], ctx.dz.back().hi[j]);
    }
    Vec coef = Vec::Zero(2 * k);
    coef[j] = 1.0;
    coef[k + j] = -1.0;
    const auto r = linearRange(ctx, coef, std::nullopt);
    if (!r || std::max(dl[j], r->first) > std::min(du[j], r->second)) continue;
    dl[j] = std::max(dl[j], r->first);
    du[j] = std::min(du[j], r->second);
  }
  double trivial = 0.0;
  for (int j = 0; j < k; ++j) trivial += std::max(std::abs(dl[j]), std::abs(du[j]));
  const double l1_bound = ctx.o.diff_bounds ? signedSumBound(ctx, dl, du) : kInf;
  ctx.res.diff_s += clock.seconds();
  trivial = std::min(trivial, l1_bound);
  ctx.res.trivial_bound = trivial;
  Milp m;
  newMilp(ctx, m);
  struct Sign {
    int j;
    mip::Var t, s;
  };
  std::vector<Sign> signs;
  for (int j = 0; j < k; ++j) {
    const mip::Var f = m.out(j), g = m.out(k + j);
    if (ctx.o.diff_bounds)
      m.model.addRow(dl[j], du[j], {{f, 1.0}, {g, -1.0}}, fmt::format("d{}", j));
    if (dl[j] >= 0) {
      m.objective.push_back({f, 1.0});
      m.objective.push_back({g, -1.0});
    } else if (du[j] <= 0) {
      m.objective.push_back({f, -1.0});
      m.objective.push_back({g, 1.0});
    } else {
      const mip::Var t = m.model.addContinuous(0.0, std::max(-dl[j], du[j]), fmt::format("t{}", j));
      const mip::Var s = m.model.addBinary(fmt::format("sign{}", j));
      // d = f - g:  t <= d + 2(-dl)(1 - s);  t <= -d + 2 du s
      m.model.addLe({{t, 1.0}, {f, -1.0}, {g, 1.0}, {s, -2.0 * dl[j]}}, -2.0 * dl[j]);
      m.model.addLe({{t, 1.0}, {f, 1.0}, {g, -1.0}, {s, -2.0 * du[j]}}, 0.0);
      m.objective.push_back({t, 1.0});
      signs.push_back({j, t, s});
    }
  }
  // l1_bound caps the reported bound through `trivial` only: as a row (objective <= l1_bound)
  // it slowed CBC's proofs at radius 0.01 (bench_compare, 50 % pruned: 25 s -> open at 60 s).
  std::vector<double> start = startFor(ctx, m);
  if (!start.empty()) {
    const Vec y = nn::forward(ctx.stack.net, ctx.best_x);
    for (const Sign& sg : signs) {
      const double d = y[sg.j] - y[k + sg.j];
      start[static_cast<size_t>(sg.t.id)] = std::abs(d);
      start[static_cast<size_t>(sg.s.id)] = d >= 0 ? 1.0 : 0.0;
    }
  }
  const mip::MipResult r = solveMilp(ctx, m, "maxdiff-logit", std::move(start), ctx.remaining());
  ctx.addBound(provedBound(ctx, r, trivial));
}

void runMaxDiff(Context& ctx) {
  const int k = ctx.k1;
  const Timer clock;
  // The pair ranges of both networks: at most a tenth of the MILP budget.
  std::optional<double> budget;
  if (ctx.o.time_limit_s) budget = 0.1 * *ctx.o.time_limit_s;
  Mat dlo1, dhi1, dlo2, dhi2;
  pairRanges(ctx, 0, k, dlo1, dhi1, clock, budget);
  pairRanges(ctx, k, k, dlo2, dhi2, clock, budget);
  ctx.res.diff_s = clock.seconds();
  ctx.res.trivial_bound = 2.0;
  Milp m;
  newMilp(ctx, m);
  std::vector<mip::Var> z1, z2;
  for (int j = 0; j < k; ++j) {
    z1.push_back(m.out(j));
    z2.push_back(m.out(k + j));
  }
  encode::SoftmaxPwlOptions po = ctx.o.pwl;
  po.difference_rows = true;
  po.sum_to_one = true;
  const encode::SoftmaxPwl p1 =
      encode::encodeSoftmaxPwl(m.model, z1, dlo1, dhi1, po, encode::SoftmaxSides::kUpper, "a_");
  const encode::SoftmaxPwl p2 =
      encode::encodeSoftmaxPwl(m.model, z2, dlo2, dhi2, po, ctx.o.p2_sides, "b_");
  ctx.res.upper_error = p1.upper_error;
  ctx.res.lower_error = encode::hasSide(ctx.o.p2_sides, encode::SoftmaxSides::kLower)
                            ? p2.lower_error
                            : (k - 1) * p2.upper_error;
  std::vector<mip::Var> ts(static_cast<size_t>(k)), bs(static_cast<size_t>(k));
  for (int j = 0; j < k; ++j) {
    const auto& c1 = p1.classes[static_cast<size_t>(j)];
    const auto& c2 = p2.classes[static_cast<size_t>(j)];
    const double t_hi = std::min(1.0, c1.pu - c2.pl);
    if (t_hi <= 0.0) continue;
    const mip::Var t = m.model.addContinuous(0.0, t_hi, fmt::format("t{}", j));
    const mip::Var bb = m.model.addBinary(fmt::format("gain{}", j));
    // t <= p1 - p2 + (1 - b);  t <= t_hi b
    m.model.addLe({{t, 1.0}, {c1.p, -1.0}, {c2.p, 1.0}, {bb, 1.0}}, 1.0);
    m.model.addLe({{t, 1.0}, {bb, -t_hi}}, 0.0);
    m.objective.push_back({t, 2.0});
    ts[static_cast<size_t>(j)] = t;
    bs[static_cast<size_t>(j)] = bb;
  }
  std::vector<double> start = startFor(ctx, m);
  if (!start.empty()) {
    const Vec y = nn::forward(ctx.stack.net, ctx.best_x);
    encode::setSoftmaxPwlStart(p1, y.head(k), start);
    encode::setSoftmaxPwlStart(p2, y.tail(k), start);
    for (int j = 0; j < k; ++j) {
      if (!ts[static_cast<size_t>(j)].valid()) continue;
      const double d = start[static_cast<size_t>(p1.classes[static_cast<size_t>(j)].p.id)] -
                       start[static_cast<size_t>(p2.classes[static_cast<size_t>(j)].p.id)];
      start[static_cast<size_t>(ts[static_cast<size_t>(j)].id)] = std::max(0.0, d);
      start[static_cast<size_t>(bs[static_cast<size_t>(j)].id)] = d > 0 ? 1.0 : 0.0;
    }
  }
  const mip::MipResult r = solveMilp(ctx, m, "maxdiff", std::move(start), ctx.remaining());
  ctx.addBound(std::min(2.0, provedBound(ctx, r, 2.0)));
}

// Rows z[c] - z[j] >= delta for every j != c of one block.
void addClassRows(Milp& m, int offset, int size, int c, double delta, const std::string& tag) {
  for (int j = 0; j < size; ++j) {
    if (j == c) continue;
    m.model.addGe({{m.out(offset + c), 1.0}, {m.out(offset + j), -1.0}}, delta,
                  fmt::format("{}_{}_over_{}", tag, c, j));
  }
}

void runMaxOut(Context& ctx) {
  const int c1 = ctx.o.class1, c2 = ctx.o.class2;
  const double trivial = outHi(ctx, c1) + outHi(ctx, ctx.k1 + c2);
  ctx.res.trivial_bound = trivial;
  // Impossible by the bounds alone: some logit always above the chosen one.
  auto impossible = [&](int offset, int size, int c) {
    for (int j = 0; j < size; ++j) {
      if (j != c && outHi(ctx, offset + c) < outLo(ctx, offset + j)) return true;
    }
    return false;
  };
  // Weak rows together need (z1 - z2)[C1] - (z1 - z2)[C2] >= 0.
  const bool diff_impossible = outputDiffGapUpper(ctx, c1, c2) < 0.0;
  if (impossible(0, ctx.k1, c1) || impossible(ctx.k1, ctx.k2, c2) || diff_impossible) {
    ctx.res.status = "impossible";
    ctx.addBound(-kInf);
    recordSkipped(
        ctx, "maxout weak",
        diff_impossible ? "infeasible (differential bounds)" : "infeasible (logit bounds)");
    return;
  }
  auto build = [&](Milp& m, double delta) {
    newMilp(ctx, m);
    addClassRows(m, 0, ctx.k1, c1, delta, "n1");
    addClassRows(m, ctx.k1, ctx.k2, c2, delta, "n2");
    m.objective = {{m.out(c1), 1.0}, {m.out(ctx.k1 + c2), 1.0}};
  };
  Milp strict;
  build(strict, ctx.o.margin);
  std::optional<double> limit = ctx.remaining();
  if (limit) *limit *= 0.5;  // the other half for the weak MILP
  const mip::MipResult r = solveMilp(ctx, strict, "maxout delta", startFor(ctx, strict), limit);
  ctx.addBound(provedBound(ctx, r, trivial));
  if (ctx.best_x.size() == ctx.n) {
    ctx.res.status = "found";
    return;
  }
  // No input found: the weak version (ties allowed) is the certificate.
  Milp weak;
  build(weak, 0.0);
  const bool strict_proved = ctx.all_proved;
  const mip::MipResult w = solveMilp(ctx, weak, "maxout weak", {}, ctx.remaining());
  if (w.termination == mip::Termination::kInfeasible) {
    ctx.res.status = "impossible";
    ctx.all_proved = true;
    ctx.bound = -kInf;
    return;
  }
  ctx.all_proved = strict_proved && ctx.all_proved;
  ctx.res.status = "open";
}

void runMaxFlip(Context& ctx) {
  Milp m;
  newMilp(ctx, m);
  const double delta = ctx.o.margin;
  const int layers = ctx.stack.net.numLayers();
  int candidates = 0;
  std::vector<std::tuple<mip::Var, int, int>> omegas;  // (omega, layer, index)
  for (int l = 0; l + 1 < layers; ++l) {
    const int off = ctx.stack.offset_b[static_cast<size_t>(l)];
    for (int i = 0; i < off; ++i) {
      const encode::NeuronVars& va = m.enc.neuron(l, i);
      const encode::NeuronVars& vb = m.enc.neuron(l, off + i);
      const double la = ctx.sb.layers[l].lo[i], ua = ctx.sb.layers[l].hi[i];
      const double lb = ctx.sb.layers[l].lo[off + i], ub = ctx.sb.layers[l].hi[off + i];
      // A flip needs one copy >= delta and the other <= -delta.
      const bool a_on = ua >= delta && lb <= -delta;   // a active, b inactive
      const bool a_off = la <= -delta && ub >= delta;  // a inactive, b active
      if (!a_on && !a_off) continue;
      ++candidates;
      const mip::Var w = m.model.addBinary(fmt::format("flip_L{}N{}", l + 1, i));
      omegas.push_back({w, l, i});
      m.objective.push_back({w, 1.0});
      // The state of each copy: its binary, or a constant for a stable neuron.
      auto state = [&](const encode::NeuronVars& v) -> std::pair<mip::Var, double> {
        if (v.state == encode::NeuronState::kUnstable) return {v.on, 0.0};
        return {mip::Var{}, v.state == encode::NeuronState::kActive ? 1.0 : 0.0};
      };
      const auto [sa, ca] = state(va);
      const auto [sb2, cb] = state(vb);
      // omega <= s_a + s_b;  omega <= 2 - s_a - s_b
      std::vector<mip::Term> r1{{w, 1.0}}, r2{{w, 1.0}};
      if (sa.valid()) {
        r1.push_back({sa, -1.0});
        r2.push_back({sa, 1.0});
      }
      if (sb2.valid()) {
        r1.push_back({sb2, -1.0});
        r2.push_back({sb2, 1.0});
      }
      m.model.addLe(r1, ca + cb);
      m.model.addLe(r2, 2.0 - ca - cb);
      // Margin rows for each copy v with bounds [lo, hi] and state s (variable or constant):
      //   a >= delta - (delta - lo)(2 - omega - s)     binds when omega = 1, s = 1
      //   a <= -delta + (hi + delta)(1 - omega + s)    binds when omega = 1, s = 0
      auto margins = [&](const encode::NeuronVars& v, mip::Var s, double sc, double lo, double hi) {
        const double ml = std::max(0.0, delta - lo), mh = std::max(0.0, hi + delta);
        // a - ml omega - ml s >= delta - 2 ml  (+ ml sc moved)
        std::vector<mip::Term> up{{v.pre, 1.0}, {w, -ml}}, dn{{v.pre, 1.0}, {w, mh}};
        if (s.valid()) {
          up.push_back({s, -ml});
          dn.push_back({s, -mh});
        }
        m.model.addGe(up, delta - 2.0 * ml + ml * sc);
        m.model.addLe(dn, -delta + mh + mh * sc);
      };
      margins(va, sa, ca, la, ua);
      margins(vb, sb2, cb, lb, ub);
    }
  }
  ctx.res.trivial_bound = candidates;
  std::vector<double> start = startFor(ctx, m);
  if (!start.empty()) {
    const nn::ForwardTrace t = nn::forwardTrace(ctx.stack.net, ctx.best_x);
    for (const auto& [w, l, i] : omegas) {
      const int off = ctx.stack.offset_b[static_cast<size_t>(l)];
      const double a = t.pre[static_cast<size_t>(l)][i], b = t.pre[static_cast<size_t>(l)][off + i];
      const bool flip = (a >= delta && b <= -delta) || (a <= -delta && b >= delta);
      start[static_cast<size_t>(w.id)] = flip ? 1.0 : 0.0;
    }
  }
  const mip::MipResult r = solveMilp(ctx, m, "maxflip", std::move(start), ctx.remaining());
  ctx.addBound(provedBound(ctx, r, candidates));
}

// mineps's MILP without N2's condition: eps in [0, cap] bounding |x - x0| (the L-inf ball) and
// N1 picking C0 by delta.
mip::Var addMinEpsCore(const Context& ctx, Milp& m, double cap, double delta) {
  const mip::Var eps = m.model.addContinuous(0.0, cap, "eps");
  for (int t = 0; t < ctx.n; ++t) {
    const mip::Var xv = m.enc.inputs.x[static_cast<size_t>(t)];
    m.model.addLe({{xv, 1.0}, {eps, -1.0}}, ctx.x0[t]);  // x - x0 <= eps
    m.model.addGe({{xv, 1.0}, {eps, 1.0}}, ctx.x0[t]);   // x0 - x <= eps
  }
  addClassRows(m, 0, ctx.k1, ctx.c0, delta, "n1");
  m.objective = {{eps, 1.0}};
  return eps;
}

// The bound an answered mineps MILP over eps <= cap gives: infeasible means the minimum is above
// cap (cap = eps_max: no input at all).
void addMinEpsBound(Context& ctx, const mip::MipResult& r, double cap) {
  if (r.termination == mip::Termination::kInfeasible) {
    ctx.addBound(cap < ctx.o.eps_max ? cap : kInf);
  } else {
    ctx.addBound(provedBound(ctx, r, 0.0));
  }
}

// The thesis's (4.18)-(4.19): one MILP over the wrong classes `ks` of N2, a binary b_k each,
// sum b_k = 1, z2[k] - z2[C0] >= delta - M_k (1 - b_k) with M_k = delta - (lo z2[k] - hi z2[C0])
// (so b_k = 0 leaves the row slack over the whole domain).
// `best_class`: N2's class at the best input so far (-1: none), the binary its MIP start sets.
void runMinEpsSingle(Context& ctx, const std::vector<int>& ks, double delta, int best_class) {
  const int c0 = ctx.c0;
  Milp m;
  newMilp(ctx, m);
  const double cap = std::isnan(ctx.best) ? ctx.o.eps_max : std::min(ctx.o.eps_max, ctx.best);
  const mip::Var eps = addMinEpsCore(ctx, m, cap, delta);
  std::vector<mip::Term> pick;
  std::vector<mip::Var> bs;
  for (int kk : ks) {
    const mip::Var b = m.model.addBinary(fmt::format("n2_picks_{}", kk));
    bs.push_back(b);
    pick.push_back({b, 1.0});
    const double big_m = std::max(0.0, delta - (outLo(ctx, ctx.k1 + kk) - outHi(ctx, ctx.k1 + c0)));
    // z2[k] - z2[C0] - M b_k >= delta - M
    m.model.addGe({{m.out(ctx.k1 + kk), 1.0}, {m.out(ctx.k1 + c0), -1.0}, {b, -big_m}},
                  delta - big_m, fmt::format("n2_wrong_{}", kk));
  }
  m.model.addEq(pick, 1.0, "n2_picks_one");
  std::vector<double> start;
  if (std::find(ks.begin(), ks.end(), best_class) != ks.end()) start = startFor(ctx, m);
  if (!start.empty()) {
    start[static_cast<size_t>(eps.id)] = cap;
    for (size_t q = 0; q < bs.size(); ++q)
      start[static_cast<size_t>(bs[q].id)] = ks[q] == best_class ? 1.0 : 0.0;
  }
  const mip::MipResult r = solveMilp(ctx, m, "mineps single", std::move(start), ctx.remaining());
  addMinEpsBound(ctx, r, cap);
}

void runMinEps(Context& ctx) {
  const int c0 = ctx.c0, k = ctx.k2;
  const double eps_max = ctx.o.eps_max;
  const double delta = ctx.o.weak ? 0.0 : ctx.o.margin;
  ctx.res.trivial_bound = 0.0;
  // N1 cannot keep C0 anywhere: infeasible for every k.
  for (int j = 0; j < ctx.k1; ++j) {
    if (j != c0 && outHi(ctx, c0) - outLo(ctx, j) < delta) {
      ctx.addBound(kInf);
      return;
    }
  }
  if (!std::isnan(ctx.best) && ctx.best <= 0.0) {
    ctx.addBound(0.0);  // x0 itself separates them: eps = 0 is the minimum
    return;
  }
  std::vector<int> ks;
  for (int j = 0; j < k; ++j) {
    if (j != c0) ks.push_back(j);
  }
  // The class of the best input first, then by the interval upper bound of z2[k] - z2[C0].
  const int first =
      ctx.best_x.size() == ctx.n ? argmaxOf(nn::forward(ctx.stack.net, ctx.best_x).tail(k)) : -1;
  std::stable_sort(ks.begin(), ks.end(), [&](int x, int y) {
    if ((x == first) != (y == first)) return x == first;
    return outHi(ctx, ctx.k1 + x) > outHi(ctx, ctx.k1 + y);
  });
  // Classes the bounds rule out: N2 never picks them by delta, or (differential bounds) not
  // while N1 picks C0 (both rows together need (z1 - z2)[C0] - (z1 - z2)[k] >= 2 delta).
  std::vector<int> open;
  std::vector<double> gap_upper(static_cast<size_t>(k), kInf);
  for (const int kk : ks) {
    gap_upper[static_cast<size_t>(kk)] = outputDiffGapUpper(ctx, c0, kk);
    if (outHi(ctx, ctx.k1 + kk) - outLo(ctx, ctx.k1 + c0) < delta) {
      recordSkipped(ctx, fmt::format("mineps k={}", kk), "infeasible (logit bounds)");
    } else if (gap_upper[static_cast<size_t>(kk)] < 2.0 * delta) {
      recordSkipped(ctx, fmt::format("mineps k={}", kk), "infeasible (differential bounds)");
    } else {
      open.push_back(kk);
    }
  }
  if (open.empty()) {
    ctx.addBound(kInf);  // no class of N2 can beat C0 while N1 keeps it
    return;
  }
  if (ctx.o.mineps_form == MinEpsForm::kSingle) {
    runMinEpsSingle(ctx, open, delta, first);
    return;
  }
  for (size_t i = 0; i < open.size(); ++i) {
    const int kk = open[i];
    std::optional<double> limit = ctx.remaining();
    if (limit) *limit /= static_cast<double>(open.size() - i);
    Milp m;
    newMilp(ctx, m);
    // eps <= the best eps found: an infeasible class cannot beat it.
    const double cap = std::isnan(ctx.best) ? eps_max : std::min(eps_max, ctx.best);
    const mip::Var eps = addMinEpsCore(ctx, m, cap, delta);
    m.model.addGe({{m.out(ctx.k1 + kk), 1.0}, {m.out(ctx.k1 + c0), -1.0}}, delta, "n2_wrong");
    if (std::isfinite(gap_upper[static_cast<size_t>(kk)])) {
      // (z1 - z2)[C0] - (z1 - z2)[k] <= its differential bound: implied, tightens the LP
      m.model.addLe({{m.out(c0), 1.0},
                     {m.out(ctx.k1 + c0), -1.0},
                     {m.out(kk), -1.0},
                     {m.out(ctx.k1 + kk), 1.0}},
                    gap_upper[static_cast<size_t>(kk)], "diff_gap");
    }
    std::vector<double> start;
    if (ctx.best_x.size() == ctx.n &&
        argmaxOf(nn::forward(ctx.stack.net, ctx.best_x).tail(k)) == kk) {
      start = startFor(ctx, m);
      if (!start.empty()) start[static_cast<size_t>(eps.id)] = std::min(cap, ctx.best);
    }
    const mip::MipResult r =
        solveMilp(ctx, m, fmt::format("mineps k={}", kk), std::move(start), limit);
    addMinEpsBound(ctx, r, cap);
  }
}

// ---- the attack on the stack ---------------------------------------------------------------

// d/dz of g . softmax(z) = p * (g - p . g), rows of a batch.
Mat softmaxBackward(const Mat& P, const Mat& G) {
  const Vec pg = (P.cwiseProduct(G)).rowwise().sum();
  return P.cwiseProduct(G.colwise() - pg);
}

// min over the two margins: z[c] - max_{j != c} z[j] of each block (sub-gradient of the min);
// `wrong2`: the second block's margin is max_{j != c} z[j] - z[c] instead.
nn::OutputObjective marginObjective(int k1, int k2, int c1, int c2, bool wrong2) {
  return [=](const Mat& Y, Vec& value, Mat* grad) {
    const Eigen::Index n = Y.rows();
    value.resize(n);
    if (grad) *grad = Mat::Zero(n, Y.cols());
    for (Eigen::Index r = 0; r < n; ++r) {
      int j1 = -1, j2 = -1;
      for (int j = 0; j < k1; ++j) {
        if (j != c1 && (j1 < 0 || Y(r, j) > Y(r, j1))) j1 = j;
      }
      for (int j = 0; j < k2; ++j) {
        if (j != c2 && (j2 < 0 || Y(r, k1 + j) > Y(r, k1 + j2))) j2 = j;
      }
      const double m1 = Y(r, c1) - Y(r, j1);
      const double m2 = wrong2 ? Y(r, k1 + j2) - Y(r, k1 + c2) : Y(r, k1 + c2) - Y(r, k1 + j2);
      value[r] = std::min(m1, m2);
      if (!grad) continue;
      if (m1 <= m2) {
        (*grad)(r, c1) = 1.0;
        (*grad)(r, j1) = -1.0;
      } else {
        (*grad)(r, k1 + c2) = wrong2 ? -1.0 : 1.0;
        (*grad)(r, k1 + j2) = wrong2 ? 1.0 : -1.0;
      }
    }
  };
}

void runAttack(Context& ctx) {
  const CompareOptions& o = ctx.o;
  const int k1 = ctx.k1, k2 = ctx.k2;
  nn::AttackOptions ao = o.attack;
  const double share = o.time_limit_s ? 0.1 * *o.time_limit_s : kInf;
  if (o.time_limit_s) ao.time_limit_s = ao.time_limit_s ? std::min(*ao.time_limit_s, share) : share;
  const encode::Box& box = ctx.domain.box;
  nn::AttackResult ar;
  switch (o.comparator) {
    case Comparator::kMaxDiffLogit:
      ar = nn::attackBox(
          ctx.stack.net, box.lo, box.hi,
          [k1](const Mat& Y, Vec& value, Mat* grad) {
            const Mat D = Y.leftCols(k1) - Y.rightCols(k1);
            value = D.cwiseAbs().rowwise().sum();
            if (!grad) return;
            const Mat S = D.unaryExpr([](double v) { return v >= 0 ? 1.0 : -1.0; });
            grad->resize(Y.rows(), Y.cols());
            grad->leftCols(k1) = S;
            grad->rightCols(k1) = -S;
          },
          ao, ctx.cb);
      break;
    case Comparator::kMaxDiff:
      ar = nn::attackBox(
          ctx.stack.net, box.lo, box.hi,
          [k1](const Mat& Y, Vec& value, Mat* grad) {
            const Mat P1 = softmaxRows(Y.leftCols(k1));
            const Mat P2 = softmaxRows(Y.rightCols(k1));
            const Mat D = P1 - P2;
            value = D.cwiseAbs().rowwise().sum();
            if (!grad) return;
            const Mat S = D.unaryExpr([](double v) { return v >= 0 ? 1.0 : -1.0; });
            grad->resize(Y.rows(), Y.cols());
            grad->leftCols(k1) = softmaxBackward(P1, S);
            grad->rightCols(k1) = softmaxBackward(P2, -S);
          },
          ao, ctx.cb);
      break;
    case Comparator::kMaxOut: {
      // First make both margins exceed delta, then the objective decides among such points.
      ar = nn::attackBox(ctx.stack.net, box.lo, box.hi,
                         marginObjective(k1, k2, o.class1, o.class2, false), ao, ctx.cb);
      break;
    }
    case Comparator::kMaxFlip: return;  // no output objective counts flips
    case Comparator::kMinEps: {
      // Bisection on eps; the inner search maximises min(N1's C0 margin, N2's wrong margin).
      const nn::OutputObjective f = marginObjective(k1, k2, ctx.c0, ctx.c0, true);
      double lo = 0.0, hi = o.eps_max;
      nn::AttackOptions inner = ao;
      if (ao.time_limit_s) inner.time_limit_s = *ao.time_limit_s / 10.0;
      for (int it = 0; it < 10; ++it) {
        const double eps = it == 0 ? hi : 0.5 * (lo + hi);
        const Vec blo = (ctx.x0.array() - eps).max(box.lo.array()).matrix();
        const Vec bhi = (ctx.x0.array() + eps).min(box.hi.array()).matrix();
        if ((blo.array() > bhi.array()).any()) {
          lo = eps;
          continue;
        }
        const nn::AttackResult r = nn::attackBox(ctx.stack.net, blo, bhi, f, inner, ctx.cb);
        ctx.attack_evals += r.evaluations;
        if (r.value >= o.margin) {
          ctx.consider(r.x, "attack");
          hi = eps;
        } else {
          if (it == 0) break;  // none at eps_max
          lo = eps;
        }
      }
      ctx.res.attack_value = ctx.best;
      return;
    }
  }
  ctx.consider(ar.x, "attack");
  ctx.res.attack_value = ar.value;
}

}  // namespace

const char* comparatorName(Comparator c) {
  switch (c) {
    case Comparator::kMaxDiff: return "maxdiff";
    case Comparator::kMaxDiffLogit: return "maxdiff-logit";
    case Comparator::kMaxOut: return "maxout";
    case Comparator::kMaxFlip: return "maxflip";
    case Comparator::kMinEps: return "mineps";
  }
  return "?";
}

Comparator parseComparator(std::string_view name) {
  for (Comparator c : {Comparator::kMaxDiff, Comparator::kMaxDiffLogit, Comparator::kMaxOut,
                       Comparator::kMaxFlip, Comparator::kMinEps}) {
    if (name == comparatorName(c)) return c;
  }
  fail(ErrorKind::kInvalidInput,
       "comparator '{}': expected maxdiff, maxdiff-logit, maxout, maxflip or mineps", name);
}

const char* minEpsFormName(MinEpsForm f) {
  return f == MinEpsForm::kSingle ? "single" : "per-class";
}

MinEpsForm parseMinEpsForm(std::string_view name) {
  for (MinEpsForm f : {MinEpsForm::kPerClass, MinEpsForm::kSingle}) {
    if (name == minEpsFormName(f)) return f;
  }
  fail(ErrorKind::kInvalidInput, "mineps form '{}': expected per-class or single", name);
}

double comparatorValue(const nn::Network& a, const nn::Network& b, const CompareOptions& options,
                       const Vec& x, const Vec& x0, int class0) {
  const nn::Network la = logitNetwork(a), lb = logitNetwork(b);
  return Evaluator{la, lb, options, x0, class0}(x);
}

CompareResult compareNetworks(const nn::Network& a_in, const nn::Network& b_in,
                              const encode::Domain& domain, const Vec& x0, const CompareOptions& o,
                              const Callbacks& callbacks) {
  encode::checkSupported(a_in);
  encode::checkSupported(b_in);
  const nn::Network a = logitNetwork(a_in), b = logitNetwork(b_in);
  const int n = a.inputSize();
  if (b.inputSize() != n) {
    fail(ErrorKind::kInvalidInput, "compare: the networks read {} and {} inputs", n, b.inputSize());
  }
  domain.validate(a, "compare domain");
  if (!domain.splits.empty() || !domain.output_rows.empty()) {
    fail(ErrorKind::kUnsupported, "compare: domains with splits or output rows are not supported");
  }
  const int k1 = a.outputSize(), k2 = b.outputSize();
  if (k1 < 2 || k2 < 2) fail(ErrorKind::kInvalidInput, "compare: the networks need >= 2 outputs");
  const Comparator c = o.comparator;
  if ((c == Comparator::kMaxDiff || c == Comparator::kMaxDiffLogit || c == Comparator::kMinEps) &&
      k1 != k2) {
    fail(ErrorKind::kInvalidInput, "compare {}: the networks have {} and {} outputs",
         comparatorName(c), k1, k2);
  }
  if (c == Comparator::kMaxFlip && a.sizes() != b.sizes()) {
    fail(ErrorKind::kInvalidInput, "compare maxflip: the networks' architectures differ");
  }
  if (c == Comparator::kMaxOut &&
      (o.class1 < 0 || o.class1 >= k1 || o.class2 < 0 || o.class2 >= k2 || o.class1 == o.class2)) {
    fail(ErrorKind::kInvalidInput, "compare maxout: classes {} and {} (need C1 != C2 in range)",
         o.class1, o.class2);
  }
  if (!(o.margin >= 0.0) || !std::isfinite(o.margin)) {
    fail(ErrorKind::kInvalidInput, "compare: margin {} (need a finite value >= 0)", o.margin);
  }
  if (c == Comparator::kMinEps && !(o.eps_max > 0.0 && std::isfinite(o.eps_max))) {
    fail(ErrorKind::kInvalidInput, "compare mineps: eps_max {} (need > 0)", o.eps_max);
  }
  if ((c == Comparator::kMinEps) && x0.size() != n) {
    fail(ErrorKind::kInvalidInput, "compare: reference has {} values, the networks {} inputs",
         x0.size(), n);
  }

  Context ctx(a, b, domain, o, callbacks);
  ctx.n = n;
  ctx.k1 = k1;
  ctx.k2 = k2;
  ctx.minimise = isMinimum(c);
  ctx.x0 = x0.size() == n ? x0 : domain.box.center();
  ctx.stack = nn::stackNetworks(a, b);
  ctx.solver = mip::makeMipSolver(o.mip_backend);
  CompareResult& res = ctx.res;
  res.comparator = c;
  res.x0 = ctx.x0;
  res.diff_bounds = o.diff_bounds;
  if (c == Comparator::kMaxOut) {
    res.class1 = o.class1;
    res.class2 = o.class2;
  }
  if (c == Comparator::kMinEps) {
    ctx.c0 = o.class0 >= 0 ? o.class0 : argmaxOf(nn::forward(a, ctx.x0));
    if (ctx.c0 >= k1)
      fail(ErrorKind::kInvalidInput, "compare mineps: class {} out of range", ctx.c0);
    res.class0 = ctx.c0;
  }

  // ---- bounds of the stack -------------------------------------------------------------------
  Timer phase;
  const verify::QueryBounds qb =
      verify::queryBounds(ctx.stack.net, domain, o.bounds_box, o.bounds, o.bounds_time_limit_s,
                          o.time_limit_s, "compare", callbacks);
  res.bounds_over = qb.over;
  res.bounds_method = qb.method;
  ctx.sb = qb.result.bounds;
  res.bounds_s = phase.seconds();
  const double none_value = ctx.minimise ? kInf : -kInf;
  if (ctx.sb.empty) {
    res.status = "infeasible";
    res.value = res.bound = none_value;
    res.gap = kInf;
    res.proven = true;
    res.wall_s = ctx.total.seconds();
    return res;
  }
  // Padding neurons hold a post-ReLU value (>= 0): their lower bound is 0 whatever the tier says.
  for (int l = 0; l < ctx.stack.net.numLayers(); ++l) {
    const int off = ctx.stack.offset_b[static_cast<size_t>(l)];
    auto& lb = ctx.sb.layers[static_cast<size_t>(l)];
    if (ctx.stack.layer_a[static_cast<size_t>(l)] < 0) {
      lb.lo.head(off) = lb.lo.head(off).cwiseMax(0.0);
      lb.hi.head(off) = lb.hi.head(off).cwiseMax(lb.lo.head(off));
    }
    if (ctx.stack.layer_b[static_cast<size_t>(l)] < 0) {
      const Eigen::Index w = lb.lo.size() - off;
      lb.lo.tail(w) = lb.lo.tail(w).cwiseMax(0.0);
      lb.hi.tail(w) = lb.hi.tail(w).cwiseMax(lb.lo.tail(w));
    }
  }
  for (int l = 0; l + 1 < ctx.stack.net.numLayers(); ++l) {
    const auto& lb = ctx.sb.layers[static_cast<size_t>(l)];
    for (Eigen::Index i = 0; i < lb.lo.size(); ++i) {
      if (lb.lo[i] < 0.0 && lb.hi[i] > 0.0) ++res.stack_binaries;
    }
  }

  if (o.diff_bounds && differenceBoundsApply(a, b)) {
    phase.reset();
    computeDifferenceBounds(ctx);
    res.diff_s = phase.seconds();
  }

  // ---- candidates: box centre, attack --------------------------------------------------------
  if (c == Comparator::kMinEps) {
    ctx.consider(ctx.x0, "reference");
  } else {
    ctx.consider(domain.box.center(), "box-centre");
  }
  phase.reset();
  if (o.run_attack) runAttack(ctx);
  res.attack_s = phase.seconds();

  // ---- MILPs ---------------------------------------------------------------------------------
  phase.reset();
  ctx.milp_start = ctx.total.seconds();
  switch (c) {
    case Comparator::kMaxDiffLogit: runMaxDiffLogit(ctx); break;
    case Comparator::kMaxDiff: runMaxDiff(ctx); break;
    case Comparator::kMaxOut: runMaxOut(ctx); break;
    case Comparator::kMaxFlip: runMaxFlip(ctx); break;
    case Comparator::kMinEps: runMinEps(ctx); break;
  }
  res.milp_s = phase.seconds();

  // ---- the answer ----------------------------------------------------------------------------
  const bool has_x = ctx.best_x.size() == n;
  res.value = has_x ? ctx.best : none_value;
  double bound = std::isnan(ctx.bound) ? none_value : ctx.bound;
  if (std::isfinite(bound)) {
    const double safety = o.bound_safety * (1.0 + std::abs(bound));
    bound = ctx.minimise ? std::max(0.0, bound - safety) : bound + safety;
  }
  if (c == Comparator::kMaxDiff) bound = std::min(2.0, bound);
  if (c == Comparator::kMaxFlip && std::isfinite(bound)) bound = std::floor(bound + 1e-6);
  res.bound = bound;
  res.proven = ctx.all_proved;
  // A found input whose exact value meets the valid bound is optimal whatever the MILP's own
  // termination (e.g. maxdiff at its cap of 2, reached by the attack).
  if (has_x && std::isfinite(bound) &&
      std::abs(bound - ctx.best) <= 1e-6 * (1.0 + std::abs(bound))) {
    res.proven = true;
  }
  if (has_x) {
    res.x = ctx.best_x;
    res.found_by = ctx.found_by;
    const verify::FloatNetwork fa(a), fb(b);
    res.n1 = evaluate(a, fa, res.x);
    res.n2 = evaluate(b, fb, res.x);
    switch (c) {
      case Comparator::kMaxDiffLogit:
        res.value32 = (res.n1.logits32 - res.n2.logits32).cwiseAbs().sum();
        break;
      case Comparator::kMaxDiff:
        res.value32 = (res.n1.probs32 - res.n2.probs32).cwiseAbs().sum();
        break;
      case Comparator::kMaxOut: {
        const bool ok32 =
            marginOf(res.n1.logits32, o.class1) > 0 && marginOf(res.n2.logits32, o.class2) > 0;
        res.value32 = ok32 ? res.n1.logits32[o.class1] + res.n2.logits32[o.class2] : NAN;
        break;
      }
      case Comparator::kMaxFlip: res.value32 = res.value; break;
      case Comparator::kMinEps: {
        const bool ok32 = marginOf(res.n1.logits32, ctx.c0) > 0 && res.n2.cls32 != ctx.c0;
        res.value32 = ok32 ? res.value : NAN;
        break;
      }
    }
  }
  if (std::isfinite(res.value) && std::isfinite(res.bound)) {
    res.gap = std::max(0.0, std::abs(res.bound - res.value) / std::max(std::abs(res.value), 1e-10));
  } else {
    res.gap = (res.value == res.bound) ? 0.0 : kInf;
  }
  if (res.status.empty()) {
    if (!std::isfinite(res.bound) && res.bound == none_value) {
      res.status = "infeasible";
      res.proven = true;
    } else {
      res.status = res.proven ? "proved" : "open";
    }
  }
  if (res.status == "impossible") {
    res.proven = true;
    res.bound = -kInf;
  }
  res.wall_s = ctx.total.seconds();
  return res;
}

void to_json(nlohmann::json& j, const NetEval& e) {
  j = {{"class", e.cls},
       {"logits", jsonVector(e.logits)},
       {"probabilities", jsonVector(e.probs)},
       {"class_f32", e.cls32},
       {"logits_f32", jsonVector(e.logits32)},
       {"probabilities_f32", jsonVector(e.probs32)}};
}

void to_json(nlohmann::json& j, const CompareResult& r) {
  j = {{"comparator", comparatorName(r.comparator)},
       {"status", r.status},
       {"value", jsonNumber(r.value)},
       {"bound", jsonNumber(r.bound)},
       {"gap", jsonNumber(r.gap)},
       {"gap_formula", "|bound - value| / max(|value|, 1e-10)"},
       {"proven", r.proven},
       {"found_by", r.found_by},
       {"value_f32", jsonNumber(r.value32)},
       {"attack_value", jsonNumber(r.attack_value)},
       {"trivial_bound", jsonNumber(r.trivial_bound)},
       {"upper_error", r.upper_error},
       {"lower_error", r.lower_error},
       {"diff_bounds", r.diff_bounds},
       {"x", jsonVector(r.x)},
       {"x0", jsonVector(r.x0)},
       {"n1", r.n1},
       {"n2", r.n2},
       {"bounds_method", r.bounds_method},
       {"bounds_over", r.bounds_over},
       {"stack_binaries", r.stack_binaries},
       {"bounds_s", r.bounds_s},
       {"diff_s", r.diff_s},
       {"attack_s", r.attack_s},
       {"milp_s", r.milp_s},
       {"wall_s", r.wall_s},
       {"milps", r.milps}};
  if (r.class0 >= 0) j["class0"] = r.class0;
  if (r.class1 >= 0) {
    j["class1"] = r.class1;
    j["class2"] = r.class2;
  }
}

}  // namespace nnmip::compare
