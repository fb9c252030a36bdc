#include "encode/softmax_pwl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::encode {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

namespace {

double phiOf(double d, double cap) { return std::min(std::exp(d), cap); }

// Tangent points for u_jk over [dl, du] (upper side (a)).
std::vector<double> tangentPoints(double dl, double du, const SoftmaxPwlOptions& o) {
  std::vector<double> pts;
  const double log_cap = std::log(o.cap);
  const double lo = std::max(dl, o.d_min);
  const double hi = std::min(du, log_cap);
  if (lo > hi) return pts;
  const int n = std::max(1, static_cast<int>(std::ceil((hi - lo) / o.tangent_step)));
  for (int i = 0; i <= n; ++i) {
    const double a = lo + (hi - lo) * i / n;
    // Valid for phi = min(e^d, C) on [dl, du]: the tangent at du must not exceed C.
    if (du > log_cap && std::exp(a) * (1.0 + du - a) > o.cap) continue;
    pts.push_back(a);
  }
  return pts;
}

// Lower envelope of the cuts at d: max(0, max_a e^a (1 + d - a)).
double cutsAt(const std::vector<double>& pts, double d) {
  double v = 0.0;
  for (double a : pts) v = std::max(v, std::exp(a) * (1.0 + d - a));
  return v;
}

// A-priori bound of p_hat_k - p_k (upper side). With L_j(d) the cuts' lower envelope and a
// threshold Phi <= C: either some pair has e^d_j >= Phi, and then p_hat <= 1/(1 + L_j(log
// Phi)) (L increases) while p >= 0; or every e^d_j < Phi, and L_j >= rho e^d_j - tau_j there
// (rho the smallest ratio L/e^d above the lowest tangent point, tau_j = e^{lowest point} below
// it), so p_hat - p <= max_X 1/(1 + max(0, rho X - tau)) - 1/(1 + X). The smallest over a few
// Phi of the larger case, plus the pieces' error. Ratios are taken on grids of 2000 points.
double upperErrorBound(const SoftmaxPwlClass& c, const Vec& dl, const Vec& du,
                       const SoftmaxPwlOptions& o) {
  double best = 1.0;
  for (double log_phi = 1.0; log_phi <= std::log(o.cap) + 1e-12; log_phi += 1.0) {
    double rho = 1.0, tau = 0.0, xmax = 0.0, case_a = 0.0;
    for (const auto& [j, pts] : c.tangents) {
      const double l = dl[j], h = du[j];
      const double top = std::min(h, log_phi);
      if (h > log_phi) case_a = std::max(case_a, 1.0 / (1.0 + cutsAt(pts, log_phi)));
      if (l >= log_phi) continue;  // e^d_j >= Phi always: case A only
      xmax += std::exp(top);
      if (pts.empty()) {
        tau += std::exp(top);
        continue;
      }
      const double from = std::max(l, pts.front());
      if (l < pts.front()) tau += std::exp(pts.front());
      const int n = 2000;
      for (int i = 0; i <= n && from < top; ++i) {
        const double d = from + (top - from) * i / n;
        rho = std::min(rho, cutsAt(pts, d) / std::exp(d));
      }
    }
    double case_b = 0.0;
    const int n = 4000;
    for (int i = 0; i <= n; ++i) {
      const double x = std::expm1(std::log1p(xmax) * i / n);  // log-spaced over [0, xmax]
      const double relaxed = std::min(c.pu, 1.0 / (1.0 + std::max(0.0, rho * x - tau)));
      case_b = std::max(case_b, relaxed - 1.0 / (1.0 + x));
    }
    best = std::min(best, std::max(case_a, case_b));
  }
  double pwl_err = 0.0;
  for (const auto& piece : c.pieces) {
    const double e =
        piece.chord ? std::pow(std::sqrt(piece.hi) - std::sqrt(piece.lo), 2) : piece.hi;
    pwl_err = std::max(pwl_err, e);
  }
  return best + pwl_err;
}

// Largest ratio chord / exp on a piece of width w (attained inside; grid of 200 points).
double chordRatio(double w) {
  if (w <= 0.0) return 1.0;
  const double slope = std::expm1(w) / w;  // chord of e^t on [0, w], over e^0
  double r = 1.0;
  for (int i = 0; i <= 200; ++i) {
    const double t = w * i / 200;
    r = std::max(r, (1.0 + slope * t) * std::exp(-t));
  }
  return r * (1.0 + 1e-6);  // the grid misses the peak by O(w^2 / 200^2) relative
}

// Tangent points of 1/S, geometric in [lo, hi].
std::vector<double> inverseTangentPoints(double lo, double hi, int count) {
  std::vector<double> pts;
  if (!(hi >= lo) || count < 1) return pts;
  if (hi <= lo * (1.0 + 1e-12) || count == 1) return {lo};
  for (int i = 0; i < count; ++i) pts.push_back(lo * std::pow(hi / lo, double(i) / (count - 1)));
  return pts;
}

// max over S in [lo, hi] of 1/S - max(0, max_s0 (2/s0 - S/s0^2)), on a log grid of 4000 points.
double inverseTangentGap(const std::vector<double>& pts, double lo, double hi) {
  if (pts.empty()) return 1.0 / lo;
  double gap = 0.0;
  const int n = 4000;
  for (int i = 0; i <= n; ++i) {
    const double s = hi > lo ? lo * std::pow(hi / lo, double(i) / n) : lo;
    double t = 0.0;
    for (double s0 : pts) t = std::max(t, 2.0 / s0 - s / (s0 * s0));
    gap = std::max(gap, 1.0 / s - t);
  }
  return gap;
}

void encodeUpper(mip::Model& model, std::span<const mip::Var> z, int kk, const Vec& dl,
                 const Vec& du, double s_cap, const SoftmaxPwlOptions& o, const std::string& prefix,
                 SoftmaxPwlClass& c) {
  const int k = static_cast<int>(z.size());
  // (c) the pieces of [pl, pu]
  const double q_lo = std::max(c.pl, o.p_floor);
  const bool pwl = c.pu > q_lo * (1.0 + 1e-9) && c.pu > o.p_floor;
  if (pwl) {
    if (c.pl < o.p_floor) c.pieces.push_back({c.pl, o.p_floor, false, {}});
    const double r0 = std::sqrt(q_lo), r1 = std::sqrt(c.pu);
    for (int i = 0; i < o.segments; ++i) {
      const double lo = i == 0 ? q_lo : std::pow(r0 + (r1 - r0) * i / o.segments, 2);
      const double hi =
          i + 1 == o.segments ? c.pu : std::pow(r0 + (r1 - r0) * (i + 1) / o.segments, 2);
      c.pieces.push_back({lo, hi, true, {}});
    }
    // (a) u_jk and its cuts; (b) S = 1 + sum u
    c.s = model.addContinuous(1.0, s_cap, fmt::format("{}S{}", prefix, kk));
    std::vector<mip::Term> s_row{{c.s, 1.0}};
    for (int j = 0; j < k; ++j) {
      if (j == kk) continue;
      const mip::Var u = model.addContinuous(0.0, phiOf(du[j], o.cap) * (1.0 + 1e-12),
                                             fmt::format("{}u{}_{}", prefix, j, kk));
      c.u.push_back({j, u});
      c.u_hi.push_back(phiOf(du[j], o.cap));
      s_row.push_back({u, -1.0});
      std::vector<double> pts = tangentPoints(dl[j], du[j], o);
      for (double a : pts) {
        // u - e^a (z_j - z_k) >= e^a (1 - a) - 1e-9 e^a
        const double ea = std::exp(a);
        model.addGe({{u, 1.0}, {z[j], -ea}, {z[kk], ea}}, ea * (1.0 - a) - 1e-9 * ea);
      }
      c.tangents.push_back({j, std::move(pts)});
    }
    model.addEq(s_row, 1.0);
    // (c) pieces: sum y = 1, sum y lo <= p <= sum y hi, chords
    std::vector<mip::Term> one, lo_row{{c.p, 1.0}}, hi_row{{c.p, 1.0}};
    for (size_t i = 0; i < c.pieces.size(); ++i) {
      auto& piece = c.pieces[i];
      piece.y = model.addBinary(fmt::format("{}seg{}_{}", prefix, kk, i));
      one.push_back({piece.y, 1.0});
      lo_row.push_back({piece.y, -piece.lo});
      hi_row.push_back({piece.y, -piece.hi});
    }
    model.addEq(one, 1.0);
    model.addGe(lo_row, 0.0);
    model.addLe(hi_row, 0.0);
    for (auto& piece : c.pieces) {
      if (!piece.chord) continue;
      // S <= (lo + hi - p) / (lo hi) + M (1 - y)
      const double inv = 1.0 / (piece.lo * piece.hi);
      const double chord_at_pu = (piece.lo + piece.hi - c.pu) * inv;
      const double big_m = std::max(0.0, s_cap - chord_at_pu) + 1.0;
      const double rhs = (piece.lo + piece.hi) * inv + 1e-9 / piece.lo + big_m;
      model.addLe({{c.s, 1.0}, {c.p, inv}, {piece.y, big_m}}, rhs);
    }
  } else {
    for (int j = 0; j < k; ++j) {
      if (j != kk) c.tangents.push_back({j, {}});
    }
    c.pieces.push_back({c.pl, c.pu, false, {}});
  }
  // (e) p_k <= 1 / (1 + e^{d_jk}) =: f(d_jk) for each j alone: tangents of f where it is
  // concave (d <= 0) that stay above f at du (so above the convex part too).
  if (o.pair_cuts) {
    for (int j = 0; j < k; ++j) {
      if (j == kk || dl[j] >= 0.0) continue;
      const double top = std::min(du[j], 0.0);
      const double f_u = 1.0 / (1.0 + std::exp(du[j]));
      const int steps = std::min(16, std::max(1, static_cast<int>((top - dl[j]) / 0.5)));
      for (int i = 0; i <= steps; ++i) {
        const double a = dl[j] + (top - dl[j]) * i / steps;
        const double fa = 1.0 / (1.0 + std::exp(a));
        const double slope = -fa * (1.0 - fa);
        if (fa + slope * (du[j] - a) < f_u) continue;  // would cut the convex part
        // p - slope (z_j - z_k) <= fa - slope a
        model.addLe({{c.p, 1.0}, {z[j], -slope}, {z[kk], slope}}, fa - slope * a + 1e-9);
      }
    }
  }
  c.upper_error =
      c.pieces.size() == 1 && !c.pieces[0].chord ? c.pu - c.pl : upperErrorBound(c, dl, du, o);
}

void encodeLower(mip::Model& model, std::span<const mip::Var> z, int kk, const Vec& dl,
                 const Vec& du, const SoftmaxPwlOptions& o, const std::string& prefix,
                 SoftmaxPwlClass& c) {
  const int k = static_cast<int>(z.size());
  const double log_cap = std::log(o.cap);
  double rho = 1.0;               // the chords' largest ratio to exp
  double s_lo = 1.0, s_hi = 1.0;  // 1 + sum e^dl, 1 + sum u'_max
  bool capped = false;            // some pair can exceed log C
  std::vector<mip::Term> sum_u;
  for (int j = 0; j < k; ++j) {
    if (j == kk) continue;
    SoftmaxPwlClass::PairChords pc;
    pc.j = j;
    const double u_max = phiOf(du[j], o.cap) * (1.0 + 1e-12);
    pc.u = model.addContinuous(0.0, u_max, fmt::format("{}v{}_{}", prefix, j, kk));
    s_lo += std::exp(dl[j]);
    s_hi += u_max;
    sum_u.push_back({pc.u, 1.0});
    const double top = std::min(du[j], log_cap);
    if (dl[j] < top) {
      const int n = std::clamp(static_cast<int>(std::ceil((top - dl[j]) / o.lower_piece_width)), 1,
                               o.lower_pieces);
      for (int i = 0; i < n; ++i) {
        const double lo = dl[j] + (top - dl[j]) * i / n;
        const double hi = i + 1 == n ? top : dl[j] + (top - dl[j]) * (i + 1) / n;
        pc.pieces.push_back({lo, hi, true, {}});
        rho = std::max(rho, chordRatio(hi - lo));
      }
    }
    if (du[j] > log_cap) {
      capped = true;
      pc.pieces.push_back({std::max(dl[j], log_cap), du[j], false, {}});
    }
    const auto d_terms = [&](double coef_u, double coef_d) {
      return std::vector<mip::Term>{{pc.u, coef_u}, {z[j], coef_d}, {z[kk], -coef_d}};
    };
    if (pc.pieces.size() > 1) {
      std::vector<mip::Term> one, lo_row{{z[j], 1.0}, {z[kk], -1.0}},
          hi_row{{z[j], 1.0}, {z[kk], -1.0}};
      for (size_t i = 0; i < pc.pieces.size(); ++i) {
        auto& piece = pc.pieces[i];
        piece.y = model.addBinary(fmt::format("{}dseg{}_{}_{}", prefix, j, kk, i));
        one.push_back({piece.y, 1.0});
        lo_row.push_back({piece.y, -piece.lo});
        hi_row.push_back({piece.y, -piece.hi});
      }
      model.addEq(one, 1.0);
      model.addGe(lo_row, 0.0);  // d >= sum w lo
      model.addLe(hi_row, 0.0);  // d <= sum w hi
    }
    for (auto& piece : pc.pieces) {
      if (!piece.chord) continue;  // the flat piece: u' <= C is the column bound
      const double elo = std::exp(piece.lo), ehi = std::exp(piece.hi);
      const double slope = piece.hi > piece.lo ? (ehi - elo) / (piece.hi - piece.lo) : 0.0;
      // u' - s d <= e^lo - s lo (+ rounding) + M (1 - w)
      const double rhs = elo - slope * piece.lo + 1e-9 * ehi;
      std::vector<mip::Term> row = d_terms(1.0, -slope);
      if (piece.y.valid()) {
        const double big_m = std::max(0.0, u_max - slope * dl[j] - rhs) + 1.0;
        row.push_back({piece.y, big_m});
        model.addLe(row, rhs + big_m);
      } else {
        model.addLe(row, rhs);
      }
    }
    c.chords.push_back(std::move(pc));
  }
  // (g) p >= 2/s0 - (1 + sum u') / s0^2
  const double s_top = std::min(s_hi, 0.5 * (1.0 + o.cap));
  const std::vector<double> pts = inverseTangentPoints(s_lo, s_top, o.lower_tangents);
  for (double s0 : pts) {
    std::vector<mip::Term> row{{c.p, 1.0}};
    for (const mip::Term& t : sum_u) row.push_back({t.var, 1.0 / (s0 * s0)});
    model.addGe(row, 2.0 / s0 - 1.0 / (s0 * s0) - 1e-9 / s0);
  }
  double err = (1.0 - 1.0 / rho) * c.pu + inverseTangentGap(pts, s_lo, std::max(s_lo, s_top));
  if (capped) err = std::max(err, 2.0 / (1.0 + o.cap));
  c.lower_error = std::min(err, c.pu - c.pl);
}

}  // namespace

