#pragma once
// A sound piecewise-linear sandwich of softmax for MILPs over logits z (K classes):
// p_k = softmax_k(z) = 1 / S_k,  S_k = 1 + sum_{j != k} e^{d_jk},  d_jk = z_j - z_k in [dl, du].
// The ranges come from the caller (logit bounds, or linearBound of z_j - z_k); they are also
// added as rows dl <= z_j - z_k <= du. Each class gets one column p_k in [pl_k, pu_k] (pu =
// 1/(1 + sum_j e^dl), pl = 1/(1 + sum_j e^du), monotonicity) and, per requested side:
//
// UPPER side (p_k cannot rise far above softmax_k(z)): every true point satisfies the rows, and
// every feasible p_k is <= softmax_k(z) + upper_error.
//   (a) u_jk >= 0 and tangent cuts u_jk >= e^a (1 + d_jk - a) at points a of a grid (step
//       `tangent_step`) in [max(dl, d_min), min(du, log C)], keeping only tangents whose value
//       at du is <= C. Tangents of the convex exp lie below it, so u = phi(d) := min(e^d, C)
//       satisfies every cut; column bound u_jk <= min(e^du, C).
//   (b) S_k = 1 + sum_j u_jk, and the true point has S_k~ := 1 + sum_j phi(d_jk) <= 1/p_k
//       (phi <= exp), i.e. p_k <= 1 / S_k~.
//   (c) the p-range [max(pl, p_floor), pu] is cut into `segments` pieces uniform in sqrt(p), plus
//       a piece [pl, p_floor] when pl < p_floor; binary y_i per piece, sum_i y_i = 1,
//       sum_i y_i lo_i <= p_k <= sum_i y_i hi_i, and on every piece except [pl, p_floor] the
//       chord of 1/p through its end points:
//         S_k <= (lo_i + hi_i - p_k) / (lo_i hi_i) + M_i (1 - y_i).
//       1/p is convex, so on [lo_i, hi_i] its chord lies above it: the true point, with y_i of
//       its piece, satisfies S_k~ <= 1/p_k <= chord_i(p_k). M_i = S_max - chord_i(pu_k) makes
//       the row void for the other pieces (S_k <= S_max = 1 + sum_j min(e^du, C)).
//   (e) (no binaries) p_k <= f(d_jk) := 1/(1 + e^{d_jk}) for every j (one term of S_k alone); f
//       is concave for d <= 0 and convex for d >= 0, so a tangent at a <= 0 lies above f on
//       [dl, 0], and if it is >= f(du) at du it lies above the convex part too: rows at up to 17
//       points of [dl, min(du, 0)].
//   How loose: the cuts under-estimate phi by a relative factor rho (about tangent_step^2 / 8),
//   the chords over-estimate by at most (sqrt(hi_i) - sqrt(lo_i))^2, the first piece by p_floor,
//   the cap by 1/(1+C); `upper_error` combines these a priori (the exp part on grids of 2000
//   points per pair: an estimate, not a certificate; no dual bound depends on it).
//
// LOWER side (p_k cannot fall far below softmax_k(z)): every true point satisfies the rows, and
// every feasible p_k is >= softmax_k(z) - lower_error.
//   (f) u'_jk in [0, min(e^du, C)]; the part of [dl, du] below log C is cut into at most
//       `lower_pieces` pieces of width >= `lower_piece_width` (a part above log C is one more,
//       flat piece where u' <= C); with more than one piece, binary w_i per piece, sum w = 1,
//       sum w lo_i <= d_jk <= sum w hi_i, and on each chord piece
//         u'_jk <= e^lo + s_i (d_jk - lo) + M_i (1 - w_i),  s_i = (e^hi - e^lo) / (hi - lo):
//       exp is convex, so its chord lies above it on the piece; u' = phi(d) satisfies the row of
//       its own piece, and M_i = max over the ranges of u' - chord_i voids the others.
//   (g) tangents of the convex 1/S (they lie below it) at points s0 of a geometric grid
//       (`lower_tangents` points) in [1 + sum_j e^dl, min(1 + sum_j min(e^du, C), (1 + C)/2)]:
//         p_k >= 2/s0 - (1 + sum_j u'_jk) / s0^2.
//       With every d_jk <= log C the true point has 1 + sum u' = S_k and p_k = 1/S_k lies above
//       every tangent; when some d_jk > log C, 1 + sum u' >= 1 + C and a tangent at s0 <=
//       (1 + C)/2 is <= 0 there. 1 + sum u' cannot exceed 1 + sum of the chords (<= rho' S_k,
//       rho' the chords' largest ratio to exp), so p_k cannot fall far below 1/S_k.
//   How loose: p_k - p_hat_k <= (1 - 1/rho') pu_k + max_S (1/S - max tangent(S)), and at most
//   2/(1 + C) in the capped region; `lower_error` is that bound (the tangent gap on a grid of
//   4000 points: an estimate).
//
// Rounding: tangent cuts are lowered by 1e-9 e^a, the chords of 1/p raised by 1e-9 / lo_i, the
// chords of exp raised by 1e-9 e^hi, the tangents of 1/S lowered by 1e-9 / s0.
#include <Eigen/Dense>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mip/model.hpp"

