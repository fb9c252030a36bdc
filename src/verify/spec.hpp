#pragma once
// A VNN-LIB property as the engines use it: the input checks every engine makes first, and the
// unsafe disjuncts (Spec: margins, margin ranges, margin variables, the attack's objective).
#include <Eigen/Dense>

#include <limits>
#include <string>
#include <vector>

#include "data/vnnlib.hpp"
#include "encode/compact.hpp"
#include "encode/ranges.hpp"
#include "mip/model.hpp"
#include "nn/attack.hpp"
#include "nn/network.hpp"

namespace nnmip::verify {

using Atoms = std::vector<data::LinearAtom>;

// Throws Error{kInvalidInput} when the property's input/output counts differ from the network's,
// a box is malformed or a coefficient is not finite; Error{kUnsupported} for networks the
// engines cannot encode (step activations, a softmax output: VNN-LIB outputs then mean
// probabilities).
void checkProperty(const nn::Network& net, const data::VnnlibProperty& property);
// One owner of a VNN-LIB unsafe region: OR over the disjuncts d of (AND over the atoms a of d of
// coef_a . y <= rhs_a). The margin of d at y is t_d(y) = min_a (rhs_a - coef_a . y); y violates
// d exactly when t_d(y) >= 0 (at a point: disjunctMargin, verify/witness.hpp, with
// kDoubleMarginTol). The atoms are the rows of one matrix (C, rhs), in disjunct order.
struct MarginRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
};

struct Spec {
  Eigen::MatrixXd C;                       // one row per atom: coef
  Eigen::VectorXd rhs;                     // one per atom
  std::vector<int> disjunct_of;            // atom -> disjunct
  std::vector<std::vector<int>> atoms_of;  // disjunct -> atom rows

  Spec() = default;
  Spec(const std::vector<Atoms>& disjuncts, int num_outputs);

  int numDisjuncts() const { return static_cast<int>(atoms_of.size()); }
  // The atom rows of the given disjuncts, in order.
  std::vector<int> rowsOf(const std::vector<int>& disjuncts) const;
  // Rows C y + c0 = coef_a . y - rhs_a of those atoms: a lower bound on each is minus an upper
  // bound on rhs_a - coef_a . y.
  Eigen::MatrixXd rowsMatrix(const std::vector<int>& rows) const { return C(rows, Eigen::all); }
  Eigen::VectorXd rowsConstant(const std::vector<int>& rows) const { return -rhs(rows); }
  // Per disjunct of `open`: min over its atoms of -atom_lower (atom_lower laid out as
  // rowsOf(open)), an upper bound on its margin.
  std::vector<double> marginUpper(const std::vector<int>& open,
                                  const Eigen::VectorXd& atom_lower) const;
  // Range of t_d over the output box y (interval arithmetic, per atom, then min over atoms).
  MarginRange marginRange(int d, const encode::LayerBounds& y) const;
  // The margin variable t of d in [t_lo, t_hi] with rows t + coef_a . y <= rhs_a (t <= every
  // slack; maximising t gives the largest margin), y_j = outputs[j].
  mip::Var addMarginVar(mip::Model& model, int d, const std::vector<encode::AffineExpr>& outputs,
                        double t_lo, double t_hi, const std::string& name = {}) const;
  // f(y) = max over the `active` disjuncts of t_d(y) (> 0 where y violates the property), with
  // its gradient; `*this` must outlive the objective.
  nn::OutputObjective objective(std::vector<int> active) const;
  nn::OutputObjective objective() const;  // over every disjunct
};

// Output variables y_j as the AffineExprs Spec::addMarginVar takes.
std::vector<encode::AffineExpr> outputExprs(const std::vector<mip::Var>& outputs);

}  // namespace nnmip::verify
