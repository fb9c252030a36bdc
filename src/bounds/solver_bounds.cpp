#include "bounds/solver_bounds.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

#include "bounds/partial_milp.hpp"
#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "encode/compact.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"

namespace nnmip::bounds {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Wall-clock deadline; infinite when no limit.
class Deadline {
 public:
  explicit Deadline(double seconds) : limit_(seconds) {}
  double remaining() const { return limit_ - timer_.seconds(); }
  bool passed() const { return remaining() <= 0.0; }
  bool finite() const { return std::isfinite(limit_); }

 private:
  Timer timer_;
  double limit_;
};

// Thread-safe view of the stop request and shared counters of one pass.
struct PassState {
  const Callbacks* callbacks = nullptr;
  const Deadline* deadline = nullptr;
  std::mutex mutex;
  std::atomic<long> solves{0};
  std::atomic<long> failed{0};
  std::atomic<long> iterations{0};
  std::atomic<long> nodes{0};
  std::atomic<long> retries{0};
  std::atomic<bool> stopped{false};
  std::atomic<bool> infeasible{false};  // a solve proved the domain empty

  bool shouldStop() {
    if (stopped.load()) return true;
    if (deadline->passed()) {
      stopped = true;
      return true;
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (callbacks->stopRequested()) stopped = true;
    return stopped.load();
  }
};

// The model the bound solves of layer k run on: encode::encodeCompact over the domain with
// the layers before k encoded (every layer when the domain has output rows, which constrain
// the whole network), and the pre-activations of layer k as objectives.
encode::CompactEncoding layerModel(const nn::Network& net, const encode::Domain& domain,
                                   const NetworkBounds& best, int k, bool relax,
                                   encode::StableForm stable_form) {
  encode::CompactOptions co;
  co.relax = relax;
  co.stable_form = stable_form;
  co.num_layers = domain.output_rows.empty() ? k : net.numLayers();
  return encode::encodeCompact(net, domain, best, co);
}

// Per-neuron solver values of one pass (NaN = not proven).
struct PassValues {
  std::vector<double> lo;
  std::vector<double> hi;
  explicit PassValues(int n)
      : lo(static_cast<size_t>(n), std::nan("")), hi(static_cast<size_t>(n), std::nan("")) {}
};

// Intersects the solver values into layer k's bounds. Returns false when a split neuron's value
// misses its clamped range: the layer's model does not carry the layer's own splits, so the
// split contradicts the rest of the domain and the domain is empty.
bool applyValues(const encode::Domain& domain, int k, LayerBounds& b, const PassValues& v) {
  LayerBounds cand = b;
  for (int j = 0; j < b.size(); ++j) {
    if (std::isfinite(v.lo[static_cast<size_t>(j)])) {
      cand.lo[j] = std::max(b.lo[j], v.lo[static_cast<size_t>(j)]);
    }
    if (std::isfinite(v.hi[static_cast<size_t>(j)])) {
      cand.hi[j] = std::min(b.hi[j], v.hi[static_cast<size_t>(j)]);
    }
    if (cand.lo[j] > cand.hi[j] && domain.phaseOf({k, j})) return false;
  }
  b = intersectLayer(cand, b);
  return true;
}

bool isSolverError(const Error& e) { return e.kind() == ErrorKind::kSolver; }

// The safe bound of an LP solve (NaN unless optimal with duals).
double safeValue(const mip::Model& model, mip::Sense sense, const encode::AffineExpr& obj,
                 const mip::LpResult& r) {
  if (!r.optimal() || r.row_duals.size() != static_cast<size_t>(model.numRows())) {
    return std::nan("");
  }
  const mip::Objective objective{sense, obj.terms, obj.constant};
  return mip::safeObjectiveBound(model, objective, r.row_duals);
}

// The objective of neuron j of layer k.
const encode::AffineExpr& objectiveOf(const encode::CompactEncoding& enc, int k, int j) {
  return enc.pre[static_cast<size_t>(k)][static_cast<size_t>(j)];
}

void lpPass(const nn::Network& net, const encode::Domain& domain, NetworkBounds& best, int k,
            const SolverBoundsOptions& opt, PassState& state) {
  const encode::CompactEncoding enc =
      layerModel(net, domain, best, k, /*relax=*/true, opt.stable_form);
  if (enc.empty) {
    state.infeasible = true;
    return;
  }
  const int n = net.layer(k).outputSize();
  PassValues values(n);
  parallelForRanges(n, opt.chunk_size, opt.threads, [&](int begin, int end) {
    if (state.shouldStop()) return;
    std::unique_ptr<mip::LpSession> session = mip::makeLpSession(enc.model, opt.lp_backend);
    for (int j = begin; j < end; ++j) {
      for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
        if (state.shouldStop()) break;
        const encode::AffineExpr& obj = objectiveOf(enc, k, j);
        session->setObjective(sense, obj.terms, obj.constant);
        mip::LpParams params;
        if (state.deadline->finite())
          params.time_limit_s = std::max(0.0, state.deadline->remaining());
        mip::LpResult r;
        // A warm solve can end unproven (e.g. CLP "optimal for the scaled problem only"); the
        // session then rebuilds, so one retry is a cold solve of the same LP.
        for (int attempt = 0; attempt < 2; ++attempt) {
          try {
            r = session->solve(params);
          } catch (const Error& e) {
            if (!isSolverError(e)) throw;
            r.termination = mip::Termination::kError;
          }
          ++state.solves;
          if (r.termination != mip::Termination::kError) break;
          ++state.retries;
        }
        // The value taken is the safe bound from the solve's duals (mip/safe_bound.hpp): it holds
        // whatever CLP's tolerances were. An infeasible LP empties the domain only with a
        // Farkas certificate that checks out.
        const double safe = safeValue(enc.model, sense, obj, r);
        if (std::isfinite(safe)) {
          (sense == mip::Sense::kMinimize ? values.lo : values.hi)[static_cast<size_t>(j)] = safe;
        } else {
          if (r.termination == mip::Termination::kInfeasible && !r.farkas_ray.empty() &&
              mip::farkasCertifiesInfeasible(enc.model, r.farkas_ray)) {
            state.infeasible = true;
          }
          ++state.failed;
        }
      }
    }
    state.iterations += session->totalIterations();
  });
  if (!applyValues(domain, k, best.layers[static_cast<size_t>(k)], values)) {
    state.infeasible = true;
  }
}

void milpPass(const nn::Network& net, const encode::Domain& domain, NetworkBounds& best, int k,
              const SolverBoundsOptions& opt, double per_solve_s, PassState& state) {
  const encode::CompactEncoding enc =
      layerModel(net, domain, best, k, /*relax=*/false, opt.stable_form);
  if (enc.empty) {
    state.infeasible = true;
    return;
  }
  const int n = net.layer(k).outputSize();
  std::vector<double> start;
  // The box centre is a start only when it is a point of the domain.
  if (opt.mip_start && domain.satisfiedBy(net, domain.box.center())) {
    start = enc.pointFromInput(net, domain.box.center());
  }
  PassValues values(n);
  parallelForRanges(n, opt.chunk_size, opt.threads, [&](int begin, int end) {
    if (state.shouldStop()) return;
    std::unique_ptr<mip::MipSolver> solver = mip::makeMipSolver(opt.mip_backend);
    mip::Model model = enc.model;
    for (int j = begin; j < end; ++j) {
      if (opt.max_binaries > 0) {
        model = enc.model;
        keepImportantBinaries(model, enc, net, domain, best, k, j, opt.max_binaries);
      }
      for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
        if (state.shouldStop()) break;
        const encode::AffineExpr& obj = objectiveOf(enc, k, j);
        model.setObjective(sense, obj.terms, obj.constant);
        mip::MipParams params;
        params.threads = 1;
        if (state.deadline->finite()) {
          params.time_limit_s = std::max(0.0, std::min(per_solve_s, state.deadline->remaining()));
        }
        params.backend_options = opt.mip_backend_options;
        params.exact_dual_bound = true;
        if (solver->capabilities().mip_start) params.start = start;
        mip::MipResult r;
        try {
          r = solver->solve(model, params);
        } catch (const Error& e) {
          if (!isSolverError(e)) throw;
          r.termination = mip::Termination::kError;
        }
        ++state.solves;
        state.nodes += r.stats.nodes;
        const double v = r.provenBound();  // the dual bound, never the incumbent
        if (r.termination == mip::Termination::kInfeasible) state.infeasible = true;
        if (std::isfinite(v)) {
          // MILP dual bounds cannot be certified cheaply: widen them by `safety`.
          const double widen = opt.safety;
          (sense == mip::Sense::kMinimize ? values.lo : values.hi)[static_cast<size_t>(j)] =
              sense == mip::Sense::kMinimize ? v - widen : v + widen;
        } else {
          ++state.failed;
        }
      }
    }
  });
  if (!applyValues(domain, k, best.layers[static_cast<size_t>(k)], values)) {
    state.infeasible = true;
  }
}

