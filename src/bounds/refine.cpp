#include "bounds/refine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>

#include "bounds/partial_milp.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "encode/compact.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

namespace nnmip::bounds {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct SideResult {
  double value = std::nan("");  // proven bound of a_j on this side (NaN: nothing proved)
  long nodes = 0;
  bool solved = false;
  bool empty = false;
  double seconds = 0.0;  // wall clock of the solve
};

// One side of neuron j: the proven max (sense kMaximize) or min of its pre-activation. With
// `try_stable`, the solve carries the cutoff -/+stable_margin: "no solution past it" proves the
// neuron stable on this side and gives exactly 0.
SideResult solveSide(mip::MipSolver& solver, mip::Model& model, const encode::AffineExpr& obj,
                     mip::Sense sense, bool try_stable, double time_s, const RefineOptions& opt,
                     const Callbacks& callbacks) {
  const bool max = sense == mip::Sense::kMaximize;
  model.setObjective(sense, obj.terms, obj.constant);
  mip::MipParams params;
  params.threads = 1;
  params.time_limit_s = time_s;
  params.hard_time_limit = true;
  params.exact_dual_bound = true;
  params.backend_options = opt.mip_backend_options;
  const double cutoff = max ? -opt.stable_margin : opt.stable_margin;
  if (try_stable) params.cutoff = cutoff;
  Callbacks cb;
  cb.should_stop = [&callbacks] { return callbacks.stopRequested(); };
  SideResult out;
  mip::MipResult r;
  const Timer clock;
  try {
    r = solver.solve(model, params, cb);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kSolver) throw;
    out.seconds = clock.seconds();
    return out;
  }
  out.seconds = clock.seconds();
  out.solved = true;
  out.nodes = r.stats.nodes;
  if (r.termination == mip::Termination::kInfeasible) {
    if (try_stable) {
      out.value = 0.0;  // nothing beyond the cutoff, which lies inside 0 by more than safety
    } else {
      out.empty = true;  // no point at all (within CBC's tolerances)
    }
    return out;
  }
  double v = r.provenBound();  // the dual bound, never the incumbent
  if (!std::isfinite(v)) return out;
  // Nodes pruned by the cutoff lie beyond it: the optimum is at most max(bound, cutoff).
  if (try_stable) v = max ? std::max(v, cutoff) : std::min(v, cutoff);
  out.value = max ? v + opt.safety : v - opt.safety;
  return out;
}

// The neuron's model: the layer's, with only its most important binaries when asked.
mip::Model neuronModel(const encode::CompactEncoding& enc, const nn::Network& net,
                       const encode::Domain& domain, const NetworkBounds& bounds, int k, int j,
                       const RefineOptions& opt) {
  mip::Model model = enc.model;
  if (opt.max_binaries > 0) {
    keepImportantBinaries(model, enc, net, domain, bounds, k, j, opt.max_binaries);
  }
  return model;
}

// Which of two solves of one side (one MILP in two forms, same limit) went better: a bound
// before the limit beats none; of two, the sooner one when both ended early, else the tighter.
bool secondWins(const SideResult& a, const SideResult& b, bool max, double limit_s) {
  const bool fa = std::isfinite(a.value);
  const bool fb = std::isfinite(b.value);
  if (fa != fb) return fb;
  if (!fa) return false;
  const double early = 0.9 * limit_s;
  if (a.seconds < early && b.seconds < early) return b.seconds < a.seconds;
  if ((a.seconds < early) != (b.seconds < early)) return b.seconds < early;
  return max ? b.value < a.value : b.value > a.value;
}

// The encoding a fixed form asks for; a race starts from the composed form.
encode::StableForm stableFormOf(RefineForm f) {
  switch (f) {
    case RefineForm::kColumns: return encode::StableForm::kColumns;
    case RefineForm::kSparser: return encode::StableForm::kSparser;
    case RefineForm::kComposed:
    case RefineForm::kRace: break;
  }
  return encode::StableForm::kComposed;
}

}  // namespace

std::string_view refineFormName(RefineForm f) {
  switch (f) {
    case RefineForm::kComposed: return "composed";
    case RefineForm::kColumns: return "columns";
    case RefineForm::kSparser: return "sparser";
    case RefineForm::kRace: return "race";
  }
  return "?";
}

RefineForm parseRefineForm(std::string_view name) {
  for (RefineForm f : kRefineForms) {
    if (name == refineFormName(f)) return f;
  }
  fail(ErrorKind::kInvalidInput, "unknown refinement form '{}' (composed|columns|sparser|race)",
       name);
}

