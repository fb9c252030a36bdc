#include "verify/input_split.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <optional>
#include <queue>
#include <vector>

#include "bounds/alpha.hpp"
#include "bounds/backsub.hpp"
#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "nn/attack.hpp"
#include "nn/forward.hpp"
#include "verify/box_run.hpp"
#include "verify/spec.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// The alpha ascent of a sub-box stops once every lower bound is above this: any valid bound above
// the closing margin tau (about 1e-5) closes the atom, so going further buys nothing.
constexpr double kAlphaStopAt = 1e-3;
constexpr double kProgressEveryS = 1.0;  // a progress event at most this often
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

// ---------------------------------------------------------------------------------------------
// Linear lower bounds of C y over a sub-box, as functions of x: the symbolic tier's
// back-substitution (bounds/backsub.hpp) with the sub-box's symbolic bounds gives
// C y >= A x + c on the sub-box, and the vertex minimising each row (lo where A >= 0, else hi);
// the branching rule and the candidate corners need A itself.
bounds::BackSubResult linearForm(const nn::Network& net, const bounds::NetworkBounds& nb,
                                 const Mat& C) {
  bounds::SlopeOptimiser opt;
  opt.zero_coef = bounds::ZeroCoefInput::kLower;
  bounds::BackSubRequest req;
  req.want_input_form = true;
  const bounds::Relaxation rx =
      bounds::relaxLayers(net, nb.input, nb.layers, bounds::outputRelaxDepth(net));
  return bounds::backSubstitute(rx, bounds::rowsOnOutputs(net, rx, C, Vec::Zero(C.rows())), opt,
                                req);
}

// Interval bounds on the gradient d(c . y)/dx over a sub-box (ReluVal's "smear"): backwards from
// c, a ReLU's derivative lies in {0}, {1} or [0, 1] (stable inactive, stable active, unstable),
// and an interval row vector g times a weight matrix W lies in [m W - r |W|, m W + r |W|]
// (m, r: midpoint and radius of g). Returns max(|lo_i|, |hi_i|) per input.
Vec gradientMagnitude(const nn::Network& net, const bounds::NetworkBounds& nb,
                      const Eigen::RowVectorXd& c) {
  Eigen::RowVectorXd lo = c;
  Eigen::RowVectorXd hi = c;
  for (int k = net.numLayers() - 1; k >= 0; --k) {
    const nn::DenseLayer& layer = net.layer(k);
    if (encode::isReluLayer(layer)) {
      const encode::LayerBounds& b = nb.layers[static_cast<size_t>(k)];
      for (Eigen::Index j = 0; j < b.lo.size(); ++j) {
        if (b.hi[j] <= 0.0) {
          lo[j] = hi[j] = 0.0;
        } else if (b.lo[j] < 0.0) {  // derivative in [0, 1]
          lo[j] = std::min(lo[j], 0.0);
          hi[j] = std::max(hi[j], 0.0);
        }
      }
    }
    const Eigen::RowVectorXd mid = 0.5 * (lo + hi);
    const Eigen::RowVectorXd rad = 0.5 * (hi - lo);
    const Eigen::RowVectorXd m = mid * layer.weight;
    const Eigen::RowVectorXd r = rad * layer.weight.cwiseAbs();
    lo = m - r;
    hi = m + r;
  }
  return lo.cwiseAbs().cwiseMax(hi.cwiseAbs()).transpose();
}

// ---------------------------------------------------------------------------------------------

struct SubBox {
  Vec lo;
  Vec hi;
  int depth = 0;
  double priority = kInf;  // parent's largest upper bound on an open disjunct's margin
  long order = 0;          // creation index: ties go to the older box
  std::vector<char> open;  // disjuncts not yet closed on this sub-box (or an ancestor)
};

struct ByPriority {
  bool operator()(const SubBox& a, const SubBox& b) const {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.order > b.order;
  }
};

