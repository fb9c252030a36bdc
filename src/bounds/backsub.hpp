#pragma once
// The one owner of "a linear lower bound of C v + c0 through relaxed ReLUs" (CROWN / alpha-CROWN
// / beta-CROWN back-substitution). Every bound tier and verifier that needs such a bound calls
// this file: the symbolic tier (bounds/propagation.cpp), the alpha tier (bounds/alpha.cpp), the
// ReLU-split BaB (verify/bab.cpp) and the input-split engine (verify/input_split.cpp).
//
// Relaxation (relaxLayers), per neuron n of layers 0 .. P-1 with pre-activation bounds [l, u]
// valid over the domain (splits already applied to them):
//   u <= 0 (stably inactive, or split inactive)   h = 0
//   l >= 0, or an identity layer                   h = a
//   l < 0 < u (unstable)                           alpha a <= h <= s (a - l),  s = u / (u - l),
//                                                  alpha in [0, 1]; the adaptive start
//                                                  alpha0 = 1 if u >= -l else 0.
// Split constraints (beta-CROWN, Wang et al. 2021) enter through multipliers beta_n >= 0:
// on the domain, sigma_n a_n <= 0 (sigma = +1 inactive, -1 active), so for every beta >= 0
//   C v + c0 >= C v + c0 + sum_n beta_n sigma_n a_n.
// Back-substitution (backSubstitute) of rows M h(P-1) + m0 (LinearRows, e.g. C W_P, C b_P + c0)
// goes down the layers: a positive coefficient of h takes the lower line, a negative one the
// upper line, then a = W h + b; at the input the rows are A x + c, and A x + c >= C v + c0 at
// every x of the domain. min over the box of A x + c (at the vertex x*: lo where A > 0, hi
// where A < 0) is a valid lower bound for EVERY alpha in [0, 1] and beta >= 0.
//
// Tiers: symbolic = one pass at alpha0, beta = 0 (SlopeOptimiser::iterations = 0); alpha tier =
// projected Adam ascent over alpha; beta-CROWN in BaB = ascent over alpha and beta (splits given
// to relaxLayers). Every iterate is a valid bound; the best per row is returned. Iteration 0
// (cold) is the symbolic tier's bound.
//
// Numerics: plain double arithmetic, no directed rounding; a verifier decides with a margin
// (VERIFY.md section 4).
#include <Eigen/Dense>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

enum class NeuronState : std::uint8_t {
  kZero,      // h = 0 (listed only when the neuron is split: its beta term)
  kLinear,    // h = a
  kUnstable,  // alpha a <= h <= s (a - l)
};

// One relaxed layer, restricted to the neurons that matter: `a_idx` those whose pre-activation
// enters the bound (h not fixed at 0, or split), `h_idx` those whose h may be non-zero (the
// columns the next layer reads). Vectors are indexed by position in a_idx.
struct LayerRelaxation {
  int width = 0;  // neurons of the layer
  std::vector<int> a_idx, h_idx;
  std::vector<int> h_in_a;  // position in a_idx of each h_idx entry
  std::vector<NeuronState> state;
  Eigen::MatrixXd w;  // weight rows a_idx, columns the h_idx of the layer before (inputs: all)
  Eigen::VectorXd bias;
  Eigen::VectorXd s, t;    // upper line s a + t of unstable entries (t = -s l), else 0
  Eigen::VectorXd sigma;   // +1 split inactive, -1 split active, 0 not split (or no betas)
  Eigen::VectorXd alpha0;  // adaptive lower slope of unstable entries, 1 for h = a, 0 for h = 0
  // The same over h_idx (s, t, and 1 where unstable, else 0): the passes work on these columns.
  Eigen::VectorXd s_h, t_h, unstable_h;
  bool a_is_h = true;  // a_idx == h_idx (no split-inactive entry)
  int num_unstable = 0;
  int num_split = 0;
};

// The relaxations of layers 0 .. P-1 over a box.
struct Relaxation {
  Eigen::VectorXd in_lo, in_hi;
  std::vector<LayerRelaxation> layers;
  int num_unstable = 0;
  int num_split = 0;
  std::vector<int> top;  // columns of h(P-1) that may be non-zero (P = 0: every input)
};

using SplitMap = std::map<nn::NeuronId, encode::Phase>;

// Relaxes layers 0 .. num_layers-1 with `bounds` (valid over the domain, the splits applied;
// at least num_layers entries). With `beta_splits`, every split neuron of those layers gets a
// beta multiplier; without, splits act only through the clamped bounds (symbolic, alpha tiers).
Relaxation relaxLayers(const nn::Network& net, const encode::Box& box,
                       const std::vector<encode::LayerBounds>& bounds, int num_layers,
                       const SplitMap* beta_splits = nullptr);
// Relaxes the next layer (index relaxation.layers.size()) with its bounds `b` (layer-by-layer
// tiers grow one relaxation instead of rebuilding it).
void appendLayer(Relaxation& relaxation, const nn::Network& net, const encode::LayerBounds& b,
                 const SplitMap* beta_splits = nullptr);

