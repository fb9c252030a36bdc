#include "verify/bab.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "bounds/alpha.hpp"
#include "bounds/backsub.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "encode/domain.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"
#include "verify/spec.hpp"
#include "verify/witness.hpp"

namespace nnmip::verify {

const char* branchingName(Branching branching) {
  switch (branching) {
    case Branching::kBabsr: return "babsr";
    case Branching::kFsb: return "fsb";
  }
  return "babsr";
}

void BabOptions::validate() const {
  auto bad = [](const char* field, double v, const char* range) {
    fail(ErrorKind::kInvalidInput, "bab options: {} = {} (must be {})", field, v, range);
  };
  auto positive = [&](const char* field, double v) {
    if (!(v > 0.0) || !std::isfinite(v)) bad(field, v, "> 0 and finite");
  };
  if (threads < 1) bad("threads", threads, ">= 1");
  if (time_limit_s && !(*time_limit_s >= 0.0)) bad("time_limit_s", *time_limit_s, ">= 0");
  if (max_nodes < 0) bad("max_nodes", static_cast<double>(max_nodes), ">= 0");
  if (max_queue < 1) bad("max_queue", static_cast<double>(max_queue), ">= 1");
  positive("close_margin", close_margin);
  if (interm_iterations < 0) bad("interm_iterations", interm_iterations, ">= 0");
  if (spec_iterations < 0) bad("spec_iterations", spec_iterations, ">= 0");
  positive("spec_lr_alpha", spec_lr_alpha);
  positive("spec_lr_beta", spec_lr_beta);
  if (!(spec_lr_decay > 0.0 && spec_lr_decay <= 1.0)) {
    bad("spec_lr_decay", spec_lr_decay, "in (0, 1]");
  }
  // lp_max_unstable is a threshold ("at most this many unstable"): a negative one means never.
  if (fsb_candidates < 1) bad("fsb_candidates", fsb_candidates, ">= 1");
}

const char* babOutcomeName(BabOutcome outcome) {
  switch (outcome) {
    case BabOutcome::kClosed: return "closed";
    case BabOutcome::kCounterexample: return "counterexample";
    case BabOutcome::kLimit: return "limit";
    case BabOutcome::kStopped: return "stopped";
    case BabOutcome::kFailed: return "failed";
  }
  return "failed";
}

namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using encode::LayerBounds;
using encode::Phase;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Node {
  std::map<nn::NeuronId, Phase> splits;
  std::vector<LayerBounds> bounds;  // pre-activation bounds valid over the node's domain
  std::vector<int> open;            // disjuncts still open here
  std::vector<double> ub;           // their margin bounds (aligned with `open`)
  int depth = 0;
  long seq = 0;
  bool lp_done = false;       // the node LP ran on this node's bounds
  bounds::SlopeState slopes;  // of the spec bound at this node (empty at the root)
  double key() const { return ub.empty() ? -kInf : *std::max_element(ub.begin(), ub.end()); }
};
using NodePtr = std::unique_ptr<Node>;

// Everything the workers share read-only.
struct Context {
  const nn::Network& net;
  const encode::Box& box;
  const std::vector<Atoms>& disjuncts;
  const BabOptions& opt;
  Spec spec;             // the disjuncts
  int last_relaxed = 0;  // last layer whose bounds the relaxations use
  encode::Domain base;   // the box without splits

  Context(const nn::Network& n, const encode::Box& b, const std::vector<Atoms>& d,
          const BabOptions& o)
      : net(n), box(b), disjuncts(d), opt(o), spec(d, n.outputSize()), base(b) {
    const int last = n.numLayers() - 1;
    last_relaxed = encode::isReluLayer(n.layer(last)) ? last : last - 1;
  }

