#include "bounds/solver_bounds.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

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

// Runs work(begin, end) over fixed chunks of [0, n) with up to `threads` workers.
template <typename Work>
void runChunks(int n, int chunk_size, int threads, Work&& work) {
  const int chunk = std::max(1, chunk_size);
  const int num_chunks = (n + chunk - 1) / chunk;
  const int workers = std::max(1, std::min(threads, num_chunks));
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto loop = [&]() {
    try {
      for (int c = next++; c < num_chunks; c = next++) {
        work(c * chunk, std::min(n, (c + 1) * chunk));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = num_chunks;
    }
  };
  if (workers == 1) {
    loop();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(workers));
    for (int t = 0; t < workers; ++t) pool.emplace_back(loop);
    for (auto& th : pool) th.join();
  }
  if (error) std::rethrow_exception(error);
}

// The model the bound solves of layer k run on: the big-M network of layers [0, k) in a compact
// form, and per neuron of layer k its pre-activation as an objective (terms + constant).
//
// Compact form. Stably active and linear neurons get no column: their output is kept as an
// affine expression of the model's columns (the inputs and the outputs of unstable neurons),
// and stably inactive ones are 0; each such neuron keeps its range L <= a <= U as one row
// (`range_rows`), so the feasible set is the projection of the full encoding's. An unstable
// neuron gets its output h in [0, U] and
//   LP (relax):  h >= a,  h <= U (a - L) / (U - L)                (the triangle)
//   MILP:        h >= a,  h <= U z,  h - a <= -L (1 - z),  z binary  (big-M, hbar = h - a)
// The triangle is exactly the projection of the big-M LP relaxation (z in [0,1]) onto (a, h),
// so LP optima are the same as on the thesis's model; the compact form only removes the
// equality rows and columns that simplex would otherwise carry (a 3-5x speed-up measured on
// mnist-net_256x2). Layer k itself adds nothing: each solve only changes the objective.
struct LayerModel {
  mip::Model model;
  std::vector<mip::Var> inputs;
  struct Unstable {
    int layer, index;
    mip::Var h, z;
  };
  std::vector<Unstable> unstable;
  std::vector<std::vector<mip::Term>> objectives;
  std::vector<double> constants;
};

using Mat = Eigen::MatrixXd;

std::vector<mip::Term> toTerms(const Eigen::Ref<const Eigen::RowVectorXd>& coef) {
  std::vector<mip::Term> t;
  for (Eigen::Index i = 0; i < coef.size(); ++i) {
    if (coef[i] != 0.0) t.push_back({mip::Var{static_cast<int32_t>(i)}, coef[i]});
  }
  return t;
}

LayerModel buildLayerModel(const nn::Network& net, const NetworkBounds& best, int k, bool relax,
                           bool range_rows) {
  LayerModel lm;
  const int n_in = net.inputSize();
  for (int i = 0; i < n_in; ++i) {
    lm.inputs.push_back(lm.model.addContinuous(best.input.lo[i], best.input.hi[i],
                                               fmt::format("x{}", i)));
  }
  // Output of the previous layer as E v + e over the columns v (column ids are 0..numVars-1;
  // E grows by one column per unstable neuron).
  Mat e_mat = Mat::Identity(n_in, n_in);
  Vec e_const = Vec::Zero(n_in);
  for (int l = 0; l < k; ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    const LayerBounds& b = best.layers[static_cast<size_t>(l)];
    // n_l x numVars; E is the identity on layer 0 (skip the 784^2 product there).
    const Mat pre = l == 0 ? Mat(layer.weight) : Mat(layer.weight * e_mat);
    const Vec pre_c = l == 0 ? Vec(layer.bias) : Vec(layer.weight * e_const + layer.bias);
    const int n = layer.outputSize();
    std::vector<int> new_cols;  // neuron index of each new column, in order
    Mat post(n, pre.cols());
    Vec post_c(n);
    const bool relu = encode::isReluLayer(layer);
    for (int j = 0; j < n; ++j) {
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      const std::vector<mip::Term> a_terms = toTerms(pre.row(j));
      const double a_c = pre_c[j];
      if (relu && lo < 0.0 && hi > 0.0) {
        LayerModel::Unstable u{l, j, {}, {}};
        u.h = lm.model.addContinuous(0.0, hi, fmt::format("L{}N{}_post", l + 1, j));
        std::vector<mip::Term> t;
        // h - a >= 0  <=>  h - sum >= a_c
        t.push_back({u.h, 1.0});
        for (const auto& term : a_terms) t.push_back({term.var, -term.coef});
        lm.model.addGe(t, a_c, fmt::format("L{}N{}_ge", l + 1, j));
        if (relax) {
          // h <= s (a - lo), s = hi / (hi - lo):  h - s sum <= s (a_c - lo)
          const double slope = hi / (hi - lo);
          t.assign(1, {u.h, 1.0});
          for (const auto& term : a_terms) t.push_back({term.var, -slope * term.coef});
          lm.model.addLe(t, slope * (a_c - lo), fmt::format("L{}N{}_tri", l + 1, j));
        } else {
          u.z = lm.model.addBinary(fmt::format("L{}N{}_on", l + 1, j));
          lm.model.addLe({{u.h, 1.0}, {u.z, -hi}}, 0.0, fmt::format("L{}N{}_on", l + 1, j));
          // h - a - lo z <= -lo  <=>  h - sum - lo z <= a_c - lo
          t.assign(1, {u.h, 1.0});
          for (const auto& term : a_terms) t.push_back({term.var, -term.coef});
          t.push_back({u.z, -lo});
          lm.model.addLe(t, a_c - lo, fmt::format("L{}N{}_off", l + 1, j));
        }
        lm.unstable.push_back(u);
        new_cols.push_back(j);
        post.row(j).setZero();
        post_c[j] = 0.0;
      } else {
        const bool inactive = relu && hi <= 0.0;
        if (range_rows && !a_terms.empty()) {
          lm.model.addRow(lo - a_c, inactive ? hi - a_c : hi - a_c, a_terms,
                          fmt::format("L{}N{}_range", l + 1, j));
        }
        if (inactive) {
          post.row(j).setZero();
          post_c[j] = 0.0;
        } else {
          post.row(j) = pre.row(j);
          post_c[j] = a_c;
        }
      }
    }
    // Widen E by the new columns (added in order, after every existing column).
    const Eigen::Index old_cols = post.cols();
    e_mat = Mat::Zero(n, lm.model.numVars());
    e_mat.leftCols(old_cols) = post;
    for (size_t c = 0; c < new_cols.size(); ++c) {
      const LayerModel::Unstable& u = lm.unstable[lm.unstable.size() - new_cols.size() + c];
      e_mat(new_cols[c], u.h.id) = 1.0;
    }
    e_const = post_c;
  }
  const nn::DenseLayer& layer = net.layer(k);
  const Mat obj = layer.weight * e_mat;
  const Vec obj_c = layer.weight * e_const + layer.bias;
  for (int j = 0; j < layer.outputSize(); ++j) {
    lm.objectives.push_back(toTerms(obj.row(j)));
    lm.constants.push_back(obj_c[j]);
  }
  return lm;
}

