#pragma once
// Branch and bound over ReLU phase splits: closes the unsafe disjuncts of one input box that
// the root bounds leave open.
//
// A node is an encode::Domain (the box plus phase splits a_n <= 0 / a_n >= 0) with
// pre-activation bounds valid over it and the disjuncts still open there. Bounding a child:
//   1. copy the parent's bounds (valid: the child's domain lies inside the parent's) and clamp
//      the split neuron (encode::applySplits);
//   2. recompute only the layers after the split's layer: every neuron still unstable gets new
//      bounds from the alpha tier (bounds::alphaLowerBounds, the split neurons relaxed as
//      stable), intersected with the parent's (the relaxations are not monotone under splits,
//      so the intersection is what keeps a child never looser than its parent). Bounds that
//      cross by more than `close_margin` prove the child empty: every disjunct closes there;
//   3. per open disjunct (an AND of atoms coef_a . y <= rhs_a, violation margin
//      t = min_a (rhs_a - coef_a . y)): the alpha bound of every atom's coef_a . y - rhs_a
//      (bounds::alphaSpecLowerBounds) gives max_x t <= min_a max_x (rhs_a - coef_a . y)
//      <= min_a (-lb_a); the disjunct closes at the child when that is < -close_margin, and
//      never gets a larger bound than at the parent. With `beta` the bound is beta-CROWN's
//      (split constraints through multipliers), its ascent started from the parent's best slopes
//      and multipliers (`warm_start`).
// Files: bab_node.hpp (the node, the search's context), bab_bounding.hpp (steps 1-3),
// bab_branching.hpp (the rules below), bab.cpp (the search).
// Branching (per node, over the neurons unstable under the node's bounds): BaBSR scores from a
// CROWN back-substitution of the open atoms with the node's bounds (adaptive slopes), either
// the best score (kBabsr) or filtered smart branching (kFsb: the top candidates by BaBSR and by
// intercept score, each child bounded by one CROWN pass with that neuron clamped; the candidate
// whose worse child is least open wins: bab_branching.hpp).
// Counterexamples: the minimisers over the box of each atom's back-substituted linear bound are
// run forward; a point whose double margin is >= 0 for an open disjunct goes to the caller's
// check (the witness check in the verifier), the only route to `sat`.
// Search: best-first on the largest open-disjunct bound (or depth-first), `threads` workers
// sharing one queue, until every disjunct is closed in every leaf, a counterexample passes the
// caller's check, the node budget, the queue's memory budget (max_queue_mb) or the time limit
// runs out, or should_stop; progress (nodes, queue, largest open bound) goes to the callbacks
// every 10 s.
// Soundness: a disjunct is reported closed only when no unfinished node (queued, or being bounded
// when an exception stopped the search) holds it open; bounds are plain double arithmetic, so
// decisions use the close_margin (VERIFY.md section 4).
#include <Eigen/Dense>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/callbacks.hpp"
#include "data/vnnlib.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::verify {

enum class Branching { kBabsr, kFsb };
const char* branchingName(Branching branching);

struct BabOptions {
  int threads = 2;                     // workers (each bounds one node at a time)
  std::optional<double> time_limit_s;  // wall clock of the search
  long max_nodes = 1000000;            // children bounded at most
  // Memory the open nodes may hold, in MiB (each node's vectors counted: one bound set, and with
  // warm_start its slopes, atoms x unstable ReLUs floats), and never more than half the memory
  // (core/memory.hpp: NNMIP_MEMORY_LIMIT_MB, else the machine's).
  double max_queue_mb = 4096.0;
  double close_margin = 1e-4;          // a bound must be below -this to close a disjunct
  bool recompute_intermediate = true;  // re-bound the layers after the split (else keep them)
  int interm_iterations = 0;           // alpha steps per re-bounded layer (0: adaptive slopes)
  int spec_iterations = 20;            // alpha (and beta) steps for the open atoms per child
  // The projected-Adam steps of that ascent (bounds::SlopeOptimiser).
  double spec_lr_alpha = 0.1;
  double spec_lr_beta = 0.05;
  double spec_lr_decay = 0.98;  // both steps multiplied by this after every step
  // Split constraints in the spec bound through beta multipliers (beta-CROWN, intermediate
  // bounds fixed); false: the alpha tier's spec bound, where splits only clamp their neuron.
  bool beta = true;
  // A child's beta-CROWN ascent starts from its parent's best slopes and multipliers (else from
  // the adaptive slopes and beta = 0 at every node).
  bool warm_start = true;
  // A child with at most this many unstable neurons left also gets the node LP (big-M
  // relaxation with the splits as rows; safe bound from the duals, an infeasible LP counts only
  // with a Farkas certificate). With none left it is exact (any value keeps the search
  // complete); at a few left it closes deep nodes where beta-CROWN stalls.
  int lp_max_unstable = 10;
  Branching branching = Branching::kFsb;
  int fsb_candidates = 3;  // kFsb: candidates taken by each of the two scores
  bool depth_first = false;

  // Throws Error{kInvalidInput} naming the first field out of its range: threads,
  // fsb_candidates >= 1; max_nodes, interm_iterations, spec_iterations, time_limit_s >= 0;
  // max_queue_mb, close_margin, spec_lr_alpha, spec_lr_beta > 0 and finite; spec_lr_decay in
  // (0, 1].
  void validate() const;
};

enum class BabOutcome { kClosed, kCounterexample, kLimit, kStopped, kFailed };
const char* babOutcomeName(BabOutcome outcome);

struct BabStats {
  long nodes = 0;       // children bounded
  long branched = 0;    // nodes split
  long closed_at = 0;   // children with every disjunct closed (empty ones included)
  long empty = 0;       // children whose bounds proved the domain empty
  long candidates = 0;  // points sent to the caller's check
  int max_depth = 0;
  long peak_queue = 0;
  std::size_t peak_queue_bytes = 0;  // the nodes' memory at peak_queue's measure (Node::bytes)
  // Seconds summed over the workers (the CPU time of each part, up to waiting).
  double interm_s = 0.0;  // re-bounding the layers after the split
  double spec_s = 0.0;    // alpha bounds of the open atoms
  double branch_s = 0.0;  // CROWN pass, scores, FSB
  double primal_s = 0.0;  // forward passes of the candidate points
  double wall_s = 0.0;
};

struct BabResult {
  BabOutcome outcome = BabOutcome::kFailed;
  std::vector<bool> closed;  // per given disjunct: closed in every leaf
  // Per given disjunct: the largest bound on its margin over the open leaves (-inf if closed).
  std::vector<double> upper_bound;
  BabStats stats;
  std::string detail;  // failure message or limit reached
};

// Returns true when x (inside the box) passed the witness check: the search then stops.
// Called from the worker threads (at most one call at a time).
using CandidateCheck = std::function<bool(const Eigen::VectorXd& x)>;

// `root` must be valid over the box; root_upper[d] a valid upper bound on disjunct d's margin
// (+inf when none). Disjuncts whose root_upper is already < -close_margin count as closed.
// Throws Error{kInvalidInput} for mismatched shapes; everything else ends in the outcome.
BabResult runBab(const nn::Network& net, const encode::Box& box, const encode::NetworkBounds& root,
                 const std::vector<std::vector<data::LinearAtom>>& disjuncts,
                 const std::vector<double>& root_upper, const BabOptions& options,
                 const CandidateCheck& candidate, const Callbacks& callbacks = {});

}  // namespace nnmip::verify