  encode::Domain domainOf(const Node& node) const {
    encode::Domain d = base;
    d.splits = node.splits;
    return d;
  }
};

// ---------------------------------------------------------------------------------------------
// The spec rows' bounds, all from the one kernel (bounds/backsub.hpp).

// CROWN (adaptive slopes, no betas) of rows C y + c0 over the box with the bounds `b`: a valid
// lower bound per row and the coefficients of every row on each relaxed layer's h (for the
// branching scores).
struct Crown {
  Vec lower;
  std::vector<Mat> coef_h;  // coef_h[i]: rows x width of layer i (i <= last_relaxed)
};

Crown crownPass(const Context& c, const std::vector<LayerBounds>& b, const Mat& C, const Vec& c0,
                bool want_coefs) {
  bounds::BackSubRequest req;
  req.want_layer_coefs = want_coefs;
  const bounds::Relaxation rx = bounds::relaxLayers(c.net, c.box, b, c.last_relaxed + 1);
  bounds::BackSubResult r =
      bounds::backSubstitute(rx, bounds::rowsOnOutputs(c.net, rx, C, c0), {}, req);
  return {std::move(r.lower), std::move(r.layer_coefs)};
}

struct BetaOutcome {
  Vec best;
  Mat xstar;  // the relaxed minimiser of the last iterate, per row
  int steps = 0;
  bounds::SlopeState slopes;  // the best iterate's parameters per row (when asked for)
};

// beta-CROWN for the spec rows C y + c0 with the node's bounds fixed: the split constraints
// enter through multipliers beta >= 0, alpha and beta ascend together (BabOptions' steps), the
// best iterate per row is kept. Started cold, iteration 0 (adaptive alpha, beta = 0) equals
// crownPass; warm, it starts from a parent's best iterate. `rows` names C's rows (Spec row
// ids) for `warm`, the parameters to start from (may be empty or hold other rows: those start
// cold).
BetaOutcome betaCrown(const Context& c, const std::vector<LayerBounds>& b,
                      const std::map<nn::NeuronId, Phase>& splits, const Mat& C, const Vec& c0,
                      int iterations, double stop_at, const std::vector<int>& rows,
                      const bounds::SlopeState& warm, bool keep_slopes) {
  bounds::SlopeOptimiser opt;
  opt.iterations = iterations;
  opt.lr_alpha = c.opt.spec_lr_alpha;
  opt.lr_beta = c.opt.spec_lr_beta;
  opt.decay = c.opt.spec_lr_decay;
  opt.stop_at = stop_at;
  opt.stop_rule = bounds::StopRule::kAllRows;
  opt.zero_coef = bounds::ZeroCoefInput::kCentre;
  opt.idle_momentum = false;
  bounds::BackSubRequest req;
  req.want_input_form = true;
  req.keep_slopes = keep_slopes;
  req.row_ids = rows;
  req.warm = &warm;
  const bounds::Relaxation rx = bounds::relaxLayers(c.net, c.box, b, c.last_relaxed + 1, &splits);
  bounds::BackSubResult r =
      bounds::backSubstitute(rx, bounds::rowsOnOutputs(c.net, rx, C, c0), opt, req);
  return {std::move(r.lower), std::move(r.vertex), r.steps, std::move(r.slopes)};
}

// ---------------------------------------------------------------------------------------------
// Branching.

struct Candidate {
  nn::NeuronId id;
  double babsr = 0.0;
  double intercept = 0.0;
};

std::vector<Candidate> scoreNeurons(const Context& c, const Node& node, const Crown& cr) {
  std::vector<Candidate> out;
  for (int i = 0; i <= c.last_relaxed; ++i) {
    const nn::DenseLayer& layer = c.net.layer(i);
    if (!encode::isReluLayer(layer)) continue;
    const LayerBounds& b = node.bounds[static_cast<size_t>(i)];
    const Mat& lam = cr.coef_h[static_cast<size_t>(i)];
    for (int j = 0; j < b.size(); ++j) {
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      if (!(lo < 0.0 && hi > 0.0)) continue;
      const double s = hi / (hi - lo);
      const double icpt = -lo * s;
      const double bias = layer.bias[j];
      Candidate cand{{i, j}, 0.0, 0.0};
      for (Eigen::Index r = 0; r < lam.rows(); ++r) {
        const double v = lam(r, j);
        // BaBSR (Bunel et al. 2020, as alpha-beta-CROWN computes it): the bias term through
        // the relaxation, max of the two phases, plus the upper line's intercept.
        const double score = std::max(bias * v * (s - 1.0), bias * v * s) + std::min(v, 0.0) * icpt;
        cand.babsr += std::abs(score);
        cand.intercept += std::abs(std::min(v, 0.0) * icpt);
      }
      out.push_back(cand);
    }
  }
  return out;
}

// Sum over the open disjuncts of how far their bound is from closing.
double openness(const std::vector<double>& ub, double margin) {
  double v = 0.0;
  for (double u : ub) v += std::max(0.0, u + margin);
  return v;
}

nn::NeuronId chooseBranch(const Context& c, const Node& node, const Crown& cr,
                          const std::vector<int>& rows, const Mat& C, const Vec& c0) {
  std::vector<Candidate> cands = scoreNeurons(c, node, cr);
  NNMIP_CHECK(!cands.empty(), "bab: no unstable neuron to branch on");
  auto by_babsr = [](const Candidate& a, const Candidate& b) { return a.babsr > b.babsr; };
  auto by_icpt = [](const Candidate& a, const Candidate& b) { return a.intercept > b.intercept; };
  const int k = std::max(1, c.opt.fsb_candidates);
  std::vector<Candidate> pool;
  auto take = [&](auto cmp, bool intercept) {
    std::vector<Candidate> sorted = cands;
    const size_t n = std::min<size_t>(static_cast<size_t>(k), sorted.size());
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n), sorted.end(),
                      cmp);
    for (size_t q = 0; q < n; ++q) {
      if ((intercept ? sorted[q].intercept : sorted[q].babsr) <= 0.0 && !pool.empty()) break;
      const bool dup = std::any_of(pool.begin(), pool.end(),
                                   [&](const Candidate& p) { return p.id == sorted[q].id; });
      if (!dup) pool.push_back(sorted[q]);
    }
  };
  take(by_babsr, false);
  if (c.opt.branching == Branching::kBabsr || pool.size() == 0) {
    if (pool.empty()) take(by_icpt, true);
    return pool.front().id;
  }
  take(by_icpt, true);
  if (pool.size() == 1) return pool.front().id;
  // Filtered smart branching: bound both children of each candidate by one CROWN pass with the
  // node's bounds and the neuron clamped; smallest worst child (ties: smallest sum) wins.
  std::vector<LayerBounds> b = node.bounds;
  nn::NeuronId best = pool.front().id;
  double best_worst = kInf;
  double best_sum = kInf;
  for (const Candidate& cand : pool) {
    LayerBounds& lb = b[static_cast<size_t>(cand.id.layer)];
    const double lo = lb.lo[cand.id.index];
    const double hi = lb.hi[cand.id.index];
    double v[2];
    for (int side = 0; side < 2; ++side) {
      if (side == 0) {
        lb.hi[cand.id.index] = 0.0;  // inactive
      } else {
        lb.lo[cand.id.index] = 0.0;  // active
      }
      const BetaOutcome child =
          betaCrown(c, b, node.splits, C, c0, 0, kInf, rows, node.slopes, false);
      std::vector<double> ub = c.spec.marginUpper(node.open, child.best);
      for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], node.ub[q]);
      v[side] = openness(ub, c.opt.close_margin);
      lb.lo[cand.id.index] = lo;
      lb.hi[cand.id.index] = hi;
    }
    const double worst = std::max(v[0], v[1]);
    const double sum = v[0] + v[1];
    if (worst < best_worst || (worst == best_worst && sum < best_sum)) {
      best_worst = worst;
      best_sum = sum;
      best = cand.id;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Bounding a child.

struct ChildResult {
  bool empty = false;
  NodePtr node;             // with bounds and the disjuncts still open (possibly none)
  std::vector<Vec> points;  // LP optima (counterexample candidates)
};

// Lower bound of every atom's coef . y - rhs by the node LP (big-M relaxation over the node's
// domain and bounds): per disjunct a safe bound from the duals (mip/safe_bound.hpp); an
// infeasible LP counts only with a Farkas certificate.
struct LpOutcome {
  bool empty = false;
  std::vector<double> ub;  // per open disjunct (+inf when the LP gave nothing)
  std::vector<Vec> points;
};

LpOutcome nodeLp(const Context& c, const encode::Domain& dom, const encode::NetworkBounds& nb,
                 const std::vector<int>& open) {
  LpOutcome out;
  out.ub.assign(open.size(), kInf);
  mip::Model model;
  encode::EncodeOptions eo;
  eo.relax = true;
  const encode::EncodedNetwork enc = encode::encodeNetwork(model, c.net, dom, nb, eo);
  if (enc.empty) return out;  // cannot happen after the clamps; no claim
  const LayerBounds y =
      encode::postActivationBounds(c.net.layer(c.net.numLayers() - 1), nb.layers.back());
  const std::vector<encode::AffineExpr> outputs = outputExprs(enc.outputs);
  std::vector<mip::Var> ts;
  for (int d : open) {
    // t's lower bound is below the margin at every point of the box (interval arithmetic), so
    // the rows never cut a feasible point.
    const MarginRange m = c.spec.marginRange(d, y);
    ts.push_back(c.spec.addMarginVar(model, d, outputs, m.lo - 1.0, m.hi + 1.0));
  }
  auto session = mip::makeLpSession(model);
  for (size_t q = 0; q < ts.size(); ++q) {
    const mip::Term term{ts[q], 1.0};
    session->setObjective(mip::Sense::kMaximize, std::span<const mip::Term>(&term, 1));
    const mip::LpResult r = session->solve();
    if (r.termination == mip::Termination::kInfeasible) {
      if (!r.farkas_ray.empty() && mip::farkasCertifiesInfeasible(model, r.farkas_ray)) {
        out.empty = true;
        return out;
      }
      continue;
    }
    if (!r.optimal() || r.row_duals.size() != static_cast<size_t>(model.numRows())) continue;
    mip::Objective obj;
    obj.sense = mip::Sense::kMaximize;
    obj.terms = {term};
    const double v = mip::safeObjectiveBound(model, obj, r.row_duals);
    if (!std::isnan(v)) out.ub[q] = v;
    if (!r.values.empty()) {
      Vec x(enc.inputs.size());
      for (int i = 0; i < enc.inputs.size(); ++i) {
        x[i] = r.values.at(static_cast<size_t>(enc.inputs.x[static_cast<size_t>(i)].id));
      }
      out.points.push_back(std::move(x));
    }
  }
  return out;
}

int countUnstable(const Context& c, const std::vector<LayerBounds>& b) {
  int n = 0;
  for (int i = 0; i <= c.last_relaxed; ++i) {
    if (!encode::isReluLayer(c.net.layer(i))) continue;
    const LayerBounds& lb = b[static_cast<size_t>(i)];
    for (int j = 0; j < lb.size(); ++j) n += lb.lo[j] < 0.0 && lb.hi[j] > 0.0;
  }
  return n;
}

struct WorkerStats {
  double interm_s = 0.0, spec_s = 0.0, branch_s = 0.0, primal_s = 0.0;
  long empty = 0;
};

// The alpha / LP bounds of the child of `parent` with `id` in `phase`.
ChildResult boundChild(const Context& c, const Node& parent, nn::NeuronId id, Phase phase,
                       WorkerStats& ws) {
  ChildResult res;
  auto child = std::make_unique<Node>();
  child->splits = parent.splits;
  child->splits[id] = phase;
  child->depth = parent.depth + 1;
  const encode::Domain dom = c.domainOf(*child);
  encode::NetworkBounds nb;
  nb.input = c.box;
  nb.layers = parent.bounds;
  nb.method = "bab";
  const Timer t_interm;
  bool ok = encode::applySplits(dom, id.layer, nb.layers[static_cast<size_t>(id.layer)]);
  bounds::AlphaOptions ai;
  ai.iterations = c.opt.interm_iterations;
  ai.threads = 1;
  ai.chunk_size = 1 << 20;
  ai.stop_at = 0.0;  // a row proving its neuron stable stops
  const int recompute_to = c.opt.recompute_intermediate ? c.last_relaxed : id.layer;
  for (int k = id.layer + 1; ok && k <= recompute_to; ++k) {
    const nn::DenseLayer& layer = c.net.layer(k);
    const bool relu = encode::isReluLayer(layer);
    LayerBounds& b = nb.layers[static_cast<size_t>(k)];
    std::vector<int> cand;
    for (int j = 0; j < b.size(); ++j) {
      if (!relu || (b.lo[j] < 0.0 && b.hi[j] > 0.0)) cand.push_back(j);
    }
    if (cand.empty()) continue;
    const auto n = static_cast<Eigen::Index>(cand.size());
    Mat rows = Mat::Zero(2 * n, b.size());
    for (Eigen::Index q = 0; q < n; ++q) {
      rows(2 * q, cand[static_cast<size_t>(q)]) = 1.0;
      rows(2 * q + 1, cand[static_cast<size_t>(q)]) = -1.0;
    }
    const Vec lb = bounds::alphaLowerBounds(c.net, dom, nb, k, rows, Vec::Zero(2 * n), ai);
    for (Eigen::Index q = 0; q < n && ok; ++q) {
      const int j = cand[static_cast<size_t>(q)];
      double lo = std::max(b.lo[j], lb[2 * q]);
      double hi = std::min(b.hi[j], -lb[2 * q + 1]);
      if (lo > hi) {
        // Two valid bounds that cross: the domain is empty, unless it is round-off.
        if (lo - hi > c.opt.close_margin * (1.0 + std::abs(lo))) {
          ok = false;
          break;
        }
        std::swap(lo, hi);
      }
      b.lo[j] = lo;
      b.hi[j] = hi;
    }
    if (ok) ok = encode::applySplits(dom, k, b);
  }
  ws.interm_s += t_interm.seconds();
  if (!ok) {
    ++ws.empty;
    res.empty = true;
    res.node = std::move(child);
    return res;
  }
  // The open atoms' alpha bounds.
  const Timer t_spec;
  const std::vector<int> rows = c.spec.rowsOf(parent.open);
  const Mat C = c.spec.C(rows, Eigen::all);
  const Vec c0 = -c.spec.rhs(rows);
  bounds::AlphaOptions as;
  as.iterations = c.opt.spec_iterations;
  as.threads = 1;
  as.chunk_size = 1 << 20;
  as.stop_at = 2.0 * c.opt.close_margin;
  Vec lower;
  if (c.opt.beta) {
    BetaOutcome bo = betaCrown(c, nb.layers, child->splits, C, c0, c.opt.spec_iterations,
                               2.0 * c.opt.close_margin, rows, parent.slopes, c.opt.warm_start);
    lower = std::move(bo.best);
    child->slopes = std::move(bo.slopes);
    for (Eigen::Index r = 0; r < bo.xstar.rows(); ++r)
      res.points.push_back(bo.xstar.row(r).transpose());
  } else {
    lower = bounds::alphaSpecLowerBounds(c.net, dom, nb, C, c0, as);
  }
  std::vector<double> ub = c.spec.marginUpper(parent.open, lower);
  for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], parent.ub[q]);
  bool any_open = false;
  for (double u : ub) any_open |= !(u < -c.opt.close_margin);
  // A child with few unstable neurons left gets the node LP (exact split rows; with none left
  // it is exact for the node).
  if (any_open && countUnstable(c, nb.layers) <= c.opt.lp_max_unstable) {
    const LpOutcome lp = nodeLp(c, dom, nb, parent.open);
    if (lp.empty) {
      ++ws.empty;
      ws.spec_s += t_spec.seconds();
      res.empty = true;
      res.node = std::move(child);
      return res;
    }
    for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], lp.ub[q]);
    for (const Vec& x : lp.points) res.points.push_back(x);
    child->lp_done = true;
  }
  ws.spec_s += t_spec.seconds();
  for (size_t q = 0; q < ub.size(); ++q) {
    if (ub[q] < -c.opt.close_margin) continue;
    child->open.push_back(parent.open[q]);
    child->ub.push_back(ub[q]);
  }
  child->bounds = std::move(nb.layers);
  res.node = std::move(child);
  return res;
}