// Clamps layer k's split neurons; an emptied range marks the domain empty.
void clampSplits(const encode::Domain& domain, NetworkBounds& best, int k) {
  if (!encode::applySplits(domain, k, best.layers[static_cast<size_t>(k)])) best.empty = true;
}

BoundsResult run(const nn::Network& net, const encode::Domain& domain, const NetworkBounds& prior,
                 const SolverBoundsOptions& opt, const Callbacks& callbacks, bool milp) {
  encode::checkBoundsFor(net, prior);
  domain.validate(net, "bounds domain");
  if (opt.threads < 1) fail(ErrorKind::kInvalidInput, "bounds: threads must be >= 1");
  if (opt.max_binaries < 0) fail(ErrorKind::kInvalidInput, "bounds: max_binaries must be >= 0");
  if (opt.time_limit_s && !(*opt.time_limit_s >= 0.0)) {
    fail(ErrorKind::kInvalidInput, "bounds: time limit must be >= 0");
  }
  const Timer total;
  BoundsResult out;
  out.bounds = prior;
  out.bounds.input = domain.box;
  out.bounds.method = milp ? "milp" : "lp";
  NetworkBounds& best = out.bounds;
  out.stats.resize(static_cast<size_t>(net.numLayers()));

  // Layer 0 is an affine map of the box: interval arithmetic is exact there, unless side rows
  // cut the box (then layer 0 is solved like the others).
  best.layers[0] =
      intersectLayer(best.layers[0], propagateInterval(net.layer(0), domain.box.lo, domain.box.hi));
  const int first_solved = domain.hasSideRows() ? 0 : 1;

  const int num_layers = net.numLayers();
  for (int k = 0; k < num_layers && !best.empty; ++k) {
    LayerStats& s = out.stats[static_cast<size_t>(k)];
    s.layer = k;
    const Timer layer_timer;
    if (k >= first_solved) {
      double share = kInf;
      if (opt.time_limit_s) {
        double weight_sum = 0.0;
        for (int i = k; i < num_layers; ++i) weight_sum += std::pow(opt.depth_growth, i);
        const double remaining = std::max(0.0, *opt.time_limit_s - total.seconds());
        share = remaining * std::pow(opt.depth_growth, k) / weight_sum;
      }
      const Deadline deadline(share);
      PassState lp_state;
      lp_state.callbacks = &callbacks;
      lp_state.deadline = &deadline;
      lpPass(net, domain, best, k, opt, lp_state);
      s.lps = lp_state.solves;
      s.failed = lp_state.failed;
      s.lp_iterations = lp_state.iterations;
      s.lp_retries = lp_state.retries;
      if (lp_state.infeasible) best.empty = true;
      if (milp && !best.empty) {
        PassState mip_state;
        mip_state.callbacks = &callbacks;
        mip_state.deadline = &deadline;
        const int n = net.layer(k).outputSize();
        double per_solve = kInf;
        if (std::isfinite(share)) {
          per_solve = std::max(opt.min_milp_time_s.value_or(0.0),
                               std::max(0.0, deadline.remaining()) * opt.threads / (2.0 * n));
        }
        milpPass(net, domain, best, k, opt, per_solve, mip_state);
        s.milps = mip_state.solves;
        s.failed += mip_state.failed;
        s.mip_nodes = mip_state.nodes;
        if (mip_state.infeasible) best.empty = true;
      }
    }
    clampSplits(domain, best, k);
    s.time_s = layer_timer.seconds();
    fillShapeStats(net.layer(k), best.layers[static_cast<size_t>(k)], s);
    ProgressEvent ev;
    ev.phase = fmt::format("{} layer {}", out.bounds.method, k + 1);
    ev.elapsed_s = total.seconds();
    ev.done = k + 1;
    ev.total = num_layers;
    callbacks.progress(ev);
  }
  out.wall_s = total.seconds();
  return out;
}

}  // namespace

BoundsResult computeLpBounds(const nn::Network& net, const encode::Domain& domain,
                             const NetworkBounds& prior, const SolverBoundsOptions& options,
                             const Callbacks& callbacks) {
  return run(net, domain, prior, options, callbacks, /*milp=*/false);
}

BoundsResult computeMilpBounds(const nn::Network& net, const encode::Domain& domain,
                               const NetworkBounds& prior, const SolverBoundsOptions& options,
                               const Callbacks& callbacks) {
  return run(net, domain, prior, options, callbacks, /*milp=*/true);
}

BoundsResult computeLpBounds(const nn::Network& net, const NetworkBounds& prior,
                             const SolverBoundsOptions& options, const Callbacks& callbacks) {
  return computeLpBounds(net, encode::Domain(prior.input), prior, options, callbacks);
}

BoundsResult computeMilpBounds(const nn::Network& net, const NetworkBounds& prior,
                               const SolverBoundsOptions& options, const Callbacks& callbacks) {
  return computeMilpBounds(net, encode::Domain(prior.input), prior, options, callbacks);
}

}  // namespace nnmip::bounds
