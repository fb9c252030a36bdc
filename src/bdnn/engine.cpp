#include "bdnn/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "mip/solver.hpp"

namespace nnmip::bdnn {

const char* engineStartName(EngineStart start) {
  return start == EngineStart::kConstant ? "constant" : "heuristic";
}

namespace {

using mip::Term;
using mip::Var;

// A model built with its MIP start: every column gets its start value (clamped into its bounds
// for continuous columns) as it is added.
struct StartedModel {
  mip::Model model;
  std::vector<double> start;
  Var add(double lo, double hi, double value, bool binary) {
    const Var v = binary ? model.addBinary() : model.addContinuous(lo, hi);
    start.push_back(binary ? value : std::clamp(value, lo, hi));
    return v;
  }
};

// The LNS and the heuristic handle this shape (the seed's model); the rest goes to the MILP.
bool lnsSupported(const BdnnOptions& o) {
  return o.hidden.size() == 1 && o.activation.units() == 1 &&
         o.weights == WeightDomain::kContinuous && o.output == OutputMode::kStep &&
         o.robust_radius == 0.0 && o.l1_penalty == 0.0 && o.max_nonzero_weights < 0 &&
         o.margin > 0.0;
}

int marginErrors(const BdnnParams& p, const data::Dataset& train, const BdnnOptions& o) {
  return evaluate(toNetwork(p, o), train, o.margin).margin_errors;
}

// Training points the forward pass counts as margin errors (misclassified, or a unit or the
// output in its band), one hidden layer and a step output.
std::vector<int> marginErrorPoints(const BdnnParams& p, const data::Dataset& train,
                                   const BdnnOptions& o) {
  const Mat a1 = train.X * p.weights[0].transpose();
  const double v0 = o.activation.values[0], v1 = o.activation.values[1], half = o.margin / 2.0;
  const double th2 = p.lambda[1](0);
  std::vector<int> out;
  for (int i = 0; i < train.size(); ++i) {
    double a2 = 0.0;
    bool band = false;
    for (int j = 0; j < o.hidden[0]; ++j) {
      const double a = a1(i, j) - p.lambda[0](j);
      band = band || std::abs(a) < half;
      a2 += p.weights[1](0, j) * (a >= 0.0 ? v1 : v0);
    }
    band = band || std::abs(a2 - th2) < half;
    if (band || (a2 >= th2) != (train.y[static_cast<size_t>(i)] == 1)) out.push_back(i);
  }
  return out;
}

// Boxes and big-M of the full MILP (exact_trainer.cpp), for one hidden layer and a step output.
struct Boxes {
  double wb = 1.0;
  std::vector<double> a1;  // |a| bound of the first layer per point
  double lambda1 = 0.0;    // |lambda_1| bound (0 for kZero)
  double a2 = 0.0;         // |a| bound of the output
  double lambda2 = 0.0;
};

Boxes boxes(const data::Dataset& train, const BdnnOptions& o) {
  Boxes b;
  b.wb = o.weight_bound;
  double max_a1 = 0.0;
  for (int i = 0; i < train.size(); ++i) {
    b.a1.push_back(b.wb * train.X.row(i).cwiseAbs().sum());
    max_a1 = std::max(max_a1, b.a1.back());
  }
  b.a2 = b.wb * o.hidden[0] * o.activation.maxAbsValue();
  if (o.threshold != ThresholdMode::kZero) {
    b.lambda1 = max_a1 + 1.0;  // offsets are {0} for the two-level step
    b.lambda2 = b.a2 + 1.0;
  }
  return b;
}

// Callbacks whose stop request also fires at the engine's deadline.
Callbacks withDeadline(const Callbacks& cb, const Timer& timer, double limit_s) {
  Callbacks out = cb;
  out.should_stop = [&cb, &timer, limit_s] {
    return cb.stopRequested() || timer.seconds() >= limit_s;
  };
  return out;
}

// Units to free: at random, or weighted by how many misclassified points flipping them helps.
std::vector<int> pickUnits(const data::Dataset& train, const BdnnOptions& o, const BdnnParams& p,
                           int k, bool guided, Rng& rng) {
  const int d1 = o.hidden[0];
  k = std::min(k, d1);
  std::vector<double> weight(static_cast<size_t>(d1), 1.0);
  if (guided) {
    const Mat a1 = train.X * p.weights[0].transpose();
    const double v0 = o.activation.values[0], v1 = o.activation.values[1];
    const Vec w2 = p.weights[1].row(0).transpose();
    const double th2 = p.lambda[1](0);
    for (int i = 0; i < train.size(); ++i) {
      double a2 = 0.0;
      std::vector<double> h(static_cast<size_t>(d1));
      for (int j = 0; j < d1; ++j) {
        h[static_cast<size_t>(j)] = a1(i, j) >= p.lambda[0](j) ? v1 : v0;
        a2 += w2(j) * h[static_cast<size_t>(j)];
      }
      const bool pred = a2 >= th2;
      const bool y = train.y[static_cast<size_t>(i)] == 1;
      const bool band = std::abs(a2 - th2) < o.margin / 2.0;
      if (pred == y && !band) continue;
      for (int j = 0; j < d1; ++j) {
        // Flipping unit j changes a2 by w2_j * (other level - current level).
        const double other = h[static_cast<size_t>(j)] == v1 ? v0 : v1;
        const double change = w2(j) * (other - h[static_cast<size_t>(j)]);
        if ((y && change > 0.0) || (!y && change < 0.0)) weight[static_cast<size_t>(j)] += 1.0;
      }
    }
  }
  std::vector<int> chosen;
  for (int t = 0; t < k; ++t) {
    double total = 0.0;
    for (double w : weight) total += w;
    double r = rng.uniform(0.0, total);
    int pick = d1 - 1;
    for (int j = 0; j < d1; ++j) {
      r -= weight[static_cast<size_t>(j)];
      if (r <= 0.0 && weight[static_cast<size_t>(j)] > 0.0) {
        pick = j;
        break;
      }
    }
    while (weight[static_cast<size_t>(pick)] <= 0.0) pick = (pick + 1) % d1;
    chosen.push_back(pick);
    weight[static_cast<size_t>(pick)] = 0.0;
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

// One MILP of a repair or LNS round: at most `nodes` CBC nodes and `iterations` LP iterations,
// which bound the work the same way on a loaded and an idle machine; the wall clock (`time_left_s`,
// the end of the engine's stage, and the deadline through the callbacks) only cuts a round when
// the stage is over.
mip::MipResult roundSolve(const mip::Model& model, const std::vector<double>& start, long nodes,
                          long iterations, double time_left_s, const EngineOptions& e,
                          const std::map<std::string, std::string>& backend_options,
                          const Callbacks& cb) {
  mip::MipParams params;
  params.node_limit = std::max(0L, nodes);
  params.iteration_limit = std::max(0L, iterations);
  params.time_limit_s = std::max(0.2, time_left_s);
  params.threads = e.threads;
  params.backend_options = backend_options;
  params.start = start;
  return mip::makeMipSolver(e.backend)->solve(model, params, cb);
}

bool stoppedByClock(const mip::MipResult& r) {
  return r.limit == mip::Limit::kTime || r.limit == mip::Limit::kInterrupted;
}

// The full MILP with symmetry and ray rows, started from `start`, under what is left.
ExactResult fullMilp(const data::Dataset& train, const BdnnOptions& options,
                     const BdnnParams& start, const EngineOptions& e, double time_left,
                     const Callbacks& cb) {
  TrainingMilp m = buildTrainingMilp(train, options);
  BdnnParams s = start;
  if (e.symmetry == SymmetryRows::kFirstLayerFeature) {
    addSymmetryRows(m, e.symmetry_feature);
    s = sortUnits(start, e.symmetry_feature);
  }
  if (e.ray_rows) addRayRows(m, rayGroups(train, options));
  ExactOptions ex;
  // CBC overruns its own limit (see runIsolated), so it gets the time left minus a reserve, to
  // finish and hand back its incumbent before the engine's deadline ends its process.
  const double reserve = std::clamp(0.15 * time_left, 2.0, 90.0);
  ex.time_limit_s = std::max(1.0, time_left - reserve);
  ex.backend = e.backend;
  ex.threads = e.threads;
  ex.backend_options = e.backend_options;
  ex.start = s;
  return solveTrainingMilp(m, train, ex, cb);
}

// ---------------------------------------------------------------------------------------------
// The full MILP in a child process, killed at the deadline. CBC looks at its clock and at stop
// requests only between nodes and after its root LP and heuristics, and re-checks its incumbent
// by an LP when it stops; on the BCW MILPs these took 25-45 s each under load, so a limit handed
// to CBC is not a wall-clock guarantee. The child reports dual bounds as it goes (valid when
// reported) and writes its result to a file; when it is killed, the engine keeps the best bound
// it reported and the network it had before this stage.

void writeAll(int fd, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t w = ::write(fd, p, bytes);
    if (w <= 0) return;
    p += w;
    bytes -= static_cast<size_t>(w);
  }
}

bool readAll(int fd, void* data, size_t bytes) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    const ssize_t r = ::read(fd, p, bytes);
    if (r <= 0) return false;
    p += r;
    bytes -= static_cast<size_t>(r);
  }
  return true;
}

struct IsolatedMilp {
  bool finished = false;        // the child wrote its result before the deadline
  ExactResult result;           // when finished (network rebuilt and forward-checked here)
  double reported_bound = NAN;  // best dual bound the child reported (valid either way)
};

IsolatedMilp runIsolated(const data::Dataset& train, const BdnnOptions& options,
                         const BdnnParams& start, const EngineOptions& e, const Timer& timer,
                         double limit, const Callbacks& cb) {
  IsolatedMilp out;
  char path[] = "/tmp/nnmip_bdnn_milp_XXXXXX";
  const int file = ::mkstemp(path);
  int pipe_fd[2] = {-1, -1};
  if (file < 0 || ::pipe(pipe_fd) != 0)
    fail(ErrorKind::kInternal, "engine: cannot create a temp file or pipe");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail(ErrorKind::kInternal, "engine: fork failed");
  if (pid == 0) {
    // Child: solve, report bounds through the pipe, write the result, exit without cleanup.
    ::close(pipe_fd[0]);
    Callbacks child = cb;
    child.on_progress = [fd = pipe_fd[1]](const ProgressEvent& ev) {
      if (std::isfinite(ev.bound)) writeAll(fd, &ev.bound, sizeof(double));
    };
    int code = 0;
    try {
      const ExactResult r = fullMilp(train, options, start, e, limit - timer.seconds(), child);
      const double head[] = {r.has_solution ? 1.0 : 0.0,
                             static_cast<double>(r.termination),
                             static_cast<double>(r.limit),
                             r.objective,
                             r.best_bound,
                             static_cast<double>(r.nodes),
                             r.wall_s,
                             static_cast<double>(r.vars),
                             static_cast<double>(r.binaries),
                             static_cast<double>(r.rows),
                             static_cast<double>(r.milp_errors)};
      writeAll(file, head, sizeof(head));
      if (r.has_solution) {
        for (size_t k = 0; k < r.params.weights.size(); ++k) {
          writeAll(file, r.params.weights[k].data(),
                   sizeof(double) * static_cast<size_t>(r.params.weights[k].size()));
          writeAll(file, r.params.lambda[k].data(),
                   sizeof(double) * static_cast<size_t>(r.params.lambda[k].size()));
        }
      }
    } catch (...) {
      code = 1;
    }
    ::fsync(file);
    ::_exit(code);
  }
  ::close(pipe_fd[1]);
  ::fcntl(pipe_fd[0], F_SETFL, ::fcntl(pipe_fd[0], F_GETFL) | O_NONBLOCK);
  auto drain = [&] {
    double v = 0.0;
    while (::read(pipe_fd[0], &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v))) {
      if (!std::isfinite(out.reported_bound) || v > out.reported_bound) out.reported_bound = v;
    }
  };
  int status = 0;
  bool exited = false;
  while (true) {
    drain();
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (timer.seconds() >= limit || cb.stopRequested()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(20000);
  }
  drain();
  ::close(pipe_fd[0]);
  if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ::lseek(file, 0, SEEK_SET);
    double head[11];
    if (readAll(file, head, sizeof(head))) {
      ExactResult& r = out.result;
      r.has_solution = head[0] != 0.0;
      r.termination = static_cast<mip::Termination>(static_cast<int>(head[1]));
      r.limit = static_cast<mip::Limit>(static_cast<int>(head[2]));
      r.objective = head[3];
      r.best_bound = head[4];
      r.nodes = static_cast<long>(head[5]);
      r.wall_s = head[6];
      r.vars = static_cast<int>(head[7]);
      r.binaries = static_cast<int>(head[8]);
      r.rows = static_cast<int>(head[9]);
      r.milp_errors = static_cast<int>(head[10]);
      if (std::isfinite(r.objective) && std::isfinite(r.best_bound)) {
        r.gap = r.objective > 0.0 ? std::max(0.0, (r.objective - r.best_bound) / r.objective)
                                  : (r.best_bound >= r.objective - 1e-9 ? 0.0 : NAN);
      }
      bool ok = true;
      if (r.has_solution) {
        r.params = start;
        for (size_t k = 0; k < r.params.weights.size() && ok; ++k) {
          ok = readAll(file, r.params.weights[k].data(),
                       sizeof(double) * static_cast<size_t>(r.params.weights[k].size())) &&
               readAll(file, r.params.lambda[k].data(),
                       sizeof(double) * static_cast<size_t>(r.params.lambda[k].size()));
        }
        if (ok) {
          r.net = toNetwork(r.params, options);
          r.train_eval = evaluate(r.net, train, options.margin);
          r.forward_check_ok =
              r.train_eval.margin_errors == r.milp_errors && r.train_eval.band_points == 0;
        } else {
          r.has_solution = false;
        }
      }
      out.finished = ok;
    }
  }
  ::close(file);
  ::unlink(path);
  return out;
}

}  // namespace