std::vector<mip::Var> SoftmaxPwl::probabilities() const {
  std::vector<mip::Var> p;
  for (const auto& c : classes) p.push_back(c.p);
  return p;
}

Vec softmax(const Vec& z) {
  const Vec e = (z.array() - z.maxCoeff()).exp().matrix();
  return e / e.sum();
}

SoftmaxPwl encodeSoftmaxPwl(mip::Model& model, std::span<const mip::Var> logits, const Mat& dlo,
                            const Mat& dhi, const SoftmaxPwlOptions& o, SoftmaxSides sides,
                            const std::string& prefix,
                            const std::function<void(int, const SoftmaxPwlClass&)>& after_class) {
  const int k = static_cast<int>(logits.size());
  if (!(o.tangent_step > 0 && o.cap > 1 && o.segments >= 1 && o.p_floor > 0 && o.p_floor < 1 &&
        o.lower_pieces >= 1 && o.lower_piece_width > 0 && o.lower_tangents >= 1)) {
    fail(ErrorKind::kInvalidInput, "softmax PWL options out of range");
  }
  if (k < 2 || dlo.rows() != k || dlo.cols() != k || dhi.rows() != k || dhi.cols() != k) {
    fail(ErrorKind::kInvalidInput, "softmax PWL: {} logits, ranges {}x{}", k, dlo.rows(),
         dlo.cols());
  }
  for (int j = 0; j < k; ++j) {
    for (int kk = 0; kk < k; ++kk) {
      if (j != kk && !(dlo(j, kk) <= dhi(j, kk))) {
        fail(ErrorKind::kInvalidInput, "softmax PWL: range of z{} - z{} is [{}, {}]", j, kk,
             dlo(j, kk), dhi(j, kk));
      }
    }
  }
  SoftmaxPwl out;
  out.sides = sides;
  out.cap = o.cap;
  if (o.difference_rows) {
    for (int j = 0; j < k; ++j) {
      for (int kk = j + 1; kk < k; ++kk) {
        model.addRow(dlo(j, kk), dhi(j, kk), {{logits[j], 1.0}, {logits[kk], -1.0}});
      }
    }
  }
  out.classes.resize(static_cast<size_t>(k));
  std::vector<mip::Term> sum_p;
  for (int kk = 0; kk < k; ++kk) {
    SoftmaxPwlClass& c = out.classes[static_cast<size_t>(kk)];
    Vec dl = Vec::Zero(k), du = Vec::Zero(k);
    double s_lo = 1.0, s_hi = 1.0, s_cap = 1.0;
    for (int j = 0; j < k; ++j) {
      if (j == kk) continue;
      dl[j] = dlo(j, kk);
      du[j] = dhi(j, kk);
      s_lo += std::exp(dl[j]);
      s_hi += std::exp(du[j]);
      s_cap += phiOf(du[j], o.cap);
    }
    // Widened by 1e-12 (relative) against rounding in the sums.
    c.pu = std::min(1.0, (1.0 + 1e-12) / s_lo);
    c.pl = std::isfinite(s_hi) ? (1.0 - 1e-12) / s_hi : 0.0;
    s_cap *= 1.0 + 1e-12;
    c.pl = std::min(c.pl, c.pu);
    c.p = model.addContinuous(c.pl, c.pu, fmt::format("{}p{}", prefix, kk));
    sum_p.push_back({c.p, 1.0});
    if (hasSide(sides, SoftmaxSides::kUpper)) {
      encodeUpper(model, logits, kk, dl, du, s_cap, o, prefix, c);
    }
    if (hasSide(sides, SoftmaxSides::kLower)) encodeLower(model, logits, kk, dl, du, o, prefix, c);
    out.upper_error = std::max(out.upper_error, c.upper_error);
    out.lower_error = std::max(out.lower_error, c.lower_error);
    if (after_class) after_class(kk, c);
  }
  if (o.sum_to_one) model.addEq(sum_p, 1.0);
  return out;
}

