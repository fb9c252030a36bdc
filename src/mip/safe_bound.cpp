#include "mip/safe_bound.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.hpp"

namespace nnmip::mip {
namespace {

using Real = long double;
constexpr Real kUnitRoundoff = std::numeric_limits<Real>::epsilon() / 2;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Twice Higham's gamma_n = n u / (1 - n u): |fl(sum of n terms) - sum| <= gamma_n sum |terms|
// for recursive summation (products included by counting them as one more operation each).
Real gamma(long n) {
  const Real nu = static_cast<Real>(n) * kUnitRoundoff;
  return 2 * nu / (1 - nu);
}

// Significant bits of a significand (0 for 0; all digits for subnormals, conservatively).
int significantBits(Real v) {
  constexpr int kDigits = std::numeric_limits<Real>::digits;
  if (v == 0) return 0;
  if (!std::isfinite(v)) return kDigits;
  int exp = 0;
  const Real m = std::frexp(std::fabs(v), &exp);  // in [0.5, 1)
  if (exp < std::numeric_limits<Real>::min_exponent) return kDigits;
  auto bits = static_cast<uint64_t>(std::ldexp(m, kDigits));  // exact: a kDigits-bit integer
  int n = kDigits;
  while ((bits & 1u) == 0u) {
    bits >>= 1;
    --n;
  }
  return n;
}

// Whether a * b is exact in Real (both significands fit together).
bool exactProduct(Real a, Real b) {
  return significantBits(a) + significantBits(b) <= std::numeric_limits<Real>::digits;
}

// s += v in Real, clearing `exact` when the addition rounded (Knuth's TwoSum error term).
void addTracked(Real& s, Real v, char& exact) {
  const Real sum = s + v;
  if (exact) {
    const Real bv = sum - s;
    const Real err = (s - (sum - bv)) + (v - bv);
    if (err != 0) exact = 0;
  }
  s = sum;
}

double roundDown(Real v) {
  double r = static_cast<double>(v);
  if (static_cast<Real>(r) > v) r = std::nextafter(r, -kInfinity);
  return r;
}

void checkVector(const Model& model, std::span<const double> y, const char* what) {
  if (static_cast<int>(y.size()) != model.numRows()) {
    fail(ErrorKind::kInvalidInput, "{}: {} entries for {} rows", what, y.size(), model.numRows());
  }
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) fail(ErrorKind::kInvalidInput, "{}: entry {} is not finite", what, i);
  }
}

// Lower bound of min (cost^T x + constant) over the LP relaxation from duals y (sign applied:
// the bound uses sign * y), everything in the minimisation form.
SafeBoundInfo minimisationBound(const Model& model, const std::vector<Real>& cost,
                                const std::vector<Real>& cost_magnitude,
                                const std::vector<long>& cost_terms, Real constant, double sign,
                                std::span<const double> y) {
  const int n = model.numVars();
  SafeBoundInfo info;
  std::vector<Real> d(cost);                            // c - A^T y, accumulated
  std::vector<Real> magnitude(static_cast<size_t>(n));  // sum of |terms| of d_j
  std::vector<long> ops(cost_terms);                    // terms summed into d_j
  // d_j computed without any rounding (then no widening is needed: an exact 0 times an infinite
  // column bound contributes 0). The cost itself is taken as exact when it had one term.
  std::vector<char> exact(static_cast<size_t>(n), 1);
  for (int j = 0; j < n; ++j) {
    magnitude[static_cast<size_t>(j)] = cost_magnitude[static_cast<size_t>(j)];
    if (cost_terms[static_cast<size_t>(j)] > 1) exact[static_cast<size_t>(j)] = 0;
  }
  Real sum = constant;
  char sum_exact = 1;  // no rounding so far in sum (then no widening at the end)
  Real sum_magnitude = std::fabs(constant);
  long terms = 1;
  const std::vector<Constraint>& rows = model.rows();
  for (size_t i = 0; i < rows.size(); ++i) {
    const double yi = sign * y[i];
    if (yi == 0.0) continue;
    const double side = yi > 0.0 ? rows[i].lb : rows[i].ub;
    if (!std::isfinite(side)) {
      ++info.clamped_rows;  // y_i := 0
      continue;
    }
    const Real p = static_cast<Real>(yi) * side;
    if (!exactProduct(yi, side)) sum_exact = 0;
    addTracked(sum, p, sum_exact);
    sum_magnitude += std::fabs(p);
    ++terms;
    const int y_bits = significantBits(yi);
    for (const Term& t : rows[i].terms) {
      const auto j = static_cast<size_t>(t.var.id);
      const Real q = static_cast<Real>(yi) * t.coef;
      // Exactness is only tracked until the first rounding (the bit count is the costly part).
      if (exact[j] && y_bits + significantBits(t.coef) > std::numeric_limits<Real>::digits) {
        exact[j] = 0;
      }
      addTracked(d[j], -q, exact[j]);
      magnitude[j] += std::fabs(q);
      ops[j] += 2;  // one product, one subtraction
    }
  }
  const std::vector<Column>& cols = model.columns();
  for (int j = 0; j < n; ++j) {
    const auto k = static_cast<size_t>(j);
    const Real err = exact[k] ? 0 : gamma(ops[k] + 1) * magnitude[k];
    const Real d_lo = d[k] - err;
    const Real d_hi = d[k] + err;
    const double l = cols[k].lb;
    const double u = cols[k].ub;
    if ((l == -kInfinity && d_hi > 0) || (u == kInfinity && d_lo < 0)) {
      ++info.unbounded_columns;
      continue;
    }
    // min over x in [l, u] and delta in [d_lo, d_hi] of delta x: at a corner with a finite x
    // (an infinite x passed the test above, so it contributes +inf or 0).
    Real term = std::numeric_limits<Real>::infinity();
    bool term_exact = true;
    bool any = false;
    for (const double x : {l, u}) {
      if (!std::isfinite(x)) continue;
      for (const Real dx : {d_lo, d_hi}) {
        if (dx * x < term) {
          term = dx * x;
          term_exact = exactProduct(dx, x);
        }
      }
      any = true;
    }
    if (!any) term = 0;  // free column with d known to be exactly 0
    if (!term_exact) sum_exact = 0;
    addTracked(sum, term, sum_exact);
    sum_magnitude += std::fabs(term);
    ++terms;
  }
  if (info.unbounded_columns > 0) {
    info.value = -kInfinity;
    return info;
  }
  const Real err = sum_exact ? 0 : gamma(terms + 1) * sum_magnitude;
  info.error_bound = static_cast<double>(err);
  info.value = roundDown(sum - err);
  if (std::isnan(info.value)) info.value = -kInfinity;
  return info;
}

}  // namespace