RoundSolve solveNeighbourhood(const data::Dataset& train, const BdnnOptions& o,
                              const BdnnParams& inc, const std::vector<int>& freed,
                              double time_limit_s, const EngineOptions& e, bool keep_correct,
                              const Callbacks& callbacks) {
  NNMIP_CHECK(lnsSupported(o), "LNS needs one hidden layer, a two-level step and a step output");
  const int n = train.size(), d0 = train.features(), d1 = o.hidden[0];
  const double v0 = o.activation.values[0], v1 = o.activation.values[1], dv = v1 - v0;
  const double m = o.margin;
  const Boxes b = boxes(train, o);
  std::vector<char> is_free(static_cast<size_t>(d1), 0);
  for (int j : freed) is_free[static_cast<size_t>(j)] = 1;
  const Mat a1 = train.X * inc.weights[0].transpose();
  StartedModel built;
  mip::Model& model = built.model;
  // MILP thresholds lambda = theta + margin/2 (options.hpp).
  const double big_m2 = b.a2 + b.lambda2 + 1.0;
  std::map<int, std::vector<Var>> w1;
  std::map<int, Var> lam1;
  for (int j : freed) {
    for (int l = 0; l < d0; ++l)
      w1[j].push_back(built.add(-b.wb, b.wb, inc.weights[0](j, l), false));
    if (o.threshold == ThresholdMode::kNeuron) {
      lam1[j] = built.add(-b.lambda1, b.lambda1, inc.lambda[0](j) + m / 2.0, false);
    }
  }
  std::vector<Var> w2;
  for (int j = 0; j < d1; ++j) w2.push_back(built.add(-b.wb, b.wb, inc.weights[1](0, j), false));
  Var lam2;
  if (o.threshold != ThresholdMode::kZero)
    lam2 = built.add(-b.lambda2, b.lambda2, inc.lambda[1](0) + m / 2.0, false);
  // The shared lambda_1 of kLayer stays at the incumbent's (the fixed units depend on it).
  const double lam1_layer = o.threshold == ThresholdMode::kLayer
                                ? std::clamp(inc.lambda[0](0) + m / 2.0, -b.lambda1, b.lambda1)
                                : 0.0;
  // Points far from a freed unit's threshold keep that unit's value (a linear row instead of a
  // binary): only the nearest e.near_fraction of the points, and the misclassified ones, may flip.
  std::vector<char> wrong(static_cast<size_t>(n), 0);
  {
    for (int i = 0; i < n; ++i) {
      double a2 = 0.0;
      for (int j = 0; j < d1; ++j)
        a2 += inc.weights[1](0, j) * (a1(i, j) >= inc.lambda[0](j) ? v1 : v0);
      const bool on = a2 >= inc.lambda[1](0);
      wrong[static_cast<size_t>(i)] =
          on != (train.y[static_cast<size_t>(i)] == 1) || std::abs(a2 - inc.lambda[1](0)) < m / 2.0;
    }
  }
  std::map<int, double> radius;
  for (int j : freed) {
    std::vector<double> dist;
    for (int i = 0; i < n; ++i) dist.push_back(std::abs(a1(i, j) - inc.lambda[0](j)));
    std::sort(dist.begin(), dist.end());
    const double f = std::clamp(e.lns_near_fraction, 0.0, 1.0);
    const size_t k = std::min(dist.size() - 1, static_cast<size_t>(f * static_cast<double>(n)));
    radius[j] = f >= 1.0 ? std::numeric_limits<double>::infinity() : dist[k];
  }
  std::vector<Term> obj;
  double obj_const = 0.0;
  for (int i = 0; i < n; ++i) {
    const double big_m1 = b.a1[static_cast<size_t>(i)] + b.lambda1 + 1.0;
    std::vector<Term> out_pre;
    double a2 = 0.0;
    for (int j = 0; j < d1; ++j) {
      const bool on = a1(i, j) >= inc.lambda[0](j);
      const double h = on ? v1 : v0;
      a2 += inc.weights[1](0, j) * h;
      if (!is_free[static_cast<size_t>(j)]) {
        if (h != 0.0) out_pre.push_back({w2[static_cast<size_t>(j)], h});  // fixed unit
        continue;
      }
      // Free unit: a - lambda >= -M (1 - u),  a - lambda <= -m + M u.
      std::vector<Term> pre;
      for (int l = 0; l < d0; ++l) {
        if (train.X(i, l) != 0.0) pre.push_back({w1[j][static_cast<size_t>(l)], train.X(i, l)});
      }
      double rhs_shift = lam1_layer;
      if (o.threshold == ThresholdMode::kNeuron) pre.push_back({lam1[j], -1.0});
      const Var w = w2[static_cast<size_t>(j)];
      if (!wrong[static_cast<size_t>(i)] && std::abs(a1(i, j) - inc.lambda[0](j)) > radius[j]) {
        // Unit kept at its value on this point: one row, and h w2_j in the output.
        if (on) {
          model.addGe(pre, rhs_shift);  // a - lambda >= 0
        } else {
          model.addLe(pre, rhs_shift - m);  // a - lambda <= -m
        }
        if (h != 0.0) out_pre.push_back({w, h});
        continue;
      }
      const Var u = built.add(0.0, 1.0, on ? 1.0 : 0.0, true);
      std::vector<Term> act = pre, inact = pre;
      act.push_back({u, -big_m1});
      inact.push_back({u, -big_m1});
      model.addGe(act, rhs_shift - big_m1);
      model.addLe(inact, rhs_shift - m);
      // s = w2_j u by McCormick with w2_j in [-wb, wb].
      const Var s = built.add(-b.wb, b.wb, on ? inc.weights[1](0, j) : 0.0, false);
      model.addGe({{s, 1.0}, {u, b.wb}}, 0.0);
      model.addLe({{s, 1.0}, {u, -b.wb}}, 0.0);
      model.addGe({{s, 1.0}, {w, -1.0}, {u, -b.wb}}, -b.wb);
      model.addLe({{s, 1.0}, {w, -1.0}, {u, b.wb}}, b.wb);
      out_pre.push_back({s, dv});
      if (v0 != 0.0) out_pre.push_back({w, v0});
    }
    if (lam2.valid()) out_pre.push_back({lam2, -1.0});
    const bool out_on = a2 >= inc.lambda[1](0);
    const bool yi = train.y[static_cast<size_t>(i)] == 1;
    const bool safely_correct = out_on == yi && std::abs(a2 - inc.lambda[1](0)) >= m / 2.0;
    if (keep_correct && safely_correct) {
      // keep_correct: a point the incumbent classifies correctly stays correct (a smaller,
      // tighter neighbourhood: only the misclassified points' outputs are free).
      if (yi) {
        model.addGe(out_pre, 0.0);
      } else {
        model.addLe(out_pre, -m);
      }
      continue;
    }
    const Var uo = built.add(0.0, 1.0, out_on ? 1.0 : 0.0, true);
    std::vector<Term> act = out_pre, inact = out_pre;
    act.push_back({uo, -big_m2});
    inact.push_back({uo, -big_m2});
    model.addGe(act, -big_m2);
    model.addLe(inact, -m);
    if (yi) {
      obj.push_back({uo, -1.0});
      obj_const += 1.0;
    } else {
      obj.push_back({uo, 1.0});
    }
  }
  model.setObjective(mip::Sense::kMinimize, obj, obj_const);
  const mip::MipResult r = roundSolve(model, built.start, e.lns_round_nodes, e.lns_round_iterations,
                                      time_limit_s, e, e.backend_options, callbacks);
  RoundSolve out;
  out.nodes = r.stats.nodes;
  out.lp_iterations = r.stats.lp_iterations;
  out.solves = 1;
  out.time_limited = stoppedByClock(r);
  if (!r.hasSolution()) return out;
  auto val = [&](Var v) { return r.values[static_cast<size_t>(v.id)]; };
  BdnnParams p = inc;
  for (int j : freed) {
    for (int l = 0; l < d0; ++l) p.weights[0](j, l) = val(w1[j][static_cast<size_t>(l)]);
    if (o.threshold == ThresholdMode::kNeuron) p.lambda[0](j) = val(lam1[j]) - m / 2.0;
  }
  for (int j = 0; j < d1; ++j) p.weights[1](0, j) = val(w2[static_cast<size_t>(j)]);
  if (lam2.valid()) p.lambda[1](0) = val(lam2) - m / 2.0;
  out.params = std::move(p);
  return out;
}

