// The search of the ReLU-split branch and bound (verify/bab.hpp): the queue, the workers and
// progress; a node is bounded by bab_bounding.hpp and split where bab_branching.hpp says.
#include "verify/bab.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "core/timer.hpp"
#include "nn/forward.hpp"
#include "verify/bab_bounding.hpp"
#include "verify/bab_branching.hpp"
#include "verify/bab_node.hpp"
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
  positive("max_queue_mb", max_queue_mb);
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
using bab::ChildResult;
using bab::Context;
using bab::Crown;
using bab::LpOutcome;
using bab::Node;
using bab::NodePtr;
using encode::Phase;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The queue never takes more than this share of the memory (core/memory.hpp, which honours
// NNMIP_MEMORY_LIMIT_MB): the other half is for the workers, the node LPs and the caller.
constexpr double kQueueMemoryShare = 0.5;

// Bytes the open nodes may hold: max_queue_mb, within kQueueMemoryShare of the memory.
std::size_t queueByteLimit(const BabOptions& o) {
  const double asked = o.max_queue_mb * 1024.0 * 1024.0;
  const double memory = kQueueMemoryShare * static_cast<double>(physicalMemoryBytes());
  return static_cast<std::size_t>(std::min(asked, memory));
}

struct WorkerStats {
  double interm_s = 0.0, spec_s = 0.0, branch_s = 0.0, primal_s = 0.0;
  long empty = 0;
};

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
      : c_(c),
        candidate_(candidate),
        cb_(cb),
        order_{c.opt.depth_first},
        branch_(bab::branchRule(c.opt.branching)),
        max_queue_bytes_(queueByteLimit(c.opt)) {}

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
    queue_bytes_ = 0;
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
        queue_bytes_ -= node->bytes();
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
      } else if (how == Expansion::kDone) {
        for (int d : node->open) --open_count_[static_cast<size_t>(d)];
        for (NodePtr& ch : children) {
          for (int d : ch->open) ++open_count_[static_cast<size_t>(d)];
          ch->seq = next_seq_++;
          stats_.max_depth = std::max(stats_.max_depth, ch->depth);
          push(std::move(ch));
        }
        stats_.peak_queue = std::max<long>(stats_.peak_queue, static_cast<long>(queue_.size()));
        stats_.peak_queue_bytes = std::max(stats_.peak_queue_bytes, queue_bytes_);
        if (queue_bytes_ > max_queue_bytes_) {
          limit_ = fmt::format("queue budget ({} in {} open nodes, limit {})",
                               formatBytes(static_cast<double>(queue_bytes_)), queue_.size(),
                               formatBytes(static_cast<double>(max_queue_bytes_)));
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
    queue_bytes_ += node->bytes();
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
    const bab::SpecRows rows = bab::specRows(c_.spec, node.open);
    const Timer t_branch;
    const Crown cr = bab::crownPass(c_, node.bounds, rows.C, rows.c0, true);
    ws.branch_s += t_branch.seconds();
    if (bab::countUnstable(c_, node.bounds) == 0) {
      // Nothing left to split: the node LP is exact here (the root, or a node whose LP did not
      // run as a child).
      how = Expansion::kDeadEnd;
      if (node.lp_done) return children;
      encode::NetworkBounds nb;
      nb.input = c_.box;
      nb.layers = node.bounds;
      const LpOutcome lp = bab::nodeLp(c_, c_.domainOf(node), nb, node.open);
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
    const nn::NeuronId id = branch_(c_, node, cr, rows);
    ws.branch_s += t_choose.seconds();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.branched;
    }
    for (Phase phase : {Phase::kInactive, Phase::kActive}) {
      ChildResult ch = bab::boundChild(c_, node, id, phase);
      ws.interm_s += ch.interm_s;
      ws.spec_s += ch.spec_s;
      if (ch.empty) ++ws.empty;
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
  const bab::BranchRule branch_;
  const std::size_t max_queue_bytes_;
  std::vector<NodePtr> queue_;   // a heap under order_
  std::size_t queue_bytes_ = 0;  // Node::bytes() summed over queue_
  std::vector<long> open_count_;
  int busy_ = 0;
  bool finish_ = false;
  bool stopped_ = false;
  std::atomic<bool> found_{false};
  long next_seq_ = 1;
  long stats_candidates_ = 0;
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
