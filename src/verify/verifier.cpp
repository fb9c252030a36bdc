#include "verify/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>

#include "bounds/alpha.hpp"
#include "bounds/bounder.hpp"
#include "bounds/refine.hpp"
#include "bounds/solver_bounds.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "encode/compact.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"
#include "verify/box_run.hpp"
#include "verify/phase_budget.hpp"
#include "verify/spec.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------------

using Engine = EngineState;

// A box of the relu engine: the shared per-box state and the best pre-activation bounds so far.
struct ReluRun : BoxRun {
  using BoxRun::BoxRun;
  bounds::NetworkBounds bounds;
  bool have_bounds = false;
};

void closeDisjunct(BoxRun& run, int d, const std::string& by, double bound) {
  DisjunctReport& r = run.report.disjuncts[static_cast<size_t>(d)];
  r.upper_bound = std::min(r.upper_bound, bound);
  if (r.state == DisjunctState::kOpen) {
    r.state = DisjunctState::kClosed;
    r.closed_by = by;
  }
}

encode::LayerBounds outputBounds(const nn::Network& net, const bounds::NetworkBounds& b) {
  return encode::postActivationBounds(net.layers().back(), b.layers.back());
}

Eigen::VectorXd inputOf(const encode::EncodedNetwork& enc, const std::vector<double>& values) {
  Eigen::VectorXd x(enc.inputs.size());
  for (int i = 0; i < enc.inputs.size(); ++i) {
    x[i] = values.at(static_cast<size_t>(enc.inputs.x[static_cast<size_t>(i)].id));
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Phases.

void closeByBounds(Engine& e, ReluRun& run, const std::string& by) {
  const encode::LayerBounds yb = outputBounds(e.net, run.bounds);
  for (int d : run.open()) {
    const double ub = e.spec.marginRange(d, yb).hi;
    DisjunctReport& r = run.report.disjuncts[static_cast<size_t>(d)];
    r.upper_bound = std::min(r.upper_bound, ub);
    if (ub < -e.opt.lp_close_margin) closeDisjunct(run, d, by, ub);
  }
}

std::string describeUnstable(Engine& e, ReluRun& run) {
  run.report.bounds_method = run.bounds.method;
  run.report.unstable.clear();
  for (int l = 0; l + 1 < e.net.numLayers(); ++l) {
    if (!encode::isReluLayer(e.net.layer(l))) continue;
    const encode::LayerBounds& b = run.bounds.layers[static_cast<size_t>(l)];
    int u = 0;
    for (Eigen::Index j = 0; j < b.lo.size(); ++j) u += b.lo[j] < 0 && b.hi[j] > 0;
    run.report.unstable.push_back(u);
  }
  return fmt::format("unstable {}", fmt::join(run.report.unstable, "/"));
}

int totalUnstable(const ReluRun& run) {
  int n = 0;
  for (int u : run.report.unstable) n += u;
  return n;
}

// Root bounds by `method` (interval, or interval then symbolic; milliseconds); closes disjuncts
// by interval arithmetic on the output bounds.
std::string phaseRootBounds(Engine& e, ReluRun& run, bounds::Method method) {
  bounds::BoundsOptions bo;
  bo.method = method;
  bounds::BoundsResult root = bounds::computeBounds(e.net, run.box, bo);
  NNMIP_CHECK(!root.bounds.empty, "{} bounds call a non-empty box empty",
              bounds::methodName(method));
  run.bounds = root.bounds;
  run.have_bounds = true;
  closeByBounds(e, run, bounds::methodName(method));
  return describeUnstable(e, run);
}

// Alpha bounds of the open disjuncts' atoms over run.bounds: lb(coef . y - rhs) > lp_close_margin
// proves that atom false everywhere, which closes its disjunct.
void closeBySpecBounds(Engine& e, ReluRun& run, bounds::AlphaOptions ao, const std::string& by) {
  const encode::Domain dom(run.box);
  std::vector<int> atoms;
  for (int d : run.open()) {
    for (int a : e.spec.atoms_of[static_cast<size_t>(d)]) atoms.push_back(a);
  }
  if (!atoms.empty() && !e.halted()) {
    Eigen::MatrixXd C(static_cast<Eigen::Index>(atoms.size()), e.net.outputSize());
    Eigen::VectorXd c0(static_cast<Eigen::Index>(atoms.size()));
    for (size_t k = 0; k < atoms.size(); ++k) {
      C.row(static_cast<Eigen::Index>(k)) = e.spec.C.row(atoms[k]);
      c0[static_cast<Eigen::Index>(k)] = -e.spec.rhs[atoms[k]];
    }
    ao.stop_at = 2 * e.opt.lp_close_margin;
    const Eigen::VectorXd lb = bounds::alphaSpecLowerBounds(e.net, dom, run.bounds, C, c0, ao);
    for (size_t k = 0; k < atoms.size(); ++k) {
      const int d = e.spec.disjunct_of[static_cast<size_t>(atoms[k])];
      const double ub = -lb[static_cast<Eigen::Index>(k)];  // margin_a = rhs - coef . y <= ub
      if (!std::isfinite(ub)) continue;
      DisjunctReport& r = run.report.disjuncts[static_cast<size_t>(d)];
      r.upper_bound = std::min(r.upper_bound, ub);
      if (ub < -e.opt.lp_close_margin && r.state == DisjunctState::kOpen) {
        closeDisjunct(run, d, by, ub);
      }
    }
  }
}

// The alpha tier over the box, intersected into run.bounds, then the disjuncts the output bounds
// close. An empty result on a non-empty box is the tier doubting itself: the bounds stay, the box
// can no longer be unsat, and this returns false.
bool tightenByAlpha(Engine& e, ReluRun& run, const bounds::AlphaOptions& ao,
                    const std::string& by) {
  const bounds::NetworkBounds alpha =
      bounds::computeAlpha(e.net, encode::Domain(run.box), &run.bounds, ao);
  if (alpha.empty) {
    run.doubt = true;
    return false;
  }
  run.bounds = bounds::intersectBounds(run.bounds, alpha);
  closeByBounds(e, run, by);
  return true;
}

// The alpha tier (optimised ReLU slopes) seeded by the symbolic bounds, then the spec bounds.
std::string phaseAlpha(Engine& e, ReluRun& run) {
  bounds::AlphaOptions ao;
  ao.threads = std::max(1, e.opt.threads);
  double budget = e.opt.alpha_share * e.remaining();
  if (!std::isfinite(budget)) budget = kNoLimitAlphaS;
  ao.time_limit_s = std::max(kMinBoundTierS, kAlphaRootsShare * budget);
  const Timer t;
  if (!tightenByAlpha(e, run, ao, "alpha")) return "alpha tier reported an empty box (ignored)";
  run.bounds.method = "alpha";
  const double roots = t.seconds();
  ao.time_limit_s = std::max(kMinBoundTierS, std::max(0.0, budget - roots));
  closeBySpecBounds(e, run, ao, "alpha-spec");
  return describeUnstable(e, run) + fmt::format(" (roots {:.2f} s)", roots);
}

// The LP tier under a share of the remaining time (a tier stopped by its limit keeps valid
// bounds for the neurons it did not reach).
std::string phaseLpBounds(Engine& e, ReluRun& run) {
  bounds::SolverBoundsOptions so;
  so.threads = std::max(1, e.opt.threads);
  so.lp_backend = e.opt.lp_backend;
  if (e.opt.time_limit_s) {
    so.time_limit_s = std::max(kMinLpBoundsS, e.opt.lp_bounds_share * e.remaining());
  }
  Callbacks bcb;
  bcb.should_stop = [&e] { return e.halted(); };
  // Seeded with the best bounds so far (symbolic, alpha): valid over the box.
  bounds::BoundsResult lp =
      bounds::computeLpBounds(e.net, encode::Domain(run.box), run.bounds, so, bcb);
  if (lp.bounds.empty) {
    // A non-empty box cannot give an empty LP: the LP tier doubted itself. Keep symbolic.
    run.doubt = true;
    return "lp tier reported an empty box (ignored)";
  }
  run.bounds = bounds::intersectBounds(run.bounds, lp.bounds);
  run.bounds.method = "lp";
  closeByBounds(e, run, "lp-bounds");
  return describeUnstable(e, run);
}

// MILP refinement (bounds/refine.hpp) of hidden layers 2, 3, ...: per layer the unstable neurons
// by importance (bounds::refineOrder), then the alpha tier over the refined bounds and the disjunct
// checks. A layer's share of the refine budget left: see VerifyOptions::refine_front_share
// (unspent time rolls over to the next layer); the phase stops at the first layer (of at least 8
// unstable neurons) that stabilises nothing and tightens fewer than half of the neurons tried, or
// where CBC cannot finish its roots even at the raised per-solve limit (give_up_after).
std::string phaseRefine(Engine& e, ReluRun& run) {
  const Timer t;
  const double budget = e.opt.time_limit_s ? e.opt.refine_share * e.remaining() : kNoLimitRefineS;
  const encode::Domain dom(run.box);
  const int last_hidden = e.net.numLayers() - 2;  // the output layer is not refined
  std::vector<std::string> parts;
  for (int k = 1; k <= last_hidden; ++k) {
    if (e.halted() || run.openCount() == 0) break;
    if (!encode::isReluLayer(e.net.layer(k))) continue;
    const double left = budget - t.seconds();
    if (left < kRefineMinLayerS) break;
    const std::vector<int> neurons = bounds::refineOrder(e.net, run.bounds, k);
    if (neurons.empty()) continue;
    // The layer's share (VerifyOptions::refine_front_share); alpha after it takes its own cut.
    bounds::RefineOptions ro;
    ro.threads = std::max(1, e.opt.threads);
    const double equal = left / static_cast<double>(last_hidden - k + 1);
    const double need = 2.0 * static_cast<double>(neurons.size()) * e.opt.refine_min_per_solve_s /
                        ro.threads / kRefineMilpShare;
    const double share = std::max(equal, std::min(need, e.opt.refine_front_share * left));
    ro.time_limit_s = kRefineMilpShare * share;
    // About one solve per neuron (the first side often ends early, by the cutoff); important
    // neurons come first, so a limit too short for the whole layer still spends it well. The
    // first refined layer plans for both sides: every later layer's bounds start from its
    // bounds, and a per-solve limit cut for one side there left neurons untried (ERAN idx
    // 2697: 28 of 39 tried, timeout; 39 of 39 with this rule, unsat; docs/results_verify.md).
    const double solves_per_neuron = parts.empty() ? 2.0 : 1.0;
    ro.per_solve_s = std::clamp(ro.time_limit_s.value() * ro.threads /
                                    (solves_per_neuron * static_cast<double>(neurons.size())),
                                e.opt.refine_min_per_solve_s, e.opt.refine_per_solve_s);
    ro.max_per_solve_s = std::clamp(kRefineMaxSolveShare * ro.time_limit_s.value(), ro.per_solve_s,
                                    e.opt.refine_max_per_solve_s);
    ro.mip_backend = e.opt.mip_backend;
    ro.mip_backend_options = e.opt.refine_backend_options;
    ro.max_binaries = e.opt.refine_max_binaries;
    ro.form = e.opt.refine_form;
    ro.reference = run.box.center();
    Callbacks rcb;
    rcb.should_stop = [&e] { return e.halted(); };
    const bounds::RefineStats rs =
        bounds::refineLayerMilp(e.net, dom, run.bounds, k, neurons, ro, rcb);
    if (rs.empty) {
      // A non-empty box: a MILP calling it empty doubted itself. Keep the bounds.
      run.doubt = true;
      parts.push_back(fmt::format("layer {}: a MILP reported the box empty (ignored)", k + 1));
      break;
    }
    // Re-propagate: the alpha tier over the refined bounds (intersected), then the disjuncts.
    bounds::AlphaOptions ao;
    ao.threads = std::max(1, e.opt.threads);
    ao.time_limit_s = std::max(kMinBoundTierS, kRefineAlphaShare * share);
    const Timer ta;
    run.bounds.method = "refine";
    if (!tightenByAlpha(e, run, ao, "refine")) {
      parts.push_back(fmt::format("layer {}: alpha reported the box empty (ignored)", k + 1));
      break;
    }
    if (!e.halted()) closeBySpecBounds(e, run, ao, "refine-spec");
    describeUnstable(e, run);
    parts.push_back(fmt::format(
        "layer {}: {} of {} tried, {} stable, {} tighter, {} solves ({} "
        "failed{}) at <= {:.2g} s each, {} form, {:.1f} s, alpha {:.1f} s -> "
        "unstable {}",
        k + 1, rs.neurons, neurons.size(), rs.stabilized, rs.tightened, rs.solves, rs.failed,
        rs.gave_up ? ", gave up" : "", rs.per_solve_s, encode::stableFormName(rs.stable_form),
        rs.wall_s, ta.seconds(), fmt::join(run.report.unstable, "/")));
    e.log(fmt::format("box {} refine {}", run.index, parts.back()));
    // Go on while the layer moved: stabilised neurons, or tighter ranges for most of those tried
    // (256x4 prop_6_0.03: layer 2 stabilises none but tightens 68 of 72). A layer of a handful
    // of unstable neurons says little about the next one.
    const bool moved = rs.stabilized > 0 || 2 * rs.tightened >= rs.neurons;
    if (rs.gave_up || (!moved && neurons.size() >= kRefineMinNeuronsToStop)) break;
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string phaseLp(Engine& e, ReluRun& run) {
  mip::Model model;
  const encode::InputVars in = encode::addInputs(model, run.box);
  encode::EncodeOptions eo;
  eo.relax = true;
  const encode::EncodedNetwork enc = encode::encodeNetwork(model, e.net, in, run.bounds, eo);
  const encode::LayerBounds yb = outputBounds(e.net, run.bounds);
  const std::vector<encode::AffineExpr> outputs = outputExprs(enc.outputs);
  std::vector<std::pair<int, mip::Var>> ts;
  for (int d : run.open()) {
    if (e.spec.atoms_of[static_cast<size_t>(d)].empty()) continue;
    const MarginRange m = e.spec.marginRange(d, yb);
    ts.emplace_back(
        d, e.spec.addMarginVar(model, d, outputs, m.lo - 1.0, m.hi + 1.0, fmt::format("t{}", d)));
  }
  if (ts.empty()) return "";
  auto session = mip::makeLpSession(model, e.opt.lp_backend);
  int solved = 0;
  std::vector<Eigen::VectorXd> lp_points;
  int safe_finite = 0;    // LPs whose safe bound is finite
  double safe_gap = 0.0;  // largest safe bound - solver objective
  // A share of the remaining time for all of them (deep nets: one LP can take tens of seconds).
  const Timer phase_timer;
  const double budget = e.opt.time_limit_s ? e.opt.lp_phase_share * e.remaining() : kInf;
  for (const auto& [d, t] : ts) {
    if (e.halted() || phase_timer.seconds() >= budget) break;
    const mip::Term term{t, 1.0};
    session->setObjective(mip::Sense::kMaximize, std::span<const mip::Term>(&term, 1));
    mip::LpParams lp;
    if (e.opt.time_limit_s) {
      lp.time_limit_s = std::max(kMinLpSolveS, budget - phase_timer.seconds());
    }
    const mip::LpResult r = session->solve(lp);
    if (!r.optimal() || !r.objective) continue;
    ++solved;
    // The closing value is the Neumaier-Shcherbina bound from the duals, valid whatever CLP's
    // tolerances; the solver's objective only serves when no duals came back (then it never
    // closes the disjunct).
    double v = kInf;
    if (r.row_duals.size() == static_cast<size_t>(model.numRows())) {
      mip::Objective obj;
      obj.sense = mip::Sense::kMaximize;
      obj.terms = {term};
      v = mip::safeObjectiveBound(model, obj, r.row_duals);
    }
    if (std::isnan(v)) v = kInf;
    if (std::isfinite(v)) {
      ++safe_finite;
      safe_gap = std::max(safe_gap, v - *r.objective);
    }
    DisjunctReport& rep = run.report.disjuncts[static_cast<size_t>(d)];
    rep.upper_bound = std::min(rep.upper_bound, v);
    if (v < -e.opt.lp_close_margin) {
      closeDisjunct(run, d, "lp", v);
    } else if (!r.values.empty()) {
      const Eigen::VectorXd x = inputOf(enc, r.values);
      tryCandidate(e, run, x, "lp");
      if (run.ce) break;
      lp_points.push_back(x);
    }
  }
  std::string detail = fmt::format("{} of {} LPs optimal, {} safe bounds (largest widening {:.2g})",
                                   solved, ts.size(), safe_finite, safe_gap);
  // The LP optima are where the relaxation sees the largest margins: polish them with a short
  // attack (VeriNet-style LP points as counterexample candidates).
  if (!run.ce && !lp_points.empty() && !e.halted() && e.opt.attack_time_s > 0) {
    nn::AttackOptions a = e.opt.attack;
    a.seed = e.opt.seed + kLpAttackSeedOffset + static_cast<uint64_t>(run.index) * kBoxSeedStride;
    a.starts.resize(static_cast<Eigen::Index>(lp_points.size()), e.net.inputSize());
    for (size_t k = 0; k < lp_points.size(); ++k)
      a.starts.row(static_cast<Eigen::Index>(k)) = lp_points[k].transpose();
    a.restarts = std::max<int>(a.restarts, static_cast<int>(lp_points.size()) + 1);
    a.include_center = false;
    a.diversify_steps = 0;
    a.step_size = kLpAttackStepSize;
    a.decay = kLpAttackDecay;
    a.steps = kLpAttackSteps;
    a.rounds = 1;
    a.time_limit_s = std::max(0.0, std::min(kLpAttackShare * e.opt.attack_time_s, e.remaining()));
    Callbacks acb;
    acb.should_stop = [&e] { return e.cb.stopRequested(); };
    const nn::AttackResult ar =
        nn::attackBox(e.net, run.box.lo, run.box.hi, e.spec.objective(run.open()), a, acb);
    tryCandidate(e, run, ar.x, "lp+attack");
    detail += fmt::format(", attack from the LP points: best margin {:.4g}", ar.value);
  }
  return detail;
}

// Branch and bound over ReLU splits on the open disjuncts (verify/bab.hpp).
std::string phaseBab(Engine& e, ReluRun& run, double share, BabStats& stats) {
  const std::vector<int> open = run.open();
  std::vector<Atoms> disjuncts;
  std::vector<double> upper;
  for (int d : open) {
    disjuncts.push_back(e.prop.unsafe_disjuncts[static_cast<size_t>(d)]);
    upper.push_back(run.report.disjuncts[static_cast<size_t>(d)].upper_bound);
  }
  BabOptions bo = e.opt.bab;
  bo.threads = std::max(1, e.opt.threads);
  bo.close_margin = e.opt.lp_close_margin;
  if (e.opt.time_limit_s) {
    bo.time_limit_s = std::max(0.0, share * e.remaining());
  }
  std::mutex mu;
  const CandidateCheck check = [&](const Eigen::VectorXd& x) {
    return tryCandidate(e, run, x, "bab", &mu);
  };
  Callbacks bcb;
  bcb.should_stop = [&e] { return e.halted(); };
  bcb.on_log = e.cb.on_log;
  const BabResult r = runBab(e.net, run.box, run.bounds, disjuncts, upper, bo, check, bcb);
  stats = r.stats;
  int closed = 0;
  double worst = -kInf;
  for (size_t k = 0; k < open.size(); ++k) {
    const int d = open[k];
    if (run.report.disjuncts[static_cast<size_t>(d)].state != DisjunctState::kOpen) continue;
    if (r.closed[k]) {
      closeDisjunct(run, d, "bab", -e.opt.lp_close_margin);
      ++closed;
    } else {
      DisjunctReport& rep = run.report.disjuncts[static_cast<size_t>(d)];
      rep.upper_bound = std::min(rep.upper_bound, r.upper_bound[k]);
      worst = std::max(worst, r.upper_bound[k]);
    }
  }
  if (r.outcome == BabOutcome::kFailed) run.doubt = true;
  const BabStats& st = r.stats;
  return fmt::format(
      "{}{}{}: {} of {} closed, {} nodes ({} closed, {} empty), depth {}, peak queue {} ({}), "
      "{} candidates, largest open bound {:.4g}; worker-seconds: interm {:.1f} spec {:.1f} branch "
      "{:.1f} "
      "primal {:.1f}",
      babOutcomeName(r.outcome), r.detail.empty() ? "" : " - ", r.detail, closed, open.size(),
      st.nodes, st.closed_at, st.empty, st.max_depth, st.peak_queue,
      formatBytes(static_cast<double>(st.peak_queue_bytes)), st.candidates, worst, st.interm_s,
      st.spec_s, st.branch_s, st.primal_s);
}

struct MilpOutcome {
  bool closed = false;
  std::string detail;
  bool time_limited = false;  // stopped at its time limit
};

// Output-constrained LP tightening: the LP tier over the box with the disjunct's atoms as output
// rows coef . y <= rhs + milp_delta (the region where the margin is >= -milp_delta). Bounds valid
// there are enough for the disjunct's MILP, which only searches that region. An infeasible LP
// closes the disjunct.
struct Tightened {
  bool empty = false;
  bounds::NetworkBounds bounds;
  std::string detail;
};

Tightened tightenForDisjunct(Engine& e, ReluRun& run, const Atoms& atoms, double time_s) {
  encode::Domain dom(run.box);
  for (const data::LinearAtom& a : atoms) {
    encode::LinearRow row;
    row.coef =
        Eigen::Map<const Eigen::VectorXd>(a.coef.data(), static_cast<Eigen::Index>(a.coef.size()));
    row.hi = a.rhs + e.opt.milp_delta;
    dom.output_rows.push_back(std::move(row));
  }
  bounds::SolverBoundsOptions so;
  so.threads = 1;
  so.lp_backend = e.opt.lp_backend;
  so.time_limit_s = std::max(kMinBoundTierS, time_s);
  Callbacks cb;
  cb.should_stop = [&e] { return e.halted(); };
  const Timer t;
  bounds::BoundsResult r = bounds::computeLpBounds(e.net, dom, run.bounds, so, cb);
  Tightened out;
  out.empty = r.bounds.empty;
  out.bounds = std::move(r.bounds);
  int unstable = 0;
  if (!out.empty) {
    for (int l = 0; l + 1 < e.net.numLayers(); ++l) {
      const encode::LayerBounds& b = out.bounds.layers[static_cast<size_t>(l)];
      for (Eigen::Index j = 0; j < b.lo.size(); ++j) unstable += b.lo[j] < 0 && b.hi[j] > 0;
    }
  }
  out.detail = out.empty ? fmt::format("output-constrained LP infeasible ({:.2f} s)", t.seconds())
                         : fmt::format("output-constrained LP: {} unstable ({:.2f} s)", unstable,
                                       t.seconds());
  return out;
}

MilpOutcome solveDisjunctMilp(Engine& e, ReluRun& run, int d, std::mutex& mu) {
  const Atoms& atoms = e.prop.unsafe_disjuncts[static_cast<size_t>(d)];
  Tightened tight;
  if (e.opt.milp_tighten) {
    tight = tightenForDisjunct(
        e, run, atoms, e.opt.time_limit_s ? kTightenShare * e.remaining() : kNoLimitTightenS);
    if (tight.empty) return {true, tight.detail};
  } else {
    tight.bounds = run.bounds;
  }
  mip::Model model;
  std::vector<encode::AffineExpr> outputs;
  std::function<Eigen::VectorXd(const std::vector<double>&)> input_of;
  encode::CompactEncoding cenc;
  encode::EncodedNetwork fenc;
  if (e.opt.milp_compact) {
    encode::CompactOptions co;
    co.relax = false;
    cenc = encode::encodeCompact(e.net, encode::Domain(run.box), tight.bounds, co);
    model = std::move(cenc.model);
    outputs = cenc.outputs;
    input_of = [&cenc](const std::vector<double>& v) { return cenc.inputOf(v); };
  } else {
    const encode::InputVars in = encode::addInputs(model, run.box);
    fenc = encode::encodeNetwork(model, e.net, in, tight.bounds);
    outputs = outputExprs(fenc.outputs);
    input_of = [&fenc](const std::vector<double>& v) { return inputOf(fenc, v); };
  }
  const encode::LayerBounds yb = outputBounds(e.net, tight.bounds);
  const double hi = e.spec.marginRange(d, yb).hi;
  const mip::Var t =
      e.spec.addMarginVar(model, d, outputs, -e.opt.milp_delta, std::max(hi, 0.0) + 1.0, "t");
  const mip::Term obj{t, 1.0};
  model.setObjective(mip::Sense::kMaximize, std::span<const mip::Term>(&obj, 1));
  auto solver = mip::makeMipSolver(e.opt.mip_backend);
  bool early = true;  // stop at the first incumbent with a positive margin, to check it
  std::string prefix = tight.detail.empty() ? "" : tight.detail + "; ";
  for (int attempt = 0; attempt < kMilpAttempts; ++attempt) {
    if (e.halted()) return {false, prefix + "stopped"};
    mip::MipParams params;
    params.threads = 1;
    // CBC checks the clock between nodes only, so the limit is enforced from outside
    // (hard_time_limit: a child process killed at the limit); part of the time left is still
    // held back for CBC to stop itself (phase_budget.hpp).
    if (e.opt.time_limit_s) {
      const double rem = e.remaining();
      const double hold_back =
          std::clamp(kMilpHoldBackShare * rem, kMilpHoldBackMinS, kMilpHoldBackMaxS);
      params.time_limit_s = std::max(kMinMilpS, rem - hold_back);
      params.hard_time_limit = true;
    }
    params.backend_options = e.opt.mip_backend_options;
    params.exact_dual_bound = true;
    std::atomic<bool> found{false};
    Callbacks mcb;
    mcb.on_progress = [&](const ProgressEvent& ev) {
      if (early && std::isfinite(ev.incumbent) && ev.incumbent > e.opt.attack.target) found = true;
    };
    mcb.should_stop = [&] { return found.load() || e.halted(); };
    const mip::MipResult r = solver->solve(model, params, mcb);
    const std::string what =
        prefix + fmt::format("{} ({}), {} binaries, {} nodes, {:.2f} s",
                             mip::terminationName(r.termination), r.detail, model.numIntegerVars(),
                             r.stats.nodes, r.stats.wall_s);
    if (r.termination == mip::Termination::kInfeasible) return {true, what};
    const bool time_limited = r.limit == mip::Limit::kTime;
    if (r.hasSolution()) {
      if (tryCandidate(e, run, input_of(r.values), "milp", &mu)) return {false, what};
    }
    if (found.load() && !e.halted()) {
      early = false;  // the incumbent did not validate: solve to the end this time
      continue;
    }
    if (r.termination == mip::Termination::kOptimal) {
      return {false, what + fmt::format("; optimum {:.3g} in [-delta, 0] or witness rejected: "
                                        "numerical doubt",
                                        r.objective.value_or(NAN))};
    }
    return {false, what, time_limited};
  }
  return {false, prefix + "incumbents did not validate"};
}

std::string phaseMilp(Engine& e, ReluRun& run) {
  std::vector<int> order = run.open();
  // Most promising first: the largest upper bound on the margin.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return run.report.disjuncts[static_cast<size_t>(a)].upper_bound >
           run.report.disjuncts[static_cast<size_t>(b)].upper_bound;
  });
  std::mutex mu;
  std::atomic<int> closed{0};
  std::atomic<bool> failed{false};
  const int n_workers = std::max(1, std::min<int>(e.opt.threads, static_cast<int>(order.size())));
  parallelFor(static_cast<int>(order.size()), n_workers, [&](int k) {
    if (e.halted()) return;
    const int d = order[static_cast<size_t>(k)];
    const Timer t;
    MilpOutcome out;
    try {
      out = solveDisjunctMilp(e, run, d, mu);
    } catch (const std::exception& ex) {
      failed = true;
      out.detail = fmt::format("failed: {}", ex.what());
    }
    std::lock_guard<std::mutex> lock(mu);
    DisjunctReport& rep = run.report.disjuncts[static_cast<size_t>(d)];
    rep.milp = out.detail;
    rep.milp_s = t.seconds();
    if (out.time_limited) run.time_limited = true;
    if (out.closed) {
      closeDisjunct(run, d, "milp", -e.opt.milp_delta);
      ++closed;
    }
    e.log(fmt::format("box {} disjunct {}: {}", run.index, d, out.detail));
  });
  if (failed) run.doubt = true;
  return fmt::format("{} of {} closed", closed.load(), order.size());
}

BoxReport verifyBox(Engine& e, int index, std::optional<Counterexample>& ce) {
  const Timer t;
  ReluRun run(e, index);

  auto done = [&] { return run.ce.has_value() || run.openCount() == 0 || e.halted(); };
  auto bab = [&](const std::string& name, double share) {
    BabStats bs;
    runPhase(e, run, name, [&] { return phaseBab(e, run, share, bs); });
    PhaseStats& ps = run.report.phases.back();
    ps.nodes = bs.nodes;
    ps.seconds = {{"interm", bs.interm_s},
                  {"spec", bs.spec_s},
                  {"branch", bs.branch_s},
                  {"primal", bs.primal_s}};
  };
  runPhase(e, run, "centre", [&] { return centrePhase(e, run); });
  const bounds::Method root =
      e.opt.interval_root ? bounds::Method::kInterval : bounds::Method::kSymbolic;
  if (!done()) {
    runPhase(e, run, bounds::methodName(root), [&] { return phaseRootBounds(e, run, root); });
  }
  if (!done()) {
    runPhase(e, run, "attack", [&] { return attackPhase(e, run, AttackStage::kFirst); });
  }
  if (!done() && run.have_bounds && e.opt.use_alpha) {
    runPhase(e, run, "alpha", [&] { return phaseAlpha(e, run); });
  }
  if (!done() && run.have_bounds && e.opt.use_bab && e.opt.bab_early_share > 0) {
    bab("bab-early", e.opt.bab_early_share);
  }
  if (!done()) {
    runPhase(e, run, "attack-2", [&] { return attackPhase(e, run, AttackStage::kSecond); });
  }
  bool refined = false;
  if (!done() && run.have_bounds && e.opt.use_refine &&
      totalUnstable(run) > e.opt.refine_min_unstable) {
    runPhase(e, run, "refine", [&] { return phaseRefine(e, run); });
    refined = true;
  }
  if (!done() && run.have_bounds && e.opt.use_lp_tier && !refined) {
    runPhase(e, run, "lp-bounds", [&] { return phaseLpBounds(e, run); });
  }
  // After the refinement these LPs closed 1 disjunct in 26 runs (517 s) of a one run; the bab
  // closes such disjuncts in seconds and uses the time better (docs/results_verify.md, "Tuning").
  const bool bab_follows = e.opt.use_bab;
  if (!done() && run.have_bounds && !(refined && bab_follows)) {
    runPhase(e, run, "lp", [&] { return phaseLp(e, run); });
  }
  if (!done() && run.have_bounds && e.opt.use_bab) {
    if (!e.opt.use_milp) {
      bab("bab", kBabShareWithoutMilp);
    } else if (totalUnstable(run) > e.opt.bab_before_milp_unstable || refined) {
      bab("bab", refined ? e.opt.bab_share_refined : e.opt.bab_share);
    }
  }
  if (!done() && run.have_bounds && e.opt.use_milp) {
    runPhase(e, run, "milp", [&] { return phaseMilp(e, run); });
  }

  return finishBox(e, run, t.seconds(), ce);
}

}  // namespace

void VerifyOptions::validate() const {
  auto bad = [](const char* field, double v, const char* range) {
    fail(ErrorKind::kInvalidInput, "verify options: {} = {} (must be {})", field, v, range);
  };
  auto share = [&](const char* field, double v) {
    if (!(v >= 0.0 && v <= 1.0)) bad(field, v, "in [0, 1]");
  };
  auto positive = [&](const char* field, double v) {
    if (!(v > 0.0) || !std::isfinite(v)) bad(field, v, "> 0 and finite");
  };
  if (threads < 1) bad("threads", threads, ">= 1");
  if (time_limit_s && !(*time_limit_s > 0.0)) bad("time_limit_s", *time_limit_s, "> 0");
  if (!(attack_time_s >= 0.0)) bad("attack_time_s", attack_time_s, ">= 0");
  share("alpha_share", alpha_share);
  share("lp_bounds_share", lp_bounds_share);
  share("lp_phase_share", lp_phase_share);
  share("bab_early_share", bab_early_share);
  share("bab_share", bab_share);
  share("bab_share_refined", bab_share_refined);
  share("refine_share", refine_share);
  share("refine_front_share", refine_front_share);
  positive("refine_min_per_solve_s", refine_min_per_solve_s);
  if (!(refine_per_solve_s >= refine_min_per_solve_s)) {
    bad("refine_per_solve_s", refine_per_solve_s, ">= refine_min_per_solve_s");
  }
  if (!(refine_max_per_solve_s >= refine_per_solve_s)) {
    bad("refine_max_per_solve_s", refine_max_per_solve_s, ">= refine_per_solve_s");
  }
  if (refine_max_binaries < 0) bad("refine_max_binaries", refine_max_binaries, ">= 0");
  // bab_before_milp_unstable and refine_min_unstable are thresholds "more unstable ReLUs than
  // this": every integer is meaningful (a negative one: always).
  positive("lp_close_margin", lp_close_margin);
  positive("milp_delta", milp_delta);
  if (mip_backend.empty() || lp_backend.empty()) {
    fail(ErrorKind::kInvalidInput, "verify options: empty backend name");
  }
  attack.validate();
  bab.validate();
}

Result verifyProperty(const nn::Network& net, const data::VnnlibProperty& property,
                      const VerifyOptions& options, const Callbacks& callbacks) {
  checkProperty(net, property);
  checkOptions(options);
  Engine e(net, property, options, callbacks);
  return verifyBoxes(
      property, e.timer, [&e] { return e.outOfTime(); },
      [&e](int b, std::optional<Counterexample>& ce) { return verifyBox(e, b, ce); },
      {"time limit reached with open disjuncts",
       "some disjunct stayed open after every phase (or a phase failed)",
       "every disjunct of every input box closed"});
}

}  // namespace nnmip::verify