std::vector<int> pickRepairUnits(const data::Dataset& train, const BdnnOptions& o,
                                 const BdnnParams& p, int target, int k, Rng& rng) {
  const int d1 = o.hidden[0];
  k = std::clamp(k, 1, d1);
  const double v0 = o.activation.values[0], v1 = o.activation.values[1];
  const Vec a1 = p.weights[0] * train.X.row(target).transpose();
  const bool y = train.y[static_cast<size_t>(target)] == 1;
  std::vector<std::pair<double, int>> score;
  for (int j = 0; j < d1; ++j) {
    const bool on = a1(j) >= p.lambda[0](j);
    // Change of the target's output when unit j flips, signed towards its label.
    const double change = p.weights[1](0, j) * (on ? v0 - v1 : v1 - v0);
    score.push_back({(y ? change : -change) + rng.uniform(0.0, 0.3 * o.weight_bound), j});
  }
  std::sort(score.begin(), score.end(), std::greater<>());
  std::vector<int> out;
  for (int t = 0; t < k; ++t) out.push_back(score[static_cast<size_t>(t)].second);
  std::sort(out.begin(), out.end());
  return out;
}

RoundSolve solveRepair(const data::Dataset& train, const BdnnOptions& o, const BdnnParams& inc,
                       const std::vector<int>& freed, double time_limit_s, const EngineOptions& e,
                       const Callbacks& callbacks) {
  NNMIP_CHECK(lnsSupported(o), "repair needs one hidden layer, a two-level step and a step output");
  NNMIP_CHECK(!freed.empty() && freed.size() <= 10, "repair frees 1..10 units ({} given)",
              freed.size());
  Timer timer;
  const int n = train.size(), d0 = train.features();
  const int k = static_cast<int>(freed.size()), combos = 1 << k;
  const double v0 = o.activation.values[0], dv = o.activation.values[1] - v0;
  const double m = o.margin, half = m / 2.0;
  const Boxes b = boxes(train, o);
  const Mat a1 = train.X * inc.weights[0].transpose();
  const Vec w2 = inc.weights[1].row(0).transpose();
  const double th2 = inc.lambda[1](0);
  const bool neuron = o.threshold == ThresholdMode::kNeuron;
  std::vector<char> is_free(static_cast<size_t>(o.hidden[0]), 0);
  for (int j : freed) is_free[static_cast<size_t>(j)] = 1;
  // Output correct outside the band: y = 1: a2 - th2 >= m/2; y = 0: a2 - th2 <= -m/2 (the rule
  // of step_net.hpp's evaluate). No tolerance: with the output layer fixed a2 is a sum of fixed
  // weights (all units off gives a2 = 0 exactly, on the boundary for zero thresholds). Hidden rows
  // get kTol * ||x_i||_1 beyond the band against solver round-off in the weights.
  constexpr double kTol = 1e-7;
  auto correct = [&](double a2, int i) {
    return train.y[static_cast<size_t>(i)] == 1 ? a2 - th2 >= half : a2 - th2 <= -half;
  };
  // Per point: the output without the freed units, their current values, and whether a fixed
  // unit is in its band (such a point is an error whatever the freed units do).
  std::vector<double> base(static_cast<size_t>(n));
  std::vector<int> current(static_cast<size_t>(n), 0);
  std::vector<char> fixed_band(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    double a2 = 0.0;
    for (int j = 0; j < o.hidden[0]; ++j) {
      const double a = a1(i, j) - inc.lambda[0](j);
      if (!is_free[static_cast<size_t>(j)]) {
        a2 += w2(j) * (a >= 0.0 ? v0 + dv : v0);
        if (std::abs(a) < half) fixed_band[static_cast<size_t>(i)] = 1;
      }
    }
    for (int s = 0; s < k; ++s) {
      const int j = freed[static_cast<size_t>(s)];
      a2 += w2(j) * v0;
      if (a1(i, j) >= inc.lambda[0](j)) current[static_cast<size_t>(i)] |= 1 << s;
    }
    base[static_cast<size_t>(i)] = a2;
  }
  auto outputOf = [&](int i, int combo) {
    double a2 = base[static_cast<size_t>(i)];
    for (int s = 0; s < k; ++s)
      if (combo >> s & 1) a2 += w2(freed[static_cast<size_t>(s)]) * dv;
    return a2;
  };
  // Points whose freed units may take any values are left out; a solution can put them in a
  // band, so such (point, unit) pairs are pinned to the side the solution chose and the model is
  // solved again.
  std::map<std::pair<int, int>, bool> pinned;
  std::vector<char> left_out(static_cast<size_t>(n), 0);
  RoundSolve out;
  for (int attempt = 0; attempt < 6; ++attempt) {
    const double left = time_limit_s - timer.seconds();
    const long nodes_left = e.repair_round_nodes - out.nodes;
    const long iterations_left = e.repair_round_iterations - out.lp_iterations;
    if (left < 0.2 || callbacks.stopRequested() ||
        (attempt > 0 && (nodes_left <= 0 || iterations_left <= 0)))
      break;
    StartedModel built;
    mip::Model& model = built.model;
    std::vector<std::vector<Var>> w(static_cast<size_t>(k));
    std::vector<Var> theta(static_cast<size_t>(k));
    for (int s = 0; s < k; ++s) {
      const int j = freed[static_cast<size_t>(s)];
      for (int l = 0; l < d0; ++l)
        w[static_cast<size_t>(s)].push_back(built.add(-b.wb, b.wb, inc.weights[0](j, l), false));
      // kNeuron: theta_j free in the MILP's box (lambda = theta + m/2).
      if (neuron)
        theta[static_cast<size_t>(s)] =
            built.add(-b.lambda1 - half, b.lambda1 - half, inc.lambda[0](j), false);
    }
    // Pre-activation minus threshold of freed unit s at point i: sum_l w_l x_il - theta.
    auto pre = [&](int i, int s, std::vector<Term>& row) -> double {
      row.clear();
      for (int l = 0; l < d0; ++l) {
        if (train.X(i, l) != 0.0)
          row.push_back({w[static_cast<size_t>(s)][static_cast<size_t>(l)], train.X(i, l)});
      }
      if (neuron) {
        row.push_back({theta[static_cast<size_t>(s)], -1.0});
        return 0.0;
      }
      return inc.lambda[0](freed[static_cast<size_t>(s)]);  // fixed theta: moves to the rhs
    };
    std::vector<Term> obj, row;
    for (int i = 0; i < n; ++i) {
      if (fixed_band[static_cast<size_t>(i)]) continue;  // an error in every neighbour
      const int cur = current[static_cast<size_t>(i)];
      const bool target = !correct(outputOf(i, cur), i);
      std::vector<char> allowed(static_cast<size_t>(combos));
      int n_allowed = 0;
      for (int c = 0; c < combos; ++c) {
        allowed[static_cast<size_t>(c)] = correct(outputOf(i, c), i);
        n_allowed += allowed[static_cast<size_t>(c)];
      }
      // A misclassified point that no values of the freed units fix is an error in every
      // neighbour: no rows, no error binary.
      if (target && n_allowed == 0) continue;
      // Active: a - theta >= m/2 + tol_i, inactive: a - theta <= -(m/2 + tol_i); tol_i is 0 for
      // x = 0 (its pre-activation is 0 whatever the weights).
      const double tol = kTol * train.X.row(i).cwiseAbs().sum();
      const double big_m = b.wb * train.X.row(i).cwiseAbs().sum() + b.lambda1 + m + 1.0;
      auto keepSide = [&](int s, bool on) {
        const double shift = pre(i, s, row);
        if (on) {
          model.addGe(row, shift + half + tol);
        } else {
          model.addLe(row, shift - half - tol);
        }
      };
      if (n_allowed == combos) {
        left_out[static_cast<size_t>(i)] = 1;
        for (int s = 0; s < k; ++s) {
          const auto it = pinned.find({i, s});
          if (it != pinned.end()) keepSide(s, it->second);
        }
        continue;
      }
      std::vector<Term> out_row;
      double out_const = base[static_cast<size_t>(i)];
      for (int s = 0; s < k; ++s) {
        bool can_flip = target;
        for (int c = 0; c < combos && !can_flip; ++c)
          can_flip = allowed[static_cast<size_t>(c)] && ((c ^ cur) >> s & 1);
        const double coef = w2(freed[static_cast<size_t>(s)]) * dv;
        if (!can_flip) {
          keepSide(s, cur >> s & 1);
          if (cur >> s & 1) out_const += coef;
          continue;
        }
        // u = 1: a - theta >= m/2 + tol - M (1 - u);  u = 0: a - theta <= -(m/2 + tol) + M u.
        const Var u = built.add(0.0, 1.0, cur >> s & 1, true);
        const double shift = pre(i, s, row);
        std::vector<Term> act = row, inact = row;
        act.push_back({u, -big_m});
        inact.push_back({u, -big_m});
        model.addGe(act, shift + half + tol - big_m);
        model.addLe(inact, shift - half - tol);
        if (coef != 0.0) out_row.push_back({u, coef});
      }
      if (out_row.empty()) continue;  // every unit fixed: the point keeps its (correct) output
      const double yi = train.y[static_cast<size_t>(i)] == 1;
      double big_out = std::abs(out_const - th2) + half + 1.0;
      for (const Term& t : out_row) big_out += std::abs(t.coef);
      if (target) {
        // Error e_i = 1 relaxes the output row; the objective counts the targets left wrong.
        const Var err = built.add(0.0, 1.0, 1.0, true);
        obj.push_back({err, 1.0});
        out_row.push_back({err, yi ? big_out : -big_out});
      }
      if (yi) {
        model.addGe(out_row, th2 + half - out_const);  // a2 >= th2 + m/2
      } else {
        model.addLe(out_row, th2 - half - out_const);  // a2 <= th2 - m/2
      }
    }
    // No misclassified point can be fixed by the freed units (e.g. the constant classifier, whose
    // output weights are all equal): nothing to repair.
    if (obj.empty()) break;
    model.setObjective(mip::Sense::kMinimize, obj);
    const mip::MipResult r =
        roundSolve(model, built.start, std::max(0L, nodes_left), std::max(0L, iterations_left),
                   left, e, e.repair_backend_options, callbacks);
    out.nodes += r.stats.nodes;
    out.lp_iterations += r.stats.lp_iterations;
    ++out.solves;
    out.time_limited = out.time_limited || stoppedByClock(r);
    if (!r.hasSolution()) break;
    BdnnParams cand = inc;
    for (int s = 0; s < k; ++s) {
      const int j = freed[static_cast<size_t>(s)];
      for (int l = 0; l < d0; ++l)
        cand.weights[0](j, l) =
            r.values[static_cast<size_t>(w[static_cast<size_t>(s)][static_cast<size_t>(l)].id)];
      if (neuron)
        cand.lambda[0](j) = r.values[static_cast<size_t>(theta[static_cast<size_t>(s)].id)];
    }
    out.params = cand;
    // Pin the (left-out point, freed unit) pairs the solution put in or next to the band.
    const Mat ca = train.X * cand.weights[0].transpose();
    int added = 0;
    for (int i = 0; i < n; ++i) {
      if (!left_out[static_cast<size_t>(i)]) continue;
      for (int s = 0; s < k; ++s) {
        const int j = freed[static_cast<size_t>(s)];
        const double a = ca(i, j) - cand.lambda[0](j);
        if (std::abs(a) < half + 1e-6 && !pinned.count({i, s})) {
          pinned[{i, s}] = a >= 0.0;
          ++added;
        }
      }
    }
    if (added == 0) break;
  }
  return out;
}