// A feasible point of the MILP model: the forward pass at x.
std::vector<double> startPoint(const nn::Network& net, const LayerModel& lm, const Vec& x) {
  std::vector<double> p(static_cast<size_t>(lm.model.numVars()), 0.0);
  for (size_t i = 0; i < lm.inputs.size(); ++i) p[static_cast<size_t>(lm.inputs[i].id)] = x[i];
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  for (const auto& u : lm.unstable) {
    const double a = t.pre[static_cast<size_t>(u.layer)][u.index];
    p[static_cast<size_t>(u.h.id)] = std::max(a, 0.0);
    if (u.z.valid()) p[static_cast<size_t>(u.z.id)] = a > 0.0 ? 1.0 : 0.0;
  }
  return p;
}

// Per-neuron solver values of one pass (NaN = not proven).
struct PassValues {
  std::vector<double> lo;
  std::vector<double> hi;
  explicit PassValues(int n)
      : lo(static_cast<size_t>(n), std::nan("")), hi(static_cast<size_t>(n), std::nan("")) {}
};

void applyValues(LayerBounds& b, const PassValues& v, double safety) {
  LayerBounds cand = b;
  for (int j = 0; j < b.size(); ++j) {
    if (std::isfinite(v.lo[static_cast<size_t>(j)])) {
      cand.lo[j] = std::max(b.lo[j], v.lo[static_cast<size_t>(j)] - safety);
    }
    if (std::isfinite(v.hi[static_cast<size_t>(j)])) {
      cand.hi[j] = std::min(b.hi[j], v.hi[static_cast<size_t>(j)] + safety);
    }
  }
  b = intersectLayer(cand, b);
}

bool isSolverError(const Error& e) { return e.kind() == ErrorKind::kSolver; }

void lpPass(const nn::Network& net, NetworkBounds& best, int k, const SolverBoundsOptions& opt,
            PassState& state) {
  const LayerModel lm = buildLayerModel(net, best, k, /*relax=*/true, opt.range_rows);
  const int n = static_cast<int>(lm.objectives.size());
  PassValues values(n);
  runChunks(n, opt.chunk_size, opt.threads, [&](int begin, int end) {
    if (state.shouldStop()) return;
    std::unique_ptr<mip::LpSession> session = mip::makeLpSession(lm.model, opt.lp_backend);
    for (int j = begin; j < end; ++j) {
      for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
        if (state.shouldStop()) break;
        session->setObjective(sense, lm.objectives[static_cast<size_t>(j)],
                              lm.constants[static_cast<size_t>(j)]);
        mip::LpParams params;
        if (state.deadline->finite()) params.time_limit_s = std::max(0.0, state.deadline->remaining());
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
        if (r.optimal() && r.objective && std::isfinite(*r.objective)) {
          (sense == mip::Sense::kMinimize ? values.lo : values.hi)[static_cast<size_t>(j)] =
              *r.objective;
        } else {
          ++state.failed;
        }
      }
    }
    state.iterations += session->totalIterations();
  });
  applyValues(best.layers[static_cast<size_t>(k)], values, opt.safety);
}

