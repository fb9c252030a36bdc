#pragma once
// Projected-gradient attack over an input box: the library's one way to search a box for
// inputs whose outputs maximise an objective (tests, benches and the verifier's sat search).
//
//   maximise  f(forward(x))   over  lo <= x <= hi
//
// f is either the largest of several linear functions of the outputs, max_r (C y + c0)_r
// (attackMaxLinear), or a caller's batched objective with its gradient in y (attackBox).
//
// Method (one round; rounds repeat with fresh random starts until the budget ends):
//   - `restarts` points move together as the rows of one matrix (one GEMM per layer per step);
//   - starts: the box centre (row 0, optional), uniform random points, and output-diversified
//     starts (ODI): from a uniform point, `diversify_steps` signed-gradient steps on w . y, for a
//     random direction w in output space, or for one of the caller's `targets` (attackMaxLinear
//     passes the rows of C, so every linear function gets starts that push towards it);
//   - then `steps` signed-gradient steps on f, step_r,i = step_size * (hi_i - lo_i) * decay^k,
//     each followed by clipping to the box, so no iterate ever leaves the box;
//   - the best point of every row is kept (the objective is evaluated at every iterate).
// Everything is in double. Seeded with core/rng.hpp: the same options give the same points.
//
// Supported layers: identity and ReLU, and a final softmax (its Jacobian is used); step
// activations have no gradient (Error{kUnsupported}). ReLU's derivative at 0 is taken as 0.
#include <functional>
#include <limits>
#include <optional>

#include "core/callbacks.hpp"
#include "nn/forward.hpp"
#include "nn/network.hpp"

namespace nnmip::nn {

// Batched objective over outputs: Y is n x m (one output vector per row). Must fill value
// (size n) and, when grad_y is non-null, d value / d Y (n x m).
using OutputObjective = std::function<void(const Mat& Y, Vec& value, Mat* grad_y)>;

struct AttackOptions {
  int restarts = 64;               // points per round (rows of the batch)
  int rounds = 1;                  // rounds of `restarts` points; more only within the time limit
  int steps = 100;                 // gradient steps per round
  double step_size = 0.25;         // first step as a fraction of each input's box width
  double decay = 0.97;             // step multiplier per step
  int diversify_steps = 2;         // ODI steps at the start of diversified rows (0: none)
  double diversified_share = 0.5;  // share of the rows (besides the centre) started by ODI
  bool include_center = true;      // row 0 of the first round starts at the box centre
  uint64_t seed = 1;
  // Stop as soon as some point reaches value >= target (+inf: never).
  double target = std::numeric_limits<double>::infinity();
  std::optional<double> time_limit_s;  // wall clock; checked between steps
  // Output directions for ODI (k x m; empty: random directions only). Rows with ODI take these
  // in turn first, then random directions.
  Mat targets;
  // Caller's start points (k x n_inputs, clipped to the box): the first rows of round 0 after
  // the centre, e.g. solver incumbents to polish. Extra rows beyond `restarts` are ignored.
  Mat starts;

  // Throws Error{kInvalidInput} naming the first field out of its range: restarts, rounds >= 1;
  // steps, diversify_steps >= 0; step_size > 0; decay in (0, 1]; diversified_share in [0, 1];
  // target not NaN; time_limit_s >= 0. (targets / starts are checked against the network.)
  void validate() const;
};

struct AttackResult {
  Vec x;  // best input found (inside the box)
  Vec y;  // forward(x) in double
  double value = -std::numeric_limits<double>::infinity();
  long evaluations = 0;  // points evaluated (forward passes)
  int rounds = 0;        // rounds started
  bool reached_target = false;
  bool stopped = false;  // ended by the time limit or Callbacks::should_stop
  double wall_s = 0.0;
};

// Throws Error{kInvalidInput} for a box of the wrong size, NaN bounds or lo > hi, or options out
// of range; Error{kUnsupported} for step layers.
AttackResult attackBox(const Network& net, const Vec& lo, const Vec& hi,
                       const OutputObjective& objective, const AttackOptions& options = {},
                       const Callbacks& callbacks = {});

// max_r (C y + c0)_r: C is k x m (k >= 1), c0 has k entries. ODI targets default to C's rows.
AttackResult attackMaxLinear(const Network& net, const Vec& lo, const Vec& hi, const Mat& C,
                             const Vec& c0, const AttackOptions& options = {},
                             const Callbacks& callbacks = {});

// The objective max_r (C y + c0)_r as an OutputObjective (subgradient: the arg-max row of C).
OutputObjective maxLinearObjective(const Mat& C, const Vec& c0);

// d f / d X for a batch: given the trace of X and G = d f / d Y (n x m), returns n x n_inputs.
Mat inputGradientBatch(const Network& net, const Mat& X, const BatchTrace& trace,
                       const Mat& grad_y);

}  // namespace nnmip::nn