void addSymmetryRows(TrainingMilp& milp, int feature) {
  const int d0 = milp.dims[0], d1 = milp.dims[1];
  NNMIP_CHECK(feature >= 0 && feature < d0, "symmetry feature {} of {}", feature, d0);
  for (int j = 0; j + 1 < d1; ++j) {
    // W1[j][f] - W1[j+1][f] >= 0
    milp.model.addGe({{milp.w[0][static_cast<size_t>(j * d0 + feature)], 1.0},
                      {milp.w[0][static_cast<size_t>((j + 1) * d0 + feature)], -1.0}},
                     0.0, fmt::format("sym{}", j));
  }
}

BdnnParams sortUnits(const BdnnParams& p, int feature) {
  const Mat& w1 = p.weights[0];
  const Eigen::Index d1 = w1.rows();
  std::vector<int> order(static_cast<size_t>(d1));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return w1(a, feature) > w1(b, feature); });
  BdnnParams out = p;
  for (Eigen::Index j = 0; j < d1; ++j) {
    const int from = order[static_cast<size_t>(j)];
    out.weights[0].row(j) = w1.row(from);
    if (p.lambda[0].size() == d1) out.lambda[0](j) = p.lambda[0](from);
    if (p.weights.size() > 1) out.weights[1].col(j) = p.weights[1].col(from);
  }
  return out;
}