// ---------------------------------------------------------------------------------------------
// The search.

struct NodeOrder {
  bool depth_first = false;
  bool operator()(const NodePtr& a, const NodePtr& b) const {  // true: a after b
    if (depth_first && a->depth != b->depth) return a->depth < b->depth;
    const double ka = a->key();
    const double kb = b->key();
    if (ka != kb) return ka < kb;
    return a->seq > b->seq;
  }
};

class Search {
 public:
  Search(const Context& c, const CandidateCheck& candidate, const Callbacks& cb)
      : c_(c), candidate_(candidate), cb_(cb), order_{c.opt.depth_first} {}

  BabResult run(NodePtr root) {
    const size_t n = c_.disjuncts.size();
    open_count_.assign(n, 0);
    for (int d : root->open) ++open_count_[static_cast<size_t>(d)];
    if (!root->open.empty()) push(std::move(root));
    const int workers = std::max(1, c_.opt.threads);
    std::vector<WorkerStats> ws(static_cast<size_t>(workers));
    parallelFor(workers, workers, [&](int w) { worker(ws[static_cast<size_t>(w)]); });

    BabResult r;
    r.closed.assign(n, false);
    r.upper_bound.assign(n, -kInf);
    for (size_t d = 0; d < n; ++d) r.closed[d] = open_count_[d] == 0;
    for (const NodePtr& node : queue_) {
      for (size_t q = 0; q < node->open.size(); ++q) {
        double& u = r.upper_bound[static_cast<size_t>(node->open[q])];
        u = std::max(u, node->ub[q]);
      }
    }
    queue_.clear();
    for (size_t d = 0; d < n; ++d) {
      if (!r.closed[d] && !std::isfinite(r.upper_bound[d])) r.upper_bound[d] = kInf;
    }
    stats_.wall_s = timer_.seconds();
    for (const WorkerStats& w : ws) {
      stats_.interm_s += w.interm_s;
      stats_.spec_s += w.spec_s;
      stats_.branch_s += w.branch_s;
      stats_.primal_s += w.primal_s;
      stats_.empty += w.empty;
    }
    stats_.candidates = stats_candidates_;
    r.stats = stats_;
    const bool all_closed = std::all_of(r.closed.begin(), r.closed.end(), [](bool b) { return b; });
    if (!failure_.empty()) {
      r.outcome = BabOutcome::kFailed;
      r.detail = failure_;
    } else if (found_) {
      r.outcome = BabOutcome::kCounterexample;
    } else if (all_closed) {
      r.outcome = BabOutcome::kClosed;
    } else if (stopped_) {
      r.outcome = BabOutcome::kStopped;
      r.detail = "time limit or stop request";
    } else {
      r.outcome = BabOutcome::kLimit;
      r.detail = limit_.empty() ? "search ended with open leaves" : limit_;
    }
    return r;
  }

