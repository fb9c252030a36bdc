#include "compare/diff_bounds.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace nnmip::compare {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

namespace {

// Interval of M v over v in [lo, hi].
void intervalProduct(const Mat& M, const Vec& lo, const Vec& hi, Vec& out_lo, Vec& out_hi) {
  const Vec c = 0.5 * (lo + hi), r = 0.5 * (hi - lo);
  const Vec mc = M * c, mr = M.cwiseAbs() * r;
  out_lo = mc - mr;
  out_hi = mc + mr;
}

// A line h <= s a + t (or >=) of a ReLU over [l, u].
struct Line {
  double s = 0.0, t = 0.0;
};
// The triangle's upper line and the adaptive lower line (slope 1 if u >= -l else 0) of an
// unstable ReLU (l < 0 < u).
Line reluUpper(double l, double u) {
  const double s = u / (u - l);
  return {s, -s * l};
}
Line reluLower(double l, double u) { return {u >= -l ? 1.0 : 0.0, 0.0}; }

// The range of dh allowed by min(0, dz) <= dh <= max(0, dz) over dz in [dl, du].
double chordWidth(double dl, double du) { return std::max(0.0, du) - std::min(0.0, dl); }

// Lower bounds of G_dz dz_l + G_b a^B_l + c over the box, by back-substitution to the input.
// `dz` holds the (intersected) bounds of the layers below l.
class BackSubstitution {
 public:
  BackSubstitution(const nn::Network& a, const nn::Network& b, const encode::Box& input,
                   const std::vector<encode::LayerBounds>& a_pre,
                   const std::vector<encode::LayerBounds>& b_pre,
                   const std::vector<encode::LayerBounds>& dz)
      : a_(a), b_(b), input_(input), a_pre_(a_pre), b_pre_(b_pre), dz_(dz) {}

  Vec lower(int layer, Mat g_dz) const {
    Mat g_b = Mat::Zero(g_dz.rows(), g_dz.cols());
    Vec c = Vec::Zero(g_dz.rows());
    for (int k = layer; k >= 1; --k) {
      const nn::DenseLayer& la = a_.layer(k);
      const nn::DenseLayer& lb = b_.layer(k);
      // dz_k = W_A dh + (W_A - W_B) h^B + db;  a^B_k = W_B h^B + b_B (h of layer k - 1).
      const Mat p = g_dz * la.weight;
      Mat q = g_dz * (la.weight - lb.weight) + g_b * lb.weight;
      c += g_dz * (la.bias - lb.bias) + g_b * lb.bias;
      Mat nd = Mat::Zero(p.rows(), p.cols()), nb = Mat::Zero(p.rows(), p.cols());
      relaxLayer(k - 1, p, q, nd, nb, c);
      g_dz = std::move(nd);
      g_b = std::move(nb);
    }
    const nn::DenseLayer& la = a_.layer(0);
    const nn::DenseLayer& lb = b_.layer(0);
    const Mat gx = g_dz * (la.weight - lb.weight) + g_b * lb.weight;
    c += g_dz * (la.bias - lb.bias) + g_b * lb.bias;
    // min over the box: lo where the coefficient is positive, hi where negative.
    const Mat pos = gx.cwiseMax(0.0), neg = gx.cwiseMin(0.0);
    return c + pos * input_.lo + neg * input_.hi;
  }

 private:
  // Replaces p dh_j + q h^B_j (columns j of layer k) by lower lines in dz_k (nd), a^B_k (nb), c.
  void relaxLayer(int k, const Mat& p, Mat& q, Mat& nd, Mat& nb, Vec& c) const {
    const auto& A = a_pre_[static_cast<size_t>(k)];
    const auto& B = b_pre_[static_cast<size_t>(k)];
    const auto& D = dz_[static_cast<size_t>(k)];
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      const double la = A.lo[j], ua = A.hi[j], lb = B.lo[j], ub = B.hi[j];
      const bool a_on = la >= 0.0, a_off = ua <= 0.0, b_on = lb >= 0.0, b_off = ub <= 0.0;
      const auto pj = p.col(j);
      if (a_on) {
        // dh = a^A - h^B = dz + a^B - h^B (the last two terms vanish when B is active).
        nd.col(j) += pj;
        if (!b_on) {
          nb.col(j) += pj;
          q.col(j) -= pj;
        }
      } else if (a_off) {
        q.col(j) -= pj;  // dh = -h^B
      } else if (b_on || b_off || chordWidth(D.lo[j], D.hi[j]) > ua + ub) {
        // dh = relu(a^B + dz) - (a^B if B is active, h^B if unstable, 0 if inactive): A's own
        // lines in a^A = a^B + dz. Both unstable, this is taken when the chords below would be
        // looser (dz wider than the two ReLUs' ranges together).
        const Line lo = reluLower(la, ua), up = reluUpper(la, ua);
        const Vec pos = pj.cwiseMax(0.0), neg = pj.cwiseMin(0.0);
        const Vec s = lo.s * pos + up.s * neg;
        nd.col(j) += s;
        nb.col(j) += s;
        if (b_on) nb.col(j) -= pj;
        if (!b_on && !b_off) q.col(j) -= pj;
        c += up.t * neg;
      } else {
        // Both unstable: min(0, dz) <= dh <= max(0, dz), each side by its chord over [dl, du].
        const double dl = D.lo[j], du = D.hi[j];
        const Vec pos = pj.cwiseMax(0.0), neg = pj.cwiseMin(0.0);
        if (du - dl <= 1e-12 * (1.0 + std::abs(dl))) {
          c += std::min(0.0, dl) * pos + std::max(0.0, du) * neg;
        } else if (dl >= 0.0) {  // 0 <= dh <= dz
          nd.col(j) += neg;
        } else if (du <= 0.0) {  // dz <= dh <= 0
          nd.col(j) += pos;
        } else {
          const double w = du - dl;
          nd.col(j) += (-dl / w) * pos + (du / w) * neg;
          c += (dl * du / w) * pos + (-du * dl / w) * neg;
        }
      }
      // h^B_j with its coefficient (the dh cases above may have moved some of it there).
      const auto qj = q.col(j);
      if (b_on) {
        nb.col(j) += qj;
      } else if (!b_off) {
        const Line lo = reluLower(lb, ub), up = reluUpper(lb, ub);
        const Vec pos = qj.cwiseMax(0.0), neg = qj.cwiseMin(0.0);
        nb.col(j) += lo.s * pos + up.s * neg;
        c += up.t * neg;
      }
    }
  }