namespace nnmip::encode {

struct SoftmaxPwlOptions {
  double tangent_step = 0.25;  // upper side: spacing of the exp tangent points
  double d_min = -12.0;        // upper side: no tangents below (error <= e^d_min per pair)
  double cap = 1e4;            // C: u stands for min(e^d, C)
  int segments = 16;           // upper side: pieces of the chord PWL of 1/p (uniform in sqrt p)
  double p_floor = 1e-4;       // upper side: below this, p_k has no chord row (error <= p_floor)
  bool pair_cuts = true;       // upper side: rows (e)
  int lower_pieces = 8;        // lower side: most chord pieces of exp per pair
  double lower_piece_width = 0.25;  // lower side: narrowest piece (fewer pieces on short ranges)
  int lower_tangents = 24;          // lower side: tangent points of 1/S per class
  bool difference_rows = true;      // add dl <= z_j - z_k <= du as rows
  bool sum_to_one = false;          // add sum_k p_k = 1 (a valid equality)
};

enum class SoftmaxSides : uint8_t { kUpper = 1, kLower = 2, kBoth = 3 };
inline bool hasSide(SoftmaxSides s, SoftmaxSides side) {
  return (static_cast<uint8_t>(s) & static_cast<uint8_t>(side)) != 0;
}

struct SoftmaxPwlClass {
  mip::Var p;
  double pl = 0.0, pu = 1.0;
  double upper_error = 0.0;  // a priori: p_hat_k - softmax_k(z) <= upper_error
  double lower_error = 0.0;  // a priori: softmax_k(z) - p_hat_k <= lower_error
  // Upper side (for MIP starts).
  mip::Var s;
  std::vector<std::pair<int, mip::Var>> u;  // (j, u_jk)
  std::vector<double> u_hi;                 // min(e^du, C) per u
  struct Piece {
    double lo, hi;
    bool chord;
    mip::Var y;
  };
  std::vector<Piece> pieces;
  std::vector<std::pair<int, std::vector<double>>> tangents;  // (j, points)
  // Lower side.
  struct PairChords {
    int j = -1;
    mip::Var u;
    std::vector<Piece> pieces;  // chord = false: the flat piece above log C
  };
  std::vector<PairChords> chords;
};

struct SoftmaxPwl {
  std::vector<SoftmaxPwlClass> classes;
  SoftmaxSides sides = SoftmaxSides::kUpper;
  double upper_error = 0.0;  // max over classes
  double lower_error = 0.0;
  double cap = 1e4;
  std::vector<mip::Var> probabilities() const;
};

// Throws Error{kInvalidInput} for options out of range, ranges of the wrong shape or crossed.
// dlo(j, k) <= z_j - z_k <= dhi(j, k) must hold on the domain (the diagonal is ignored);
// `after_class(k, class)` runs after class k's rows (a caller adding rows per class keeps one
// column order). Column and row names start with `prefix`.
SoftmaxPwl encodeSoftmaxPwl(
    mip::Model& model, std::span<const mip::Var> logits, const Eigen::MatrixXd& dlo,
    const Eigen::MatrixXd& dhi, const SoftmaxPwlOptions& options, SoftmaxSides sides,
    const std::string& prefix = "",
    const std::function<void(int, const SoftmaxPwlClass&)>& after_class = {});

// Fills the sandwich's columns of `start` (one value per model column) from the logits z of a
// point: p = softmax(z) clamped to [pl, pu], u on the cuts, the pieces holding the point.
void setSoftmaxPwlStart(const SoftmaxPwl& enc, const Eigen::VectorXd& z,
                        std::vector<double>& start);

// Stable softmax.
Eigen::VectorXd softmax(const Eigen::VectorXd& z);

}  // namespace nnmip::encode