 private:
  bool outOfTime() const {
    return (c_.opt.time_limit_s && timer_.seconds() >= *c_.opt.time_limit_s) || cb_.stopRequested();
  }

  void worker(WorkerStats& ws) {
    for (;;) {
      NodePtr node;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || busy_ == 0 || finish_; });
        if (finish_ || queue_.empty()) {
          finish_ = true;
          cv_.notify_all();
          return;
        }
        if (outOfTime()) {
          stopped_ = true;
          finish_ = true;
          cv_.notify_all();
          return;
        }
        if (stats_.nodes >= c_.opt.max_nodes) {
          limit_ = fmt::format("node budget ({} nodes)", c_.opt.max_nodes);
          finish_ = true;
          cv_.notify_all();
          return;
        }
        std::pop_heap(queue_.begin(), queue_.end(), order_);
        node = std::move(queue_.back());
        queue_.pop_back();
        ++busy_;
      }
      std::vector<NodePtr> children;
      Expansion how = Expansion::kDone;
      try {
        children = expand(*node, ws, how);
      } catch (const std::exception& ex) {
        std::lock_guard<std::mutex> lock(mu_);
        if (failure_.empty()) failure_ = ex.what();
        finish_ = true;
        --busy_;
        cv_.notify_all();
        return;  // the node's disjuncts stay counted open
      }
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
      if (found_) finish_ = true;
      if (how == Expansion::kDeadEnd) {
        // No neuron left to split and the node LP did not close it: its disjuncts stay open.
        limit_ = "a leaf with no unstable neuron stayed open (numerical doubt)";
        ++dead_ends_;
      } else if (how == Expansion::kDone) {
        for (int d : node->open) --open_count_[static_cast<size_t>(d)];
        for (NodePtr& ch : children) {
          for (int d : ch->open) ++open_count_[static_cast<size_t>(d)];
          ch->seq = next_seq_++;
          stats_.max_depth = std::max(stats_.max_depth, ch->depth);
          push(std::move(ch));
        }
        stats_.peak_queue = std::max<long>(stats_.peak_queue, static_cast<long>(queue_.size()));
        if (static_cast<long>(queue_.size()) > c_.opt.max_queue) {
          limit_ = fmt::format("queue budget ({} open nodes)", c_.opt.max_queue);
          finish_ = true;
        }
      }
      reportProgress();
      cv_.notify_all();
    }
  }

  // Every kReportEvery seconds (under mu_): nodes, queue and the largest open bound over the
  // queued nodes (nodes being bounded are not counted).
  void reportProgress() {
    static constexpr double kReportEvery = 10.0;
    const double now = timer_.seconds();
    if (now - last_report_s_ < kReportEvery) return;
    last_report_s_ = now;
    double top = -kInf;  // a scan, not the heap's top: depth-first order is not by bound
    for (const NodePtr& node : queue_) top = std::max(top, node->key());
    cb_.log(Level::kInfo, fmt::format("bab: {:.0f} s, {} nodes, {} open, {} closed leaves, "
                                      "largest open bound {:.4g}",
                                      now, stats_.nodes, queue_.size(), stats_.closed_at, top));
    ProgressEvent ev;
    ev.phase = "bab";
    ev.elapsed_s = now;
    ev.bound = top;
    ev.nodes = stats_.nodes;
    cb_.progress(ev);
  }

  void push(NodePtr node) {
    queue_.push_back(std::move(node));
    std::push_heap(queue_.begin(), queue_.end(), order_);
  }

  // Checks the points; true when one passed the caller's check.
  bool tryPoints(const std::vector<Vec>& points, const std::vector<int>& open, WorkerStats& ws) {
    const Timer t;
    bool hit = false;
    Mat xs(static_cast<Eigen::Index>(points.size()), c_.net.inputSize());
    for (size_t k = 0; k < points.size(); ++k) xs.row(static_cast<Eigen::Index>(k)) = points[k];
    const Mat ys = nn::forwardBatch(c_.net, xs);  // one product per layer, not one per point
    for (size_t k = 0; k < points.size(); ++k) {
      const Vec& x = points[k];
      const Vec y = ys.row(static_cast<Eigen::Index>(k)).transpose();
      bool promising = false;
      for (int d : open) {
        promising |= disjunctMargin(c_.disjuncts[static_cast<size_t>(d)], y) >= -kDoubleMarginTol;
      }
      if (!promising) continue;
      std::lock_guard<std::mutex> lock(check_mu_);
      ++stats_candidates_;
      if (candidate_ && candidate_(x)) {
        hit = true;
        break;
      }
    }
    ws.primal_s += t.seconds();
    if (hit) found_ = true;
    return hit;
  }

  // kDone: the node is replaced by `children` (those still open); otherwise its disjuncts stay
  // counted open (a counterexample ended the search, or nothing is left to split).
  enum class Expansion { kDone, kDeadEnd, kAborted };

  std::vector<NodePtr> expand(const Node& node, WorkerStats& ws, Expansion& how) {
    std::vector<NodePtr> children;
    const std::vector<int> rows = c_.spec.rowsOf(node.open);
    const Mat C = c_.spec.C(rows, Eigen::all);
    const Vec c0 = -c_.spec.rhs(rows);
    const Timer t_branch;
    const Crown cr = crownPass(c_, node.bounds, C, c0, true);
    ws.branch_s += t_branch.seconds();
    if (countUnstable(c_, node.bounds) == 0) {
      // Nothing left to split: the node LP is exact here (the root, or a node whose LP did not
      // run as a child).
      how = Expansion::kDeadEnd;
      if (node.lp_done) return children;
      encode::NetworkBounds nb;
      nb.input = c_.box;
      nb.layers = node.bounds;
      const LpOutcome lp = nodeLp(c_, c_.domainOf(node), nb, node.open);
      if (!lp.empty) {
        if (tryPoints(lp.points, node.open, ws)) {
          how = Expansion::kAborted;
          return children;
        }
        bool still_open = false;
        for (size_t q = 0; q < node.open.size(); ++q) {
          still_open |= !(std::min(node.ub[q], lp.ub[q]) < -c_.opt.close_margin);
        }
        if (still_open) return children;  // a dead end
      }
      how = Expansion::kDone;  // empty (Farkas) or every disjunct closed by the exact LP
      return children;
    }
    const Timer t_choose;
    const nn::NeuronId id = chooseBranch(c_, node, cr, rows, C, c0);
    ws.branch_s += t_choose.seconds();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.branched;
    }
    for (Phase phase : {Phase::kInactive, Phase::kActive}) {
      ChildResult ch = boundChild(c_, node, id, phase, ws);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.nodes;
        if (ch.empty || ch.node->open.empty()) ++stats_.closed_at;
      }
      if (!ch.points.empty() && tryPoints(ch.points, node.open, ws)) {
        how = Expansion::kAborted;
        return {};
      }
      if (!ch.empty && !ch.node->open.empty()) children.push_back(std::move(ch.node));
    }
    return children;
  }

  const Context& c_;
  const CandidateCheck& candidate_;
  const Callbacks& cb_;
  Timer timer_;
  std::mutex mu_;
  std::mutex check_mu_;
  std::condition_variable cv_;
  NodeOrder order_;
  std::vector<NodePtr> queue_;  // a heap under order_
  std::vector<long> open_count_;
  int busy_ = 0;
  bool finish_ = false;
  bool stopped_ = false;
  std::atomic<bool> found_{false};
  long next_seq_ = 1;
  long stats_candidates_ = 0;
  long dead_ends_ = 0;
  double last_report_s_ = 0.0;
  std::string failure_;
  std::string limit_;
  BabStats stats_;
};

}  // namespace