std::vector<std::vector<int>> rayGroups(const data::Dataset& train, const BdnnOptions& o) {
  if (o.output != OutputMode::kStep || o.robust_radius != 0.0) return {};
  // Positive homogeneity needs zero thresholds and the two-level step (offsets {0}).
  const bool rays = o.threshold == ThresholdMode::kZero && o.activation.units() == 1 &&
                    o.activation.offsets[0] == 0.0;
  std::map<std::vector<long long>, std::vector<int>> groups;
  for (int i = 0; i < train.size(); ++i) {
    const Vec x = train.X.row(i).transpose();
    const double norm = x.cwiseAbs().sum();
    std::vector<long long> key;
    const double scale = rays && norm > 0.0 ? 1.0 / norm : 1.0;
    // Exact for the data we use (features on a grid); a tolerance of 1e-9 otherwise.
    for (Eigen::Index l = 0; l < x.size(); ++l) key.push_back(std::llround(x(l) * scale * 1e9));
    groups[key].push_back(i);
  }
  std::vector<std::vector<int>> out;
  for (auto& [key, g] : groups) {
    if (g.size() >= 2) out.push_back(g);
  }
  return out;
}

int rayLowerBound(const data::Dataset& train, const BdnnOptions& options) {
  int bound = 0;
  for (const auto& g : rayGroups(train, options)) {
    int ones = 0;
    for (int i : g) ones += train.y[static_cast<size_t>(i)] == 1;
    bound += std::min(ones, static_cast<int>(g.size()) - ones);
  }
  return bound;
}