SafeBoundInfo safeObjectiveBoundInfo(const Model& model, const Objective& objective,
                                     std::span<const double> row_duals) {
  checkVector(model, row_duals, "safe bound duals");
  if (!std::isfinite(objective.constant)) {
    fail(ErrorKind::kInvalidInput, "safe bound: objective constant is not finite");
  }
  const int n = model.numVars();
  // Minimisation form: a maximisation of c is -min(-c), with duals -y (c = A^T y + d).
  const double dir = objective.sense == Sense::kMaximize ? -1.0 : 1.0;
  std::vector<Real> cost(static_cast<size_t>(n), 0);
  std::vector<Real> cost_magnitude(static_cast<size_t>(n), 0);
  std::vector<long> cost_terms(static_cast<size_t>(n), 0);
  for (const Term& t : objective.terms) {
    if (t.var.id < 0 || t.var.id >= n) {
      fail(ErrorKind::kInvalidInput, "safe bound: objective uses unknown variable {}", t.var.id);
    }
    if (!std::isfinite(t.coef)) {
      fail(ErrorKind::kInvalidInput, "safe bound: objective coefficient is not finite");
    }
    cost[static_cast<size_t>(t.var.id)] += dir * static_cast<Real>(t.coef);
    cost_magnitude[static_cast<size_t>(t.var.id)] += std::fabs(static_cast<Real>(t.coef));
    ++cost_terms[static_cast<size_t>(t.var.id)];
  }
  SafeBoundInfo info =
      minimisationBound(model, cost, cost_magnitude, cost_terms,
                        dir * static_cast<Real>(objective.constant), dir, row_duals);
  info.value *= dir;  // negation is exact
  return info;
}

double safeObjectiveBound(const Model& model, const Objective& objective,
                          std::span<const double> row_duals) {
  return safeObjectiveBoundInfo(model, objective, row_duals).value;
}

double safeObjectiveBound(const Model& model, std::span<const double> row_duals) {
  return safeObjectiveBound(model, model.objective(), row_duals);
}

bool farkasCertifiesInfeasible(const Model& model, std::span<const double> ray) {
  checkVector(model, ray, "Farkas ray");
  const auto n = static_cast<size_t>(model.numVars());
  const std::vector<Real> zero(n, 0);
  const std::vector<long> none(n, 0);
  for (const double sign : {1.0, -1.0}) {
    if (minimisationBound(model, zero, zero, none, 0, sign, ray).value > 0.0) return true;
  }
  return false;
}

}  // namespace nnmip::mip