BabResult runBab(const nn::Network& net, const encode::Box& box, const encode::NetworkBounds& root,
                 const std::vector<std::vector<data::LinearAtom>>& disjuncts,
                 const std::vector<double>& root_upper, const BabOptions& options,
                 const CandidateCheck& candidate, const Callbacks& callbacks) {
  options.validate();
  encode::checkSupported(net);
  encode::checkBoundsFor(net, root);
  NNMIP_CHECK(!root.empty, "bab: the root bounds are marked empty");
  if (box.lo.size() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "bab: box of size {} for a network with {} inputs",
         box.lo.size(), net.inputSize());
  }
  if (root_upper.size() != disjuncts.size()) {
    fail(ErrorKind::kInvalidInput, "bab: {} root bounds for {} disjuncts", root_upper.size(),
         disjuncts.size());
  }
  for (const Atoms& atoms : disjuncts) {
    for (const data::LinearAtom& a : atoms) {
      if (static_cast<int>(a.coef.size()) != net.outputSize()) {
        fail(ErrorKind::kInvalidInput, "bab: an atom has {} coefficients for {} outputs",
             a.coef.size(), net.outputSize());
      }
    }
  }
  const Context c(net, box, disjuncts, options);
  auto node = std::make_unique<Node>();
  node->bounds = root.layers;
  for (size_t d = 0; d < disjuncts.size(); ++d) {
    if (root_upper[d] < -options.close_margin) continue;
    if (disjuncts[d].empty()) continue;  // holds everywhere: only a counterexample decides
    node->open.push_back(static_cast<int>(d));
    node->ub.push_back(root_upper[d]);
  }
  std::vector<bool> trivially_open(disjuncts.size(), false);
  for (size_t d = 0; d < disjuncts.size(); ++d) {
    trivially_open[d] = disjuncts[d].empty() && !(root_upper[d] < -options.close_margin);
  }
  Search search(c, candidate, callbacks);
  BabResult r = search.run(std::move(node));
  for (size_t d = 0; d < disjuncts.size(); ++d) {
    if (trivially_open[d]) {
      r.closed[d] = false;
      r.upper_bound[d] = kInf;
      if (r.outcome == BabOutcome::kClosed) r.outcome = BabOutcome::kLimit;
    }
  }
  return r;
}

}  // namespace nnmip::verify