void milpPass(const nn::Network& net, NetworkBounds& best, int k, const SolverBoundsOptions& opt,
              double per_solve_s, PassState& state) {
  const LayerModel lm = buildLayerModel(net, best, k, /*relax=*/false, opt.range_rows);
  const int n = static_cast<int>(lm.objectives.size());
  std::vector<double> start;
  if (opt.mip_start) start = startPoint(net, lm, best.input.center());
  PassValues values(n);
  runChunks(n, opt.chunk_size, opt.threads, [&](int begin, int end) {
    if (state.shouldStop()) return;
    std::unique_ptr<mip::MipSolver> solver = mip::makeMipSolver(opt.mip_backend);
    mip::Model model = lm.model;
    for (int j = begin; j < end; ++j) {
      for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
        if (state.shouldStop()) break;
        model.setObjective(sense, lm.objectives[static_cast<size_t>(j)],
                           lm.constants[static_cast<size_t>(j)]);
        mip::MipParams params;
        params.threads = 1;
        if (state.deadline->finite()) {
          params.time_limit_s = std::max(0.0, std::min(per_solve_s, state.deadline->remaining()));
        }
        params.backend_options = opt.mip_backend_options;
        if (opt.mip_backend == "cbc" && !params.backend_options.count("cutoff_increment")) {
          params.backend_options["cutoff_increment"] = "1e-9";
        }
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
        double v = std::nan("");
        switch (r.termination) {
          case mip::Termination::kOptimal:
            v = std::isfinite(r.best_bound) ? r.best_bound : r.objective.value_or(v);
            break;
          case mip::Termination::kLimitFeasible:
          case mip::Termination::kLimitNoSolution:
            v = r.best_bound;  // the dual bound, never the incumbent
            break;
          default:
            break;
        }
        if (std::isfinite(v)) {
          (sense == mip::Sense::kMinimize ? values.lo : values.hi)[static_cast<size_t>(j)] = v;
        } else {
          ++state.failed;
        }
      }
    }
  });
  applyValues(best.layers[static_cast<size_t>(k)], values, opt.safety);
}

BoundsResult run(const nn::Network& net, const NetworkBounds& prior,
                 const SolverBoundsOptions& opt, const Callbacks& callbacks, bool milp) {
  encode::checkBoundsFor(net, prior);
  if (opt.threads < 1) fail(ErrorKind::kInvalidInput, "bounds: threads must be >= 1");
  if (opt.time_limit_s && !(*opt.time_limit_s >= 0.0)) {
    fail(ErrorKind::kInvalidInput, "bounds: time limit must be >= 0");
  }
  const Timer total;
  BoundsResult out;
  out.bounds = prior;
  out.bounds.method = milp ? "milp" : "lp";
  NetworkBounds& best = out.bounds;
  out.stats.resize(static_cast<size_t>(net.numLayers()));

  // Layer 0 is an affine map of the box: interval arithmetic is exact there.
  best.layers[0] = intersectLayer(
      best.layers[0], propagateInterval(net.layer(0), best.input.lo, best.input.hi));

  const int num_layers = net.numLayers();
  for (int k = 0; k < num_layers; ++k) {
    LayerStats& s = out.stats[static_cast<size_t>(k)];
    s.layer = k;
    const Timer layer_timer;
    if (k > 0) {
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
      lpPass(net, best, k, opt, lp_state);
      s.lps = lp_state.solves;
      s.failed = lp_state.failed;
      s.lp_iterations = lp_state.iterations;
      s.lp_retries = lp_state.retries;
      if (milp) {
        PassState mip_state;
        mip_state.callbacks = &callbacks;
        mip_state.deadline = &deadline;
        const int n = net.layer(k).outputSize();
        double per_solve = kInf;
        if (std::isfinite(share)) {
          per_solve = std::max(opt.min_milp_time_s.value_or(0.0),
                               std::max(0.0, deadline.remaining()) * opt.threads / (2.0 * n));
        }
        milpPass(net, best, k, opt, per_solve, mip_state);
        s.milps = mip_state.solves;
        s.failed += mip_state.failed;
        s.mip_nodes = mip_state.nodes;
      }
    }
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

BoundsResult computeLpBounds(const nn::Network& net, const NetworkBounds& prior,
                             const SolverBoundsOptions& options, const Callbacks& callbacks) {
  return run(net, prior, options, callbacks, /*milp=*/false);
}

BoundsResult computeMilpBounds(const nn::Network& net, const NetworkBounds& prior,
                               const SolverBoundsOptions& options, const Callbacks& callbacks) {
  return run(net, prior, options, callbacks, /*milp=*/true);
}

}  // namespace nnmip::bounds