struct Evaluation {
  bool failed = false;
  std::string error;
  std::vector<char> open;         // after this sub-box's bounds
  std::vector<double> closed_ub;  // bound that closed each disjunct here (-inf: not closed here)
  double worst_ub = -kInf;        // largest upper bound on an open disjunct's margin
  Vec score;                      // branching score per input
  std::optional<Counterexample> ce;
  double best_margin = -kInf;  // at the centre (double forward pass)
  int candidates = 0;
};

struct Engine : EngineState {
  const InputSplitOptions& split;
  Engine(const nn::Network& n, const data::VnnlibProperty& p, const VerifyOptions& o,
         const InputSplitOptions& s, const Callbacks& c)
      : EngineState(n, p, o, c), split(s) {}
};

// Bounds one sub-box: closes disjuncts, tries candidates, scores the inputs.
Evaluation evaluate(const Engine& e, int box_index, const SubBox& sb, const Vec& root_width) {
  Evaluation ev;
  ev.open = sb.open;
  ev.closed_ub.assign(sb.open.size(), -kInf);
  const int n = e.net.inputSize();
  ev.score = Vec::Zero(n);
  const encode::Box box(sb.lo, sb.hi, "sub-box");
  const bounds::NetworkBounds nb = bounds::computeSymbolic(e.net, box);
  NNMIP_CHECK(!nb.empty, "symbolic bounds call a non-empty sub-box empty");

  std::vector<int> rows;  // atoms of the open disjuncts
  for (size_t d = 0; d < sb.open.size(); ++d) {
    if (!sb.open[d]) continue;
    for (int a : e.spec.atoms_of[d]) rows.push_back(a);
  }
  Mat C(static_cast<Eigen::Index>(rows.size()), e.net.outputSize());
  for (size_t k = 0; k < rows.size(); ++k)
    C.row(static_cast<Eigen::Index>(k)) = e.spec.C.row(rows[k]);
  const bounds::BackSubResult lf = linearForm(e.net, nb, C);
  const encode::LayerBounds yb =
      encode::postActivationBounds(e.net.layers().back(), nb.layers.back());
  const Vec mag = sb.lo.cwiseAbs().cwiseMax(sb.hi.cwiseAbs());

  // U_a and tau_a per row; the corner minimising A_a x.
  std::vector<double> ub(rows.size());
  std::vector<double> tau(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const Eigen::Index r = static_cast<Eigen::Index>(k);
    const int atom = rows[k];
    double min_lin = lf.c[r];
    double size = std::abs(lf.c[r]) + std::abs(e.spec.rhs[atom]);
    for (int i = 0; i < n; ++i) {
      const double a = lf.a(r, i);
      min_lin += a >= 0 ? a * sb.lo[i] : a * sb.hi[i];
      size += std::abs(a) * mag[i];
    }
    // Interval arithmetic on the output bounds is valid too; keep the smaller.
    double min_iv = 0.0;
    for (int j = 0; j < e.net.outputSize(); ++j) {
      const double cj = e.spec.C(atom, j);
      min_iv += cj >= 0 ? cj * yb.lo[j] : cj * yb.hi[j];
      size += std::abs(cj) * std::max(std::abs(yb.lo[j]), std::abs(yb.hi[j]));
    }
    ub[k] = e.spec.rhs[atom] - std::max(min_lin, min_iv);
    tau[k] = e.split.close_margin + e.split.close_rel * size;
  }

  // Optimised slopes for the disjuncts the symbolic bound leaves open.
  auto closeWith = [&](const std::vector<double>& u) {
    size_t k = 0;
    for (size_t d = 0; d < sb.open.size(); ++d) {
      if (!sb.open[d]) continue;
      for (size_t q = 0; q < e.spec.atoms_of[d].size(); ++q, ++k) {
        if (ev.open[d] && std::isfinite(u[k]) && u[k] < -tau[k]) {
          ev.open[d] = 0;
          ev.closed_ub[d] = u[k];
        }
      }
    }
  };
  closeWith(ub);
  const bool any_open = std::any_of(ev.open.begin(), ev.open.end(), [](char o) { return o != 0; });
  if (any_open && e.split.bound == SplitBound::kAlpha) {
    bounds::AlphaOptions ao;
    ao.iterations = e.split.alpha_iterations;
    ao.stop_at = kAlphaStopAt;
    Vec c0(static_cast<Eigen::Index>(rows.size()));
    for (size_t k = 0; k < rows.size(); ++k)
      c0[static_cast<Eigen::Index>(k)] = -e.spec.rhs[rows[k]];
    const Vec lb = bounds::alphaSpecLowerBounds(e.net, encode::Domain(box), nb, C, c0, ao);
    std::vector<double> ua(rows.size());
    for (size_t k = 0; k < rows.size(); ++k) {
      ua[k] = std::min(ub[k], -lb[static_cast<Eigen::Index>(k)]);
    }
    closeWith(ua);
    ub = ua;
  }

  // Per open disjunct: the binding atom (smallest bound), its corner as a candidate, its
  // linear coefficients in the branching score.
  std::vector<Vec> candidates;
  candidates.push_back(0.5 * (sb.lo + sb.hi));
  std::vector<int> score_rows;  // kSmear: the binding atoms
  size_t k = 0;
  for (size_t d = 0; d < sb.open.size(); ++d) {
    if (!sb.open[d]) continue;
    const std::vector<int>& atoms = e.spec.atoms_of[d];
    size_t best = k;
    for (size_t q = 0; q < atoms.size(); ++q) {
      if (ub[k + q] < ub[best]) best = k + q;
    }
    k += atoms.size();
    if (!ev.open[d] || atoms.empty()) continue;
    ev.worst_ub = std::max(ev.worst_ub, ub[best]);
    const Eigen::Index r = static_cast<Eigen::Index>(best);
    for (int i = 0; i < n; ++i) ev.score[i] += std::abs(lf.a(r, i)) * (sb.hi[i] - sb.lo[i]);
    candidates.push_back(lf.vertex.row(r).transpose());
    if (e.split.rule == SplitRule::kSmear) {
      score_rows.push_back(rows[best]);
    }
  }
  const bool open_left = std::any_of(ev.open.begin(), ev.open.end(), [](char o) { return o != 0; });
  if (!open_left) return ev;
  // An open disjunct with no atoms is unsafe everywhere: worst_ub stays -inf, priority +inf.
  if (ev.worst_ub == -kInf) ev.worst_ub = kInf;
  for (const Vec& x : candidates) {
    ++ev.candidates;
    const Vec y = nn::forward(e.net, x);
    for (size_t d = 0; d < e.prop.unsafe_disjuncts.size(); ++d) {
      ev.best_margin = std::max(ev.best_margin, disjunctMargin(e.prop.unsafe_disjuncts[d], y));
    }
    std::optional<Counterexample> ce = checkWitness(e.net, e.net32, e.prop, box_index, x, "split");
    if (ce) {
      ev.ce = std::move(ce);
      return ev;
    }
  }
  if (e.split.rule == SplitRule::kSmear) {
    ev.score.setZero();
    for (int atom : score_rows) {
      ev.score += gradientMagnitude(e.net, nb, e.spec.C.row(atom)).cwiseProduct(sb.hi - sb.lo);
    }
  }
  if (e.split.rule == SplitRule::kWidest || !(ev.score.maxCoeff() > 0.0)) {
    ev.score = (sb.hi - sb.lo).cwiseQuotient(root_width.cwiseMax(1e-300));
  }
  return ev;
}

