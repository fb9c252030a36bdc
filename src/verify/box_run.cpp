#include "verify/box_run.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "nn/attack.hpp"
#include "nn/forward.hpp"
#include "verify/phase_budget.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {

BoxRun::BoxRun(const EngineState& e, int i) : index(i) {
  const data::InputBox& ib = e.prop.input_boxes[static_cast<size_t>(i)];
  box = encode::Box(ib.lo, ib.hi, fmt::format("input box {}", i));
  report.box = i;
  report.disjuncts.resize(e.prop.unsafe_disjuncts.size());
}

int BoxRun::openCount() const {
  int n = 0;
  for (const DisjunctReport& d : report.disjuncts) n += d.state == DisjunctState::kOpen;
  return n;
}

std::vector<int> BoxRun::open() const {
  std::vector<int> v;
  for (size_t d = 0; d < report.disjuncts.size(); ++d) {
    if (report.disjuncts[d].state == DisjunctState::kOpen) v.push_back(static_cast<int>(d));
  }
  return v;
}

bool tryCandidate(EngineState& e, BoxRun& run, const Eigen::VectorXd& x, const std::string& by,
                  std::mutex* mu) {
  const Eigen::VectorXd y = nn::forward(e.net, x);
  std::optional<Counterexample> ce = checkWitness(e.net, e.net32, e.prop, run.index, x, by);
  std::unique_lock<std::mutex> lock;
  if (mu != nullptr) lock = std::unique_lock<std::mutex>(*mu);
  for (size_t d = 0; d < e.prop.unsafe_disjuncts.size(); ++d) {
    DisjunctReport& r = run.report.disjuncts[d];
    r.best_margin = std::max(r.best_margin, disjunctMargin(e.prop.unsafe_disjuncts[d], y));
  }
  if (!ce) return false;
  if (!run.ce) {
    run.report.disjuncts[static_cast<size_t>(ce->disjunct)].state = DisjunctState::kViolated;
    run.ce = std::move(ce);
  }
  e.stop = true;
  return true;
}

void runPhase(EngineState& e, BoxRun& run, const std::string& name,
              const std::function<std::string()>& body) {
  const Timer t;
  const int open_before = run.openCount();
  PhaseStats ps;
  ps.name = name;
  try {
    ps.detail = body();
  } catch (const std::exception& ex) {
    run.doubt = true;
    ps.detail = fmt::format("failed: {}", ex.what());
  }
  ps.wall_s = t.seconds();
  ps.open_after = run.openCount();
  ps.closed = std::max(0, open_before - ps.open_after - (run.ce ? 1 : 0));
  e.log(fmt::format("box {} {}: {:.3f} s, {} open{}{}", run.index, name, ps.wall_s, ps.open_after,
                    ps.detail.empty() ? "" : ", ", ps.detail));
  run.report.phases.push_back(std::move(ps));
}

std::string centrePhase(EngineState& e, BoxRun& run) {
  tryCandidate(e, run, run.box.center(), "centre");
  return run.ce ? "violated at the centre" : "";
}

std::string attackPhase(EngineState& e, BoxRun& run, AttackStage stage) {
  const std::vector<int> active = run.open();
  nn::AttackOptions a = e.opt.attack;
  a.seed = e.opt.seed + static_cast<uint64_t>(run.index) * kBoxSeedStride;
  double budget = e.opt.attack_time_s;
  if (e.opt.time_limit_s) budget = std::min(budget, kAttackTimeShare * *e.opt.time_limit_s);
  if (stage == AttackStage::kFirst) {
    budget *= kAttackFirstStageShare;
  } else {
    budget *= 1.0 - kAttackFirstStageShare;
    a.seed += kAttackSecondStageSeedOffset;
  }
  a.time_limit_s = std::max(0.0, std::min(budget, e.remaining()));
  if (*a.time_limit_s <= 0.0) return "skipped (no time)";
  // Output-targeted starts: per disjunct, the direction that lowers its atoms' left sides.
  nn::Mat targets(static_cast<Eigen::Index>(active.size()), e.net.outputSize());
  for (size_t k = 0; k < active.size(); ++k) {
    targets.row(static_cast<Eigen::Index>(k)).setZero();
    for (int atom : e.spec.atoms_of[static_cast<size_t>(active[k])]) {
      targets.row(static_cast<Eigen::Index>(k)) -= e.spec.C.row(atom);
    }
  }
  a.targets = targets;
  Callbacks acb;
  acb.should_stop = [&e] { return e.cb.stopRequested(); };
  const nn::AttackResult r =
      nn::attackBox(e.net, run.box.lo, run.box.hi, e.spec.objective(active), a, acb);
  tryCandidate(e, run, r.x, "attack");
  return fmt::format("best margin {:.6g}, {} rounds, {} points", r.value, r.rounds, r.evaluations);
}

BoxReport finishBox(const EngineState& e, BoxRun& run, double wall_s,
                    std::optional<Counterexample>& ce) {
  if (run.ce) {
    run.report.status = Status::kSat;
    ce = run.ce;
  } else if (run.openCount() == 0 && !run.doubt) {
    run.report.status = Status::kUnsat;
  } else if (run.openCount() == 0) {
    // Every disjunct closed, but a phase failed on the way: the closures themselves stand
    // (each was proved), yet a failure is a reason for doubt, so no verdict.
    run.report.status = Status::kUnknown;
  } else if (e.outOfTime() || run.time_limited) {
    run.report.status = Status::kTimeout;
  } else {
    run.report.status = Status::kUnknown;
  }
  run.report.wall_s = wall_s;
  return std::move(run.report);
}

void checkOptions(const VerifyOptions& options) { options.validate(); }

Result verifyBoxes(const data::VnnlibProperty& property, const Timer& timer,
                   const std::function<bool()>& out_of_time, const VerifyBox& verify_box,
                   const BoxVerdictTexts& texts) {
  Result result;
  if (property.unsafe_disjuncts.empty()) {
    result.status = Status::kUnsat;
    result.reason = "the output constraints are unsatisfiable: nothing is unsafe";
    result.wall_s = timer.seconds();
    return result;
  }
  bool any_timeout = false;
  bool any_unknown = false;
  for (int b = 0; b < static_cast<int>(property.input_boxes.size()); ++b) {
    if (out_of_time()) {
      any_timeout = true;
      break;
    }
    std::optional<Counterexample> ce;
    result.boxes.push_back(verify_box(b, ce));
    const BoxReport& rep = result.boxes.back();
    if (rep.status == Status::kSat) {
      result.status = Status::kSat;
      result.counterexample = std::move(ce);
      result.reason = fmt::format(
          "counterexample in box {} for disjunct {} (found by {}, float32 margin {:.3g})", b,
          result.counterexample->disjunct, result.counterexample->found_by,
          result.counterexample->margin_float);
      result.wall_s = timer.seconds();
      return result;
    }
    any_timeout |= rep.status == Status::kTimeout;
    any_unknown |= rep.status == Status::kUnknown;
  }
  if (any_timeout) {
    result.status = Status::kTimeout;
    result.reason = texts.timeout;
  } else if (any_unknown) {
    result.status = Status::kUnknown;
    result.reason = texts.unknown;
  } else {
    result.status = Status::kUnsat;
    result.reason = texts.unsat;
  }
  result.wall_s = timer.seconds();
  return result;
}

}  // namespace nnmip::verify