void addRayRows(TrainingMilp& milp, const std::vector<std::vector<int>>& groups) {
  const size_t layers = milp.unit.size();
  for (const auto& g : groups) {
    for (size_t t = 1; t < g.size(); ++t) {
      const size_t a = static_cast<size_t>(g[0]), b = static_cast<size_t>(g[t]);
      for (size_t k : {size_t{0}, layers - 1}) {
        const auto& ua = milp.unit[k][a];
        const auto& ub = milp.unit[k][b];
        for (size_t c = 0; c < ua.size(); ++c) milp.model.addEq({{ua[c], 1.0}, {ub[c], -1.0}}, 0.0);
      }
    }
  }
}

EngineResult trainEngine(const data::Dataset& train, const BdnnOptions& options,
                         const EngineOptions& e, const Callbacks& callbacks) {
  Timer timer;
  NNMIP_CHECK(e.time_limit_s > 0.0, "engine time limit {} must be positive", e.time_limit_s);
  EngineResult res;
  res.time_limit_s = e.time_limit_s;
  const double limit = e.time_limit_s;
  const Callbacks cb = withDeadline(callbacks, timer, limit);
  const bool lns_ok = lnsSupported(options);
  const bool classify = options.output != OutputMode::kRegression;
  NNMIP_CHECK(classify, "the engine trains classifiers");
  res.ray_bound = options.robust_radius == 0.0 ? rayLowerBound(train, options) : 0.0;

  // 1. Start.
  BdnnParams best = constantClassifier(train, options);
  const bool heuristic_start = e.start == EngineStart::kHeuristic && lns_ok;
  auto runHeuristic = [&](uint64_t seed, double budget_s) -> std::optional<BdnnParams> {
    HeuristicOptions ho = e.heuristic;
    ho.seed = seed;
    ho.time_limit_s = std::min(ho.time_limit_s, budget_s);
    if (ho.time_limit_s <= 0.0) return std::nullopt;
    const HeuristicResult h = trainHeuristic(train, options, ho, cb);
    res.heuristic_s += h.wall_s;
    ++res.heuristic_starts;
    return h.params;
  };
  if (heuristic_start) {
    if (auto h = runHeuristic(e.heuristic.seed, e.lns_share * limit - timer.seconds());
        h && marginErrors(*h, train, options) <= marginErrors(best, train, options))
      best = *h;
  }
  int best_errors = marginErrors(best, train, options);
  res.start_errors = best_errors;
  callbacks.log(Level::kInfo, fmt::format("bdnn engine: start ({}) {} margin errors, {:.1f} s",
                                          engineStartName(e.start), best_errors, timer.seconds()));
  Rng rng(e.seed);

  // 2. Improvement of the current network by repair rounds (solveRepair) and LNS rounds
  // (solveNeighbourhood): with the repair on, an LNS round follows every repair_lns_every repair
  // rounds in a row without improvement; a stall of repair_restart_after rounds redraws a
  // heuristic start. Until lns_share of the budget; the best network over all starts is kept.
  Timer lns_timer;
  const bool repair = lns_ok && e.repair;
  if (lns_ok && (e.repair || e.lns) && best_errors > res.ray_bound) {
    BdnnParams cur = best;
    int cur_errors = best_errors, stale = 0, lns_stale = 0, draws = 0, lns_round = 0;
    // (target, units freed) of the repair rounds since the last improvement: a target that k
    // units could not fix is not drawn again at the same k while others are left.
    std::set<std::pair<int, int>> tried;
    const double end = e.lns_share * limit;
    for (int round = 0; best_errors > res.ray_bound; ++round) {
      const double left = end - timer.seconds();
      if (left < 1.0 || cb.stopRequested() || (e.max_rounds >= 0 && round >= e.max_rounds)) break;
      if (stale >= e.repair_restart_after || (!repair && lns_stale >= e.lns_max_stale_rounds)) {
        if (!heuristic_start) break;
        const auto h = runHeuristic(e.heuristic.seed + 7919 * static_cast<uint64_t>(++draws), left);
        if (!h) break;
        cur = *h;
        cur_errors = marginErrors(cur, train, options);
        stale = lns_stale = 0;
        tried.clear();
        callbacks.log(Level::kInfo,
                      fmt::format("bdnn engine: new heuristic start, {} errors", cur_errors));
        if (cur_errors < best_errors) {
          best = cur;
          best_errors = cur_errors;
        }
        continue;
      }
      LnsRound lr;
      Timer rt;
      lr.errors_before = cur_errors;
      lr.repair = repair && !(e.lns && stale > 0 && stale % e.repair_lns_every == 0);
      RoundSolve step;
      if (lr.repair) {
        const std::vector<int> wrong = marginErrorPoints(cur, train, options);
        if (wrong.empty()) break;
        const int k = std::min(e.repair_max_units, e.repair_units + stale / e.repair_grow_after);
        std::vector<int> fresh;
        for (int i : wrong) {
          if (!tried.count({i, k})) fresh.push_back(i);
        }
        const std::vector<int>& pool = fresh.empty() ? wrong : fresh;
        lr.target = pool[static_cast<size_t>(rng.below(pool.size()))];
        tried.insert({lr.target, k});
        lr.freed = pickRepairUnits(train, options, cur, lr.target, k, rng);
        lr.keep_correct = true;
        step = solveRepair(train, options, cur, lr.freed, left, e, cb);
      } else {
        // Three LNS rounds in four keep the correctly classified points correct; guided and
        // random unit choices alternate.
        lr.freed = pickUnits(train, options, cur, e.lns_free_units, lns_round % 2 == 1, rng);
        lr.keep_correct = lns_round % 4 != 3;
        ++lns_round;
        step = solveNeighbourhood(train, options, cur, lr.freed, left, e, lr.keep_correct, cb);
      }
      const std::optional<BdnnParams>& cand = step.params;
      lr.nodes = step.nodes;
      lr.lp_iterations = step.lp_iterations;
      lr.time_limited = step.time_limited;
      lr.errors_after = cand ? marginErrors(*cand, train, options) : -1;
      // Ties are accepted (a move on the plateau); only the forward pass decides.
      lr.accepted = cand && lr.errors_after <= cur_errors;
      const bool improved = lr.accepted && lr.errors_after < cur_errors;
      if (lr.accepted) {
        cur = *cand;
        cur_errors = lr.errors_after;
        if (cur_errors < best_errors) {
          best = cur;
          best_errors = cur_errors;
        }
      }
      stale = improved ? 0 : stale + 1;
      if (improved) tried.clear();
      lns_stale = improved ? 0 : lns_stale + !lr.repair;
      lr.wall_s = rt.seconds();
      if (lr.repair) {
        callbacks.log(
            Level::kInfo,
            fmt::format("bdnn repair round {}: point {}, freed {} units, {} -> {} "
                        "errors{}, {} nodes, {} LP iterations{}, {:.1f} s",
                        round + 1, lr.target, lr.freed.size(), lr.errors_before, lr.errors_after,
                        lr.accepted ? "" : " (rejected)", lr.nodes, lr.lp_iterations,
                        lr.time_limited ? " (wall clock)" : "", lr.wall_s));
      } else {
        callbacks.log(
            Level::kInfo,
            fmt::format("bdnn LNS round {}: freed {} units{}, {} -> {} errors{}, {} nodes, {} LP "
                        "iterations{}, {:.1f} s",
                        round + 1, lr.freed.size(), lr.keep_correct ? " (correct kept)" : "",
                        lr.errors_before, lr.errors_after, lr.accepted ? "" : " (rejected)",
                        lr.nodes, lr.lp_iterations, lr.time_limited ? " (wall clock)" : "",
                        lr.wall_s));
      }
      res.lns.push_back(std::move(lr));
    }
  }
  res.lns_s = lns_timer.seconds();
  res.lns_errors = best_errors;

  // 3. Full MILP from the best network, unless it is already proved optimal.
  double bound = res.ray_bound;
  if (best_errors <= bound) {
    res.stopped_by = best_errors == 0 ? "zero errors" : "ray bound";
  } else if (!e.full_milp) {
    res.stopped_by = "no full MILP";
  } else if (timer.seconds() + 1.0 < limit && !callbacks.stopRequested()) {
    res.milp_run = true;
    bool finished = true;
    if (e.isolate_milp) {
      const IsolatedMilp iso = runIsolated(train, options, best, e, timer, limit, cb);
      finished = iso.finished;
      res.milp_killed = !iso.finished;
      if (iso.finished) res.milp = iso.result;
      // A reported bound of an integral objective rounds up (exact_trainer.cpp does the same).
      if (std::isfinite(iso.reported_bound))
        bound = std::max(bound, std::ceil(iso.reported_bound - 1e-6));
    } else {
      res.milp = fullMilp(train, options, best, e, limit - timer.seconds(), cb);
    }
    if (finished) {
      if (std::isfinite(res.milp.best_bound))
        bound = std::max(bound, res.milp.best_bound);  // rounded up
      if (res.milp.has_solution && res.milp.forward_check_ok &&
          res.milp.train_eval.margin_errors < best_errors) {
        best = res.milp.params;
        best_errors = res.milp.train_eval.margin_errors;
      }
      res.stopped_by = res.milp.termination == mip::Termination::kOptimal ? "optimal"
                       : res.milp.limit != mip::Limit::kNone
                           ? mip::limitName(res.milp.limit)
                           : mip::terminationName(res.milp.termination);
    } else {
      res.stopped_by = "time (MILP process ended at the deadline)";
    }
  } else {
    res.stopped_by = "time";
  }

  // The returned network, forward-checked.
  res.params = best;
  res.net = toNetwork(best, options);
  res.train_eval = evaluate(res.net, train, options.margin);
  res.objective = res.train_eval.margin_errors;
  // The stage's count is confirmed by a fresh forward pass of the network we return.
  res.forward_check_ok = res.train_eval.margin_errors == best_errors;
  // The bound holds for every MILP-feasible (band-free) network; a start with band points is
  // counted with them as errors, and the gap is clamped at 0 should such a count fall below it.
  res.bound = bound;
  res.gap = res.objective > 0.0 ? std::max(0.0, (res.objective - res.bound) / res.objective) : 0.0;
  res.wall_s = timer.seconds();
  return res;
}

}  // namespace nnmip::bdnn
