#pragma once
// The region a formulation of a network ranges over: one owner for "the network as constraints
// over what".
//
//   Domain = input box  lo <= x <= hi
//          + ReLU phase decisions (splits)  a_n <= 0 (inactive) or a_n >= 0 (active)
//          + linear rows over the inputs    lo_r <= c_r . x <= hi_r
//          + linear rows over the outputs   lo_r <= c_r . y <= hi_r
//
// y is the output of the last layer: the logits of an identity layer, h of a final ReLU. A
// network that ends in softmax outputs probabilities, so rows over its outputs are refused
// (Error{kUnsupported}, one line) unless `outputs_are_logits` says the caller means the
// logits (validate()).
//
// Who honours what:
//   LP, MILP, the compact and the full big-M encodings: every part (a split neuron gets
//   a <= 0, h = 0 or a >= 0, h = a as rows over the model's columns);
//   interval, symbolic, alpha: the box and the splits (bounds of a split neuron clamped at 0);
//   they ignore the side rows, which is valid (the domain only shrinks) but looser;
//   naive: the box only.
#include <Eigen/Dense>

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::encode {

enum class Phase : uint8_t { kInactive, kActive };
const char* phaseName(Phase phase);

// lo <= coef . v <= hi (one side may be infinite).
struct LinearRow {
  Vec coef;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

struct Domain {
  Box box;
  std::map<nn::NeuronId, Phase> splits;
  std::vector<LinearRow> input_rows;
  std::vector<LinearRow> output_rows;
  bool outputs_are_logits = false;  // output rows of a softmax-ended network mean logits

  Domain() = default;
  explicit Domain(Box b) : box(std::move(b)) {}

  std::optional<Phase> phaseOf(nn::NeuronId id) const;
  // A copy with one more split (replacing an earlier decision on the same neuron).
  Domain withSplit(nn::NeuronId id, Phase phase) const;
  bool hasSideRows() const { return !input_rows.empty() || !output_rows.empty(); }

  // Throws Error{kInvalidInput} naming `origin` for a box of the wrong size, rows of the wrong
  // size or with NaN / inverted sides, splits on neurons that do not exist or are not ReLU;
  // Error{kUnsupported} for output rows on a softmax-ended network without outputs_are_logits.
  void validate(const nn::Network& net, const std::string& origin = "domain") const;
  // Whether x lies in the box and satisfies the input rows (within tol). Splits and output rows
  // need a forward pass: see satisfiedBy.
  bool inputFeasible(const Vec& x, double tol = 0.0) const;
  // Whether x is a point of the domain: input feasible, every split's phase holds at x
  // (a <= tol for inactive, a >= -tol for active) and the output rows hold (within tol).
  bool satisfiedBy(const nn::Network& net, const Vec& x, double tol = 0.0) const;
};

// Clamps the pre-activation bounds of split neurons (inactive: hi = min(hi, 0), active:
// lo = max(lo, 0)). Returns false when a split empties a neuron's range (lo > hi: the domain
// is empty), leaving the bounds unchanged for that neuron.
bool applySplits(const Domain& domain, int layer, LayerBounds& bounds);

}  // namespace nnmip::encode
