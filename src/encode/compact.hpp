#pragma once
// The compact formulation of a ReLU network over a Domain: the model the bound tiers, the
// verifier and linear objectives solve.
//
// Stably active and linear neurons get no column: their output is kept as an affine expression
// of the model's columns (the inputs and the outputs h of unstable neurons); stably inactive
// ones are 0. An unstable neuron (L < 0 < U) gets its output h in [0, U] and
//   LP (relax):  h >= a,  h <= U (a - L) / (U - L)                   (the triangle)
//   MILP:        h >= a,  h <= U z,  h - a <= -L (1 - z),  z binary   (big-M, hbar = h - a)
// The triangle is the projection of the big-M LP relaxation (z in [0,1]) onto (a, h), so LP
// optima equal those of the thesis's full model (encodeNetwork) over the same bounds once the
// full model's column bounds L <= a <= U on stable neurons are dropped (they are valid but cut
// the relaxation; the compact form keeps no such range, which is what the bound tiers have
// always solved; tests/bounds/domain_test.cpp checks the equality). The compact form drops the
// equality rows and columns simplex would otherwise carry.
//
// Domain parts: the box gives the input columns' bounds; a split neuron gets its phase as a
// row (inactive: a <= 0 and h = 0; active: a >= 0 and h = a), since bounds computed without
// the split do not imply it; input rows are rows over the input columns; output rows are rows
// over the affine expressions of the outputs (so they need every layer encoded). Bounds of
// neurons that are stable without a split are implied by their validity over the domain and get
// no row.
#include <string_view>
#include <vector>

#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "mip/model.hpp"
#include "nn/network.hpp"

namespace nnmip::encode {

// constant + sum terms (over the columns of one model).
struct AffineExpr {
  std::vector<mip::Term> terms;
  double constant = 0.0;
};

// How a stably active (or split-active) neuron, h = a, enters the rows of later layers.
enum class StableForm {
  // Substituted: its affine expression, composed back through earlier stable chains to the
  // inputs. Dense on deep nets (mnist-net_256x6 at eps 0.05, alpha bounds: 870k terms in the
  // model of layer 5's refinement).
  kComposed,
  // A column and an equality row per neuron, so a layer's rows reference only the previous
  // layer's columns (about n_{l-1} terms each). The column carries the neuron's range
  // [max(0, lo), hi] (valid over the domain; the safe LP bound needs finite columns), so LP
  // optima can only tighten and MILP optima are unchanged.
  kColumns,
  // Both are built; the one with fewer nonzeros in its rows is kept (ties: kComposed). Shallow
  // models are sparser composed (the equality rows repeat the first layer's input terms).
  kSparser,
};

std::string_view stableFormName(StableForm f);  // "composed", "columns", "sparser"
// Throws Error{kInvalidInput} naming the three forms.
StableForm parseStableForm(std::string_view name);

struct CompactOptions {
  bool relax = true;    // LP relaxation (triangles) or MILP (big-M binaries)
  int num_layers = -1;  // encode the activations of layers [0, num_layers); -1: every layer
  StableForm stable_form = StableForm::kComposed;
};

struct CompactEncoding {
  mip::Model model;
  std::vector<mip::Var> inputs;
  struct Unstable {
    nn::NeuronId id;
    mip::Var h;
    mip::Var z;  // invalid in the LP relaxation
  };
  std::vector<Unstable> unstable;
  // StableForm::kColumns: the columns of the stably active neurons (their output h = a).
  std::vector<std::pair<nn::NeuronId, mip::Var>> linear;
  // pre[l][j]: the pre-activation of neuron j of layer l as an affine expression, for every
  // layer l <= num_layers encoded (the layer after the last encoded one included, when it
  // exists), so its bounds can be solved as objectives of this model.
  std::vector<std::vector<AffineExpr>> pre;
  // The network outputs y when every layer is encoded (empty otherwise).
  std::vector<AffineExpr> outputs;
  int num_layers = 0;
  StableForm stable_form = StableForm::kComposed;  // the form built (never kSparser)
  // A split contradicts the bounds, or a side row has no terms and fails: the domain is empty
  // (the model may still be feasible; callers must check this first).
  bool empty = false;

  // A point of `model` (one value per column) from the forward pass of x; feasible when x lies
  // in the domain the encoding was built over.
  // Nonzeros over the model's rows.
  long numTerms() const;
  std::vector<double> pointFromInput(const nn::Network& net, const Vec& x) const;
  // The input part of a model point.
  Vec inputOf(const std::vector<double>& point) const;
};

// Encodes `net` over `domain` with pre-activation bounds `bounds` (valid over the domain; split
// neurons' bounds are clamped here). Output rows need num_layers = -1 (every layer). Throws
// Error{kInvalidInput} on shape mismatches, Error{kUnsupported} as Domain::validate does.
CompactEncoding encodeCompact(const nn::Network& net, const Domain& domain,
                              const NetworkBounds& bounds, const CompactOptions& options = {});

}  // namespace nnmip::encode
