#pragma once
// The pieces of the ReLU-split branch and bound (verify/bab.hpp) that its parts share: a search
// node and the read-only context of one search. Bounding (bab_bounding.hpp), branching
// (bab_branching.hpp) and the search (bab.cpp) all work on these; nothing here runs a bound.
#include <Eigen/Dense>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "bounds/backsub.hpp"
#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"
#include "verify/bab.hpp"
#include "verify/spec.hpp"

namespace nnmip::verify::bab {

// A node: the box with the phase splits made so far, pre-activation bounds valid over that
// domain, and the disjuncts still open there with their margin bounds.
struct Node {
  std::map<nn::NeuronId, encode::Phase> splits;
  std::vector<encode::LayerBounds> bounds;  // pre-activation bounds valid over the node's domain
  std::vector<int> open;                    // disjuncts still open here
  std::vector<double> ub;                   // their margin bounds (aligned with `open`)
  int depth = 0;
  long seq = 0;
  bool lp_done = false;       // the node LP ran on this node's bounds
  bounds::SlopeState slopes;  // of the spec bound at this node (empty at the root)
  double key() const {
    return ub.empty() ? -std::numeric_limits<double>::infinity()
                      : *std::max_element(ub.begin(), ub.end());
  }
  // Heap memory the node holds (its vectors, map entries and slopes) plus the struct itself:
  // what the queue limit (BabOptions::max_queue_mb) counts.
  std::size_t bytes() const;
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
          const BabOptions& o);

  encode::Domain domainOf(const Node& node) const;
};

// The spec rows C y + c0 (coef_a . y - rhs_a) of the atoms of a node's open disjuncts.
struct SpecRows {
  std::vector<int> ids;  // Spec row ids, rowsOf(open)
  Eigen::MatrixXd C;
  Eigen::VectorXd c0;
};
SpecRows specRows(const Spec& spec, const std::vector<int>& open);

// Unstable neurons (lo < 0 < hi) of the relaxed layers under the bounds `b`.
int countUnstable(const Context& c, const std::vector<encode::LayerBounds>& b);

}  // namespace nnmip::verify::bab