struct SplitStats {
  long bounded = 0;  // sub-boxes bounded
  long closed_leaves = 0;
  long unresolved = 0;  // open sub-boxes given up (depth / width / bound failure)
  long frontier_left = 0;
  long candidates = 0;
  int max_depth = 0;
  bool frontier_full = false;
  std::string first_error;
};

std::string phaseSplit(Engine& e, BoxRun& run) {
  const size_t n_dis = e.prop.unsafe_disjuncts.size();
  const Vec root_width = run.box.hi - run.box.lo;
  std::priority_queue<SubBox, std::vector<SubBox>, ByPriority> frontier;
  long created = 0;
  {
    SubBox root;
    root.lo = run.box.lo;
    root.hi = run.box.hi;
    root.open.assign(n_dis, 1);
    root.order = created++;
    frontier.push(std::move(root));
  }
  std::vector<double> proved_ub(n_dis, -kInf);  // largest closing bound over the leaves
  SplitStats st;
  const int threads = std::max(1, e.opt.threads);
  const int batch = std::max(threads, e.split.batch);
  double last_progress = 0.0;
  while (!frontier.empty() && !run.ce) {
    if (e.halted()) break;
    if (static_cast<long>(frontier.size()) > e.split.max_frontier) {
      st.frontier_full = true;
      break;
    }
    std::vector<SubBox> work;
    while (!frontier.empty() && static_cast<int>(work.size()) < batch) {
      work.push_back(frontier.top());
      frontier.pop();
    }
    std::vector<Evaluation> out(work.size());
    std::vector<char> done(work.size(), 0);
    parallelFor(static_cast<int>(work.size()), threads, [&](int i) {
      if (e.halted()) return;
      Evaluation& ev = out[static_cast<size_t>(i)];
      try {
        ev = evaluate(e, run.index, work[static_cast<size_t>(i)], root_width);
      } catch (const std::exception& ex) {
        ev.failed = true;
        ev.error = ex.what();
      }
      if (ev.ce) e.stop = true;
      done[static_cast<size_t>(i)] = 1;
    });
    for (size_t i = 0; i < work.size(); ++i) {
      SubBox& sb = work[i];
      if (!done[i]) {  // halted before it was bounded: it stays open
        frontier.push(std::move(sb));
        continue;
      }
      Evaluation& ev = out[i];
      ++st.bounded;
      st.candidates += ev.candidates;
      st.max_depth = std::max(st.max_depth, sb.depth);
      for (size_t d = 0; d < n_dis; ++d) {
        run.report.disjuncts[d].best_margin =
            std::max(run.report.disjuncts[d].best_margin, ev.best_margin);
      }
      if (ev.failed) {
        ++st.unresolved;
        if (st.first_error.empty()) st.first_error = ev.error;
        continue;
      }
      if (ev.ce) {
        if (!run.ce) {
          run.report.disjuncts[static_cast<size_t>(ev.ce->disjunct)].state =
              DisjunctState::kViolated;
          run.ce = std::move(ev.ce);
        }
        continue;
      }
      for (size_t d = 0; d < n_dis; ++d) {
        if (ev.closed_ub[d] > -kInf) proved_ub[d] = std::max(proved_ub[d], ev.closed_ub[d]);
      }
      if (std::none_of(ev.open.begin(), ev.open.end(), [](char o) { return o != 0; })) {
        ++st.closed_leaves;
        continue;
      }
      // Split the input with the largest score; give up when it no longer halves.
      Eigen::Index dim = 0;
      ev.score.maxCoeff(&dim);
      const double mid = 0.5 * (sb.lo[dim] + sb.hi[dim]);
      if (sb.depth + 1 > e.split.max_depth || !(mid > sb.lo[dim] && mid < sb.hi[dim])) {
        ++st.unresolved;
        continue;
      }
      SubBox left;
      left.lo = sb.lo;
      left.hi = sb.hi;
      left.hi[dim] = mid;
      SubBox right;
      right.lo = sb.lo;
      right.hi = sb.hi;
      right.lo[dim] = mid;
      for (SubBox* c : {&left, &right}) {
        c->depth = sb.depth + 1;
        c->priority = ev.worst_ub;
        c->open = ev.open;
        c->order = created++;
        frontier.push(std::move(*c));
      }
    }
    if (e.timer.seconds() - last_progress >= kProgressEveryS) {
      last_progress = e.timer.seconds();
      ProgressEvent pe;
      pe.phase = "input-split";
      pe.elapsed_s = last_progress;
      pe.nodes = st.bounded;
      pe.done = st.closed_leaves;
      pe.total = static_cast<long>(frontier.size());
      pe.bound = frontier.empty() ? -kInf : frontier.top().priority;
      e.cb.progress(pe);
    }
  }
  st.frontier_left = static_cast<long>(frontier.size());
  const bool finished = frontier.empty() && st.unresolved == 0 && !run.ce;
  for (size_t d = 0; d < n_dis; ++d) {
    DisjunctReport& r = run.report.disjuncts[d];
    if (finished && r.state == DisjunctState::kOpen) {
      r.state = DisjunctState::kClosed;
      r.closed_by = "input-split";
      r.upper_bound = proved_ub[d];
    }
  }
  if (st.unresolved > 0 || st.frontier_full) run.doubt = true;
  return fmt::format(
      "sub-boxes {}, closed leaves {}, max depth {}, frontier left {}, unresolved {}{}, "
      "candidates {}, rule {}, bound {}{}",
      st.bounded, st.closed_leaves, st.max_depth, st.frontier_left, st.unresolved,
      st.frontier_full ? " (frontier limit)" : "", st.candidates, splitRuleName(e.split.rule),
      splitBoundName(e.split.bound),
      st.first_error.empty() ? "" : fmt::format(", first failure: {}", st.first_error));
}

