#pragma once
// VNN-LIB property files (the VNN-COMP format): an SMT-LIB-like list of
//   (declare-const X_i Real) / (declare-const Y_j Real)     inputs X_0..X_{n-1}, outputs Y_0..
//   (assert F)                                                 conjoined
// whose conjunction describes the *unsafe* region: a counterexample is an input in the box whose
// network output satisfies the output constraints.
//
// Supported formulas: atoms (<= a b), (>= a b), (< a b), (> a b), (= a b) (two atoms); (and ...),
// (or ...) nested freely; true, false.
//
// Strict comparisons: the VNN-COMP reading takes (< a b) as (<= a b), as the competition's
// verifiers and checkers do (so (assert (< Y_0 Y_0)) can be violated). The atoms keep a `strict`
// flag, so a caller can check a counterexample against the file as written
// (outputUnsafeStrict); strict bounds on inputs bound a closed box either way. An empty (or) or
// a `false` is read as false and noted in `warnings`.
// Terms are numbers, X_i / Y_j, and linear expressions (+ ...), (- a b), (- a), (* c a).
// Each atom may mention inputs or outputs but not both. Atoms over inputs must bound a single
// X_i (a box); atoms over outputs are general linear constraints.
//
// The asserts over inputs are put in disjunctive normal form: each disjunct is a box (ACAS Xu
// prop_6 has two boxes). The asserts over outputs are put in DNF too, giving unsafe_disjuncts.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nnmip::data {

// sum_j coef[j] * Y_j <= rhs (coef has one entry per output). A >= / > atom is negated into
// this form: (>= Y_0 Y_4) becomes Y_4 - Y_0 <= 0, i.e. coef[4] = 1, coef[0] = -1, rhs = 0.
struct LinearAtom {
  std::vector<double> coef;
  double rhs = 0.0;
  bool strict = false;  // written with < or >: coef . y < rhs as written
};

struct InputBox {
  std::vector<double> lo;
  std::vector<double> hi;
};

struct VnnlibProperty {
  int num_inputs = 0;
  int num_outputs = 0;
  // The input box. With several boxes (a disjunction of input constraints) these hold their
  // bounding hull, and input_boxes lists the boxes: a verifier must check each box (the hull
  // is larger than their union).
  std::vector<double> input_lo;
  std::vector<double> input_hi;
  std::vector<InputBox> input_boxes;  // at least one
  // Unsafe region: OR over the disjuncts of (AND of the atoms). An empty list means the output
  // constraints are unsatisfiable (nothing is unsafe); one empty conjunction means every
  // output is unsafe (no output constraint was asserted).
  std::vector<std::vector<LinearAtom>> unsafe_disjuncts;
  // "<file>:<line>:<col>: ..." for constructs that parse but probably do not say what was meant
  // (an empty disjunction, `false`); the CLI prints them on stderr.
  std::vector<std::string> warnings;

  bool singleBox() const { return input_boxes.size() == 1; }
  // True when the output vector y (size num_outputs) satisfies some unsafe disjunct, with each
  // atom checked as coef . y <= rhs + tol.
  bool outputUnsafe(const std::vector<double>& y, double tol = 0.0) const;
  // True when some output constraint is written with < or >.
  bool hasStrictOutputAtoms() const;
  // True when y satisfies some unsafe disjunct as written: strict atoms strictly.
  bool outputUnsafeStrict(const std::vector<double>& y) const;
  // True when x lies in one of the input boxes (within tol).
  bool inputInside(const std::vector<double>& x, double tol = 0.0) const;
};

// Reads and checks a property: every X_i has finite lower and upper bounds with lo <= hi in
// every box, indices are declared 0..n-1 without gaps, and every variable used is declared.
// Errors throw nnmip::Error with one line "<file>:<line>:<col>: <problem>" (kIo when the file
// cannot be read, kUnsupported for constructs outside the list above, kInvalidInput otherwise,
// also for a file that is not a regular file or is larger than kMaxTextInputBytes).
VnnlibProperty readVnnlib(const std::filesystem::path& path);
// The same on text in memory; `origin` names it in error messages.
VnnlibProperty parseVnnlib(std::string_view text, const std::string& origin);

}  // namespace nnmip::data