  const nn::Network& a_;
  const nn::Network& b_;
  const encode::Box& input_;
  const std::vector<encode::LayerBounds>& a_pre_;
  const std::vector<encode::LayerBounds>& b_pre_;
  const std::vector<encode::LayerBounds>& dz_;
};

void widen(Vec& lo, Vec& hi) {
  const Vec slack = 1e-9 * (Vec::Ones(lo.size()) + lo.cwiseAbs().cwiseMax(hi.cwiseAbs()));
  lo -= slack;
  hi += slack;
}

}  // namespace

bool differenceBoundsApply(const nn::Network& a, const nn::Network& b) {
  if (a.sizes() != b.sizes() || a.numLayers() == 0) return false;
  for (int l = 0; l < a.numLayers(); ++l) {
    const nn::Activation want =
        l + 1 == a.numLayers() ? nn::Activation::kIdentity : nn::Activation::kRelu;
    if (a.layer(l).activation != want || b.layer(l).activation != want) return false;
  }
  return true;
}

DifferenceBounds differenceBounds(const DifferenceProblem& p, bool symbolic) {
  const nn::Network& a = p.a;
  const nn::Network& b = p.b;
  const encode::Box& input = p.input;
  const auto& a_pre = p.a_pre;
  const auto& b_pre = p.b_pre;
  DifferenceBounds out;
  if (!differenceBoundsApply(a, b)) return out;
  const int layers = a.numLayers();
  const BackSubstitution backsub(a, b, input, a_pre, b_pre, out.dz);
  Vec hb_lo, hb_hi;
  for (int l = 0; l < layers; ++l) {
    const nn::DenseLayer& la = a.layer(l);
    const nn::DenseLayer& lb = b.layer(l);
    const int w = la.outputSize();
    const auto& A = a_pre[static_cast<size_t>(l)];
    const auto& B = b_pre[static_cast<size_t>(l)];
    const Mat dw = la.weight - lb.weight;
    Vec lo, hi;
    if (l == 0) {
      intervalProduct(dw, input.lo, input.hi, lo, hi);
    } else {
      Vec l1, h1, l2, h2;
      intervalProduct(la.weight, out.dh.back().lo, out.dh.back().hi, l1, h1);
      intervalProduct(dw, hb_lo, hb_hi, l2, h2);
      lo = l1 + l2;
      hi = h1 + h2;
    }
    lo += la.bias - lb.bias;
    hi += la.bias - lb.bias;
    widen(lo, hi);
    if (symbolic && l > 0) {  // at layer 0 the interval of (W_A - W_B) x + db is exact
      Mat g(2 * w, w);
      g << Mat::Identity(w, w), -Mat::Identity(w, w);
      const Vec r = backsub.lower(l, std::move(g));
      Vec slo = r.head(w), shi = -r.tail(w);
      widen(slo, shi);
      lo = lo.cwiseMax(slo);
      hi = hi.cwiseMin(shi);
    }
    lo = lo.cwiseMax(A.lo - B.hi);
    hi = hi.cwiseMin(A.hi - B.lo);
    hi = hi.cwiseMax(lo);  // rounding never inverts a range
    out.dz.push_back({lo, hi});
    if (l + 1 == layers) {
      out.dh.push_back(out.dz.back());
      break;
    }
    Vec dh_lo(w), dh_hi(w);
    for (int i = 0; i < w; ++i) {
      if (A.lo[i] >= 0 && B.lo[i] >= 0) {
        dh_lo[i] = lo[i];
        dh_hi[i] = hi[i];
      } else if (A.hi[i] <= 0 && B.hi[i] <= 0) {
        dh_lo[i] = dh_hi[i] = 0.0;
      } else {
        dh_lo[i] = std::max(std::min(0.0, lo[i]), std::max(0.0, A.lo[i]) - std::max(0.0, B.hi[i]));
        dh_hi[i] = std::min(std::max(0.0, hi[i]), std::max(0.0, A.hi[i]) - std::max(0.0, B.lo[i]));
      }
    }
    out.dh.push_back({dh_lo, dh_hi});
    hb_lo = B.lo.cwiseMax(0.0);
    hb_hi = B.hi.cwiseMax(0.0);
  }
  return out;
}

Vec differenceLowerBounds(const DifferenceProblem& p, const std::vector<encode::LayerBounds>& dz,
                          int layer, const Mat& coef) {
  NNMIP_CHECK(layer >= 0 && layer < static_cast<int>(dz.size()) &&
                  coef.cols() == dz[static_cast<size_t>(layer)].lo.size(),
              "differenceLowerBounds: layer {} of {}, {} columns", layer, dz.size(), coef.cols());
  Vec r = BackSubstitution(p.a, p.b, p.input, p.a_pre, p.b_pre, dz).lower(layer, coef);
  Vec hi = r;
  widen(r, hi);
  return r;
}

}  // namespace nnmip::compare
