#pragma once
// Safe LP bounds from any dual vector (Neumaier & Shcherbina 2004, "Safe bounds in linear and
// mixed-integer programming"): a bound that holds whatever the LP solver's tolerances were.
//
// For min c^T x over { lb_i <= a_i x <= ub_i (rows), l_j <= x_j <= u_j (columns) } and ANY row
// vector y, with d = c - A^T y:
//     c^T x = y^T (A x) + d^T x >= sum_i y_i * (lb_i if y_i >= 0 else ub_i)
//                                 + sum_j min over [l_j, u_j] of d_j x_j .
// A row whose needed side is infinite (y_i > 0 with lb_i = -inf, or y_i < 0 with ub_i = +inf)
// gets y_i = 0 (still a valid y). The bound is -inf when a column with d_j != 0 has an infinite
// bound on the side d_j's sign needs. A maximisation is bounded above by the same formula on
// -c, -y (y with the LpResult convention, mip/result.hpp: c = A^T y + d in both senses).
//
// Rounding: d and both sums are accumulated in long double with a running sum of magnitudes,
// and the result is moved outward by a rigorous bound on the accumulated rounding error
// (Higham's gamma_n, doubled) before it is rounded outward to double. The model's data and y are
// taken as exact. The bound holds for the LP relaxation (integrality ignored), so it is also a
// valid dual bound of the MIP.
//
// Farkas: a row vector y proves the system infeasible when the safe bound above with c = 0 is
// > 0 (for a feasible system min 0 = 0, and every valid bound is <= 0), i.e.
//     sum_i y_i * (lb_i or ub_i) > max over the column box of (A^T y)^T x .
#include <span>

#include "mip/model.hpp"

namespace nnmip::mip {

struct SafeBoundInfo {
  double value = 0.0;         // the bound (user sense; -inf/+inf when none)
  int clamped_rows = 0;       // y_i set to 0: the needed row side was infinite
  int unbounded_columns = 0;  // columns that made the bound infinite (d_j != 0, side infinite)
  double error_bound = 0.0;   // the outward shift applied for rounding
};

// Valid bound of `objective` (its sense: lower bound for kMinimize, upper for kMaximize,
// constant included) over the LP relaxation of `model` (its columns' bounds and rows; the
// model's own objective is ignored), from row_duals (size model.numRows()). Throws
// Error{kInvalidInput} for a wrong size, NaN or infinite duals, or unknown variables.
SafeBoundInfo safeObjectiveBoundInfo(const Model& model, const Objective& objective,
                                     std::span<const double> row_duals);
double safeObjectiveBound(const Model& model, const Objective& objective,
                          std::span<const double> row_duals);
// The same for the model's own objective.
double safeObjectiveBound(const Model& model, std::span<const double> row_duals);

// Whether `ray` (one entry per row; either sign is tried) proves, with outward rounding, that
// no x in the column box satisfies the rows. Never true for a feasible model. Throws
// Error{kInvalidInput} for a wrong size or non-finite entries.
bool farkasCertifiesInfeasible(const Model& model, std::span<const double> ray);

}  // namespace nnmip::mip