std::vector<int> refineOrder(const nn::Network& net, const NetworkBounds& bounds, int k) {
  encode::checkBoundsFor(net, bounds);
  if (k < 1 || k + 1 >= net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "refine: layer {} is not a hidden layer >= 1", k);
  }
  const LayerBounds& b = bounds.layers[static_cast<size_t>(k)];
  const nn::Mat& w_next = net.layer(k + 1).weight;
  std::vector<std::pair<double, int>> scored;
  for (Eigen::Index j = 0; j < b.lo.size(); ++j) {
    const double l = b.lo[j];
    const double u = b.hi[j];
    if (!(l < 0.0 && u > 0.0)) continue;
    scored.emplace_back(-l * u / (u - l) * w_next.col(j).lpNorm<1>(), static_cast<int>(j));
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& c) { return a.first > c.first; });
  std::vector<int> order;
  order.reserve(scored.size());
  for (const auto& [score, j] : scored) order.push_back(j);
  return order;
}

RefineStats refineLayerMilp(const nn::Network& net, const encode::Domain& domain,
                            NetworkBounds& bounds, int k, std::span<const int> neurons,
                            const RefineOptions& opt, const Callbacks& callbacks) {
  encode::checkBoundsFor(net, bounds);
  if (k < 1 || k >= net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "refine: layer {} is not a hidden layer >= 1", k);
  }
  const int n = net.layer(k).outputSize();
  for (int j : neurons) {
    if (j < 0 || j >= n) fail(ErrorKind::kInvalidInput, "refine: no neuron {}", j);
  }
  if (opt.threads < 1) fail(ErrorKind::kInvalidInput, "refine: threads must be >= 1");
  if (!(opt.per_solve_s > 0.0)) fail(ErrorKind::kInvalidInput, "refine: per-solve time <= 0");
  if (opt.max_binaries < 0) fail(ErrorKind::kInvalidInput, "refine: max_binaries < 0");
  if (!(opt.stable_margin > opt.safety)) {
    fail(ErrorKind::kInvalidInput, "refine: stable margin must exceed the safety widening");
  }
  const Timer timer;
  RefineStats stats;
  encode::CompactOptions co;
  co.relax = false;
  co.num_layers = domain.output_rows.empty() ? k : net.numLayers();
  co.stable_form = stableFormOf(opt.form);
  encode::CompactEncoding enc = encode::encodeCompact(net, domain, bounds, co);
  if (enc.empty) {
    stats.empty = true;
    return stats;
  }
  Vec ref_pre;
  if (opt.reference.size() == net.inputSize()) {
    ref_pre = nn::forwardTrace(net, opt.reference).pre[static_cast<size_t>(k)];
  }
  const double limit = opt.time_limit_s.value_or(kInf);
  LayerBounds& b = bounds.layers[static_cast<size_t>(k)];
  const LayerBounds before = b;
  std::vector<double> lo(neurons.size(), -kInf);
  std::vector<double> hi(neurons.size(), kInf);
  // Prove-active first when the reference is active, else prove-inactive.
  auto activeFirst = [&](int j) {
    return ref_pre.size() > 0 ? ref_pre[j] > 0.0 : -before.lo[j] < before.hi[j];
  };
  auto unstableBefore = [&](int j) { return before.lo[j] < 0.0 && before.hi[j] > 0.0; };
  if (opt.form == RefineForm::kRace) {
    // The first unstable neuron's first side in both forms at once (the same limit and load):
    // the form that does better refines the rest of the layer. Both results are valid bounds;
    // the better is kept (the loop below solves the neuron again in the winning form).
    const auto it = std::find_if(neurons.begin(), neurons.end(), unstableBefore);
    std::optional<encode::CompactEncoding> columns;
    if (it != neurons.end() && limit - timer.seconds() > 0.05) {
      encode::CompactOptions ko = co;
      ko.stable_form = encode::StableForm::kColumns;
      columns = encode::encodeCompact(net, domain, bounds, ko);
    }
    if (columns && !columns->empty) {
      const size_t i = static_cast<size_t>(it - neurons.begin());
      const int j = *it;
      const mip::Sense sense = activeFirst(j) ? mip::Sense::kMinimize : mip::Sense::kMaximize;
      const double time_s = std::min(opt.per_solve_s, limit - timer.seconds());
      std::array<SideResult, 2> r;
      parallelFor(2, opt.threads, [&](int f) {
        const encode::CompactEncoding& e = f == 0 ? enc : *columns;
        mip::Model model = neuronModel(e, net, domain, bounds, k, j, opt);
        std::unique_ptr<mip::MipSolver> solver = mip::makeMipSolver(opt.mip_backend);
        r[static_cast<size_t>(f)] =
            solveSide(*solver, model, e.pre[static_cast<size_t>(k)][static_cast<size_t>(j)], sense,
                      /*try_stable=*/true, time_s, opt, callbacks);
      });
      const bool max = sense == mip::Sense::kMaximize;
      for (const SideResult& s : r) {
        stats.solves += s.solved;
        stats.nodes += s.nodes;
        stats.failed += !std::isfinite(s.value);
        if (!std::isfinite(s.value)) continue;  // (a try_stable solve never reports empty)
        if (max)
          hi[i] = std::min(hi[i], s.value);
        else
          lo[i] = std::max(lo[i], s.value);
      }
      if (secondWins(r[0], r[1], max, time_s)) enc = std::move(*columns);
    }
  }
  stats.model_terms = enc.numTerms();
  stats.model_rows = enc.model.numRows();
  stats.stable_form = enc.stable_form;
  std::mutex mu;
  std::atomic<bool> empty{false};
  int done = 0;  // guarded by mu
  std::atomic<int> failed_in_row{0};
  std::atomic<bool> gave_up{false};
  std::atomic<double> per_solve{opt.per_solve_s};
  const double max_per_solve = std::max(opt.per_solve_s, opt.max_per_solve_s);
  parallelFor(static_cast<int>(neurons.size()), opt.threads, [&](int i) {
    const int j = neurons[static_cast<size_t>(i)];
    if (empty.load() || gave_up.load() || callbacks.stopRequested()) return;
    if (!unstableBefore(j)) return;  // already stable
    const bool active_first = activeFirst(j);
    const mip::Sense first = active_first ? mip::Sense::kMinimize : mip::Sense::kMaximize;
    const mip::Sense second = active_first ? mip::Sense::kMaximize : mip::Sense::kMinimize;
    std::unique_ptr<mip::MipSolver> solver = mip::makeMipSolver(opt.mip_backend);
    mip::Model model = neuronModel(enc, net, domain, bounds, k, j, opt);
    const encode::AffineExpr& obj = enc.pre[static_cast<size_t>(k)][static_cast<size_t>(j)];
    int solves = 0;
    long nodes = 0;
    int failed = 0;
    bool stable = false;
    for (const mip::Sense sense : {first, second}) {
      const double left = limit - timer.seconds();
      if (left < 0.05 || callbacks.stopRequested() || stable) break;
      const SideResult s = solveSide(*solver, model, obj, sense, /*try_stable=*/sense == first,
                                     std::min(per_solve.load(), left), opt, callbacks);
      solves += s.solved;
      nodes += s.nodes;
      if (s.empty) empty = true;
      if (!std::isfinite(s.value)) {
        ++failed;
        if (++failed_in_row >= opt.give_up_after) {
          std::lock_guard<std::mutex> lock(mu);
          if (per_solve.load() < max_per_solve) {
            per_solve = std::min(2.0 * per_solve.load(), max_per_solve);
            failed_in_row = 0;
          } else {
            gave_up = true;
          }
        }
        continue;
      }
      failed_in_row = 0;
      double& lo_i = lo[static_cast<size_t>(i)];
      double& hi_i = hi[static_cast<size_t>(i)];
      if (sense == mip::Sense::kMinimize) {
        lo_i = std::max(lo_i, s.value);
        stable = lo_i >= 0.0;
      } else {
        hi_i = std::min(hi_i, s.value);
        stable = hi_i <= 0.0;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    stats.solves += solves;
    stats.nodes += nodes;
    stats.failed += failed;
    stats.neurons += solves > 0;
    ProgressEvent ev;
    ev.phase = fmt::format("refine layer {}", k + 1);
    ev.elapsed_s = timer.seconds();
    ev.done = ++done;
    ev.total = static_cast<long>(neurons.size());
    callbacks.progress(ev);
  });
  stats.gave_up = gave_up.load();
  stats.per_solve_s = per_solve.load();
  if (empty) {
    stats.empty = true;
    stats.wall_s = timer.seconds();
    return stats;
  }
  LayerBounds cand = before;
  for (size_t i = 0; i < neurons.size(); ++i) {
    const int j = neurons[i];
    cand.lo[j] = std::max(cand.lo[j], lo[i]);
    cand.hi[j] = std::min(cand.hi[j], hi[i]);
  }
  b = intersectLayer(cand, before);
  for (int j : neurons) {
    const bool was_unstable = before.lo[j] < 0.0 && before.hi[j] > 0.0;
    if (!was_unstable) continue;
    stats.stabilized += !(b.lo[j] < 0.0 && b.hi[j] > 0.0);
    stats.tightened += b.lo[j] > before.lo[j] || b.hi[j] < before.hi[j];
  }
  stats.wall_s = timer.seconds();
  return stats;
}

}  // namespace nnmip::bounds