BoxReport verifyBox(Engine& e, int index, std::optional<Counterexample>& ce) {
  const Timer t;
  BoxRun run(e, index);
  run.report.bounds_method = splitBoundName(e.split.bound);
  runPhase(e, run, "centre", [&] { return centrePhase(e, run); });
  auto open = [&] { return !run.ce && run.openCount() > 0 && !e.halted(); };
  if (open()) {
    runPhase(e, run, "attack", [&] { return attackPhase(e, run, AttackStage::kFirst); });
  }
  if (open()) runPhase(e, run, "input-split", [&] { return phaseSplit(e, run); });
  // The split stops early only at a depth, frontier or bound failure: the rest of the attack
  // then still has its chance at a counterexample.
  if (open()) {
    runPhase(e, run, "attack-2", [&] { return attackPhase(e, run, AttackStage::kSecond); });
  }
  return finishBox(e, run, t.seconds(), ce);
}

}  // namespace

const char* splitBoundName(SplitBound bound) {
  return bound == SplitBound::kAlpha ? "alpha" : "symbolic";
}
const char* splitRuleName(SplitRule rule) {
  switch (rule) {
    case SplitRule::kGradient: return "gradient";
    case SplitRule::kSmear: return "smear";
    case SplitRule::kWidest: return "widest";
  }
  return "?";
}

Result verifyByInputSplit(const nn::Network& net, const data::VnnlibProperty& property,
                          const VerifyOptions& options, const Callbacks& callbacks,
                          const InputSplitOptions& split) {
  checkProperty(net, property);
  checkOptions(options);
  if (!(split.close_margin > 0) || !(split.close_rel >= 0) || split.batch < 1 ||
      split.max_frontier < 1 || split.max_depth < 0) {
    fail(ErrorKind::kInvalidInput, "input split: margins must be positive, sizes at least 1");
  }
  Engine e(net, property, options, split, callbacks);
  return verifyBoxes(
      property, e.timer, [&e] { return e.outOfTime(); },
      [&e](int b, std::optional<Counterexample>& ce) { return verifyBox(e, b, ce); },
      {"time limit reached with open sub-boxes",
       "some sub-box stayed open (depth, width or frontier limit, or a bound failed)",
       "every sub-box of every input box closed by its input-split bound"});
}

}  // namespace nnmip::verify