void setSoftmaxPwlStart(const SoftmaxPwl& enc, const Vec& z, std::vector<double>& start) {
  const int k = static_cast<int>(enc.classes.size());
  NNMIP_CHECK(z.size() == k, "softmax start: {} logits for {} classes", z.size(), k);
  const Vec p = softmax(z);
  auto set = [&](mip::Var v, double value) {
    if (v.valid()) start[static_cast<size_t>(v.id)] = value;
  };
  for (int kk = 0; kk < k; ++kk) {
    const SoftmaxPwlClass& c = enc.classes[static_cast<size_t>(kk)];
    const double pk = std::clamp(p[kk], c.pl, c.pu);
    set(c.p, pk);
    if (c.s.valid()) {
      double s = 1.0;
      for (size_t i = 0; i < c.u.size(); ++i) {
        const int j = c.u[i].first;
        const double v = std::min(cutsAt(c.tangents[i].second, z[j] - z[kk]), c.u_hi[i]);
        set(c.u[i].second, v);
        s += v;
      }
      set(c.s, s);
      bool chosen = false;
      for (const auto& piece : c.pieces) {
        const bool here = !chosen && pk >= piece.lo && pk <= piece.hi;
        set(piece.y, here ? 1.0 : 0.0);
        chosen = chosen || here;
      }
    }
    for (const auto& pc : c.chords) {
      const double d = z[pc.j] - z[kk];
      set(pc.u, phiOf(d, enc.cap));
      bool chosen = false;
      for (const auto& piece : pc.pieces) {
        const bool here = !chosen && d >= piece.lo && d <= piece.hi;
        set(piece.y, here ? 1.0 : 0.0);
        chosen = chosen || here;
      }
    }
  }
}

}  // namespace nnmip::encode