// Rows M h(P-1) + m0 over a relaxation: M has one column per entry of relaxation.top (the
// columns of h(P-1) that may be non-zero; the inputs when P = 0).
struct LinearRows {
  Eigen::MatrixXd coef;
  Eigen::VectorXd constant;
};
// Rows given over the full width of h(P-1): their top columns.
LinearRows rowsOverTop(const Relaxation& relaxation, const Eigen::MatrixXd& coef,
                       const Eigen::VectorXd& constant);
// C a(P) + c0 with a(P) = W h(P-1) + b, P = the relaxation's depth.
LinearRows rowsOnLayer(const nn::Network& net, const Relaxation& relaxation,
                       const Eigen::MatrixXd& c, const Eigen::VectorXd& c0);
// C y + c0 over the network's outputs y, for a relaxation of outputRelaxDepth(net) layers (a
// final ReLU is relaxed too; otherwise y = a(last)).
int outputRelaxDepth(const nn::Network& net);
LinearRows rowsOnOutputs(const nn::Network& net, const Relaxation& relaxation,
                         const Eigen::MatrixXd& c, const Eigen::VectorXd& c0);

// Optimised relaxation parameters per row (the best iterate's), keyed by neuron and by the
// caller's row ids, so that a later call over other bounds (a BaB child) can start from them
// (warm start, as alpha-beta-CROWN inherits them). Any alpha in [0, 1] and beta >= 0 is valid,
// so inheriting never costs soundness; neurons or rows it lacks start cold. Floats: a BaB queue
// holds one per node.
struct SlopeState {
  struct Layer {
    std::vector<int> alpha_idx;  // unstable neurons (sorted), columns of alpha
    std::vector<int> beta_idx;   // split neurons (sorted), columns of beta
    Eigen::MatrixXf alpha, beta;
  };
  std::vector<int> rows;  // caller's row ids, one per matrix row
  std::vector<Layer> layers;
  bool empty() const { return layers.empty(); }
};

// When the ascent stops.
enum class StopRule {
  kAllRows,      // once every row's best bound is >= stop_at (rows keep stepping until then)
  kGroupLeaves,  // a group of rows leaves the batch once one of its rows is >= stop_at
};

// The vertex's input where a row's input coefficient is exactly 0 (the bound does not depend on
// it there; any point of [lo, hi] minimises, and the ascent's gradient is taken at the vertex).
enum class ZeroCoefInput { kLower, kCentre };

// Projected Adam ascent on alpha (in [0, 1]) and beta (>= 0), one of each per row and neuron.
struct SlopeOptimiser {
  int iterations = 0;     // gradient steps (0: the one pass at the start point)
  double lr_alpha = 0.1;  // Adam step on alpha
  double lr_beta = 0.05;  // Adam step on beta
  double decay = 0.98;    // both steps multiplied by this after every step
  double stop_at = std::numeric_limits<double>::infinity();
  StopRule stop_rule = StopRule::kAllRows;
  ZeroCoefInput zero_coef = ZeroCoefInput::kCentre;
  // A layer whose alpha gets no gradient in a step (no unstable neuron with a positive
  // coefficient in any row) still moves by its Adam momentum (true, as the alpha tier) or keeps
  // its slopes (false, as BaB's beta-CROWN). Kept apart so that the port changed no number.
  bool idle_momentum = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;  // no step starts after it
};

struct BackSubRequest {
  bool want_layer_coefs = false;  // coefficients of each row on every relaxed layer's h
  bool want_input_form = false;   // A, c and the vertex
  bool keep_slopes = false;       // the best iterate's parameters (needs row_ids)
  std::vector<int> row_ids;       // the caller's names of the rows (warm / keep_slopes)
  std::vector<int> groups;        // kGroupLeaves: group of each row (empty: one per row)
  const SlopeState* warm = nullptr;
};

struct BackSubResult {
  Eigen::VectorXd lower;  // best bound per row over the iterates
  int steps = 0;          // gradient steps taken
  // want_layer_coefs, of each row's last iterate: layer_coefs[i] is rows x width(i), the
  // coefficients on h(i) (0 where h(i) is fixed at 0).
  std::vector<Eigen::MatrixXd> layer_coefs;
  // want_input_form, of each row's last iterate: rows A x + c (rows x inputs) and the box
  // vertex minimising each (rows x inputs; SlopeOptimiser::zero_coef where a coefficient is 0).
  // With no steps, A vertex + c = lower.
  Eigen::MatrixXd a;
  Eigen::VectorXd c;
  Eigen::MatrixXd vertex;
  SlopeState slopes;  // keep_slopes
};

// Lower bounds of `rows` through `relaxation` (see the file comment).
BackSubResult backSubstitute(const Relaxation& relaxation, const LinearRows& rows,
                             const SlopeOptimiser& optimiser = {},
                             const BackSubRequest& request = {});

}  // namespace nnmip::bounds
