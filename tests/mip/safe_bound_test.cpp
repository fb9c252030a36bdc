// Safe LP bounds from any duals (Neumaier-Shcherbina) and Farkas certificates, against CLP's
// optimum, brute-force vertex enumeration and a 113-bit reference of the same formula.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"
#include "test_models.hpp"

namespace nnmip::mip {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

double uniform(testing::SplitMix& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
}

// A random small LP: n boxed columns (some fixed, some one-sided when `open_columns`), m rows of
// mixed kinds (<=, >=, ranged, equality) around a random interior point, so most are feasible;
// `tight` moves the sides so that about half are infeasible.
Model randomLp(testing::SplitMix& rng, int n, int m, bool tight, bool open_columns = false) {
  Model model;
  std::vector<double> point;
  for (int j = 0; j < n; ++j) {
    const double lo = uniform(rng, -3.0, 1.0);
    const double hi = rng.uniformInt(0, 9) == 0 ? lo : lo + uniform(rng, 0.1, 4.0);
    double l = lo;
    double u = hi;
    if (open_columns && rng.uniformInt(0, 3) == 0) {
      if (rng.uniformInt(0, 1) == 0) {
        l = -kInfinity;
      } else {
        u = kInfinity;
      }
    }
    model.addContinuous(l, u);
    point.push_back(lo + (hi - lo) * uniform(rng, 0.0, 1.0));
  }
  for (int i = 0; i < m; ++i) {
    std::vector<Term> terms;
    double at = 0.0;
    for (int j = 0; j < n; ++j) {
      if (rng.uniformInt(0, 3) == 0) continue;
      const double a = std::round(uniform(rng, -5.0, 5.0) * 8.0) / 8.0 + uniform(rng, -1e-3, 1e-3);
      terms.push_back({Var{j}, a});
      at += a * point[static_cast<size_t>(j)];
    }
    const double slack = tight ? uniform(rng, -2.0, 0.5) : uniform(rng, 0.0, 2.0);
    switch (rng.uniformInt(0, 3)) {
      case 0: model.addRow(-kInfinity, at + slack, terms); break;
      case 1: model.addRow(at - slack, kInfinity, terms); break;
      case 2: model.addRow(at - slack, at + std::abs(slack) + 0.5, terms); break;
      default: model.addRow(at + (tight ? slack : 0.0), at + (tight ? slack : 0.0), terms); break;
    }
  }
  std::vector<Term> obj;
  for (int j = 0; j < n; ++j) obj.push_back({Var{j}, std::round(uniform(rng, -5.0, 5.0) * 4) / 4});
  model.setObjective(rng.uniformInt(0, 1) ? Sense::kMinimize : Sense::kMaximize, obj,
                     uniform(rng, -2.0, 2.0));
  return model;
}

using Quad = __float128;  // GCC's 113-bit binary128: the exact-enough reference arithmetic

// Brute force over vertices, in 113-bit arithmetic: every choice of n active constraints (column
// bounds and row sides) whose solution satisfies every bound and row within 1e-20 (the data are
// doubles, so a true vertex is computed to ~1e-30; a looser tolerance would admit slightly
// infeasible points better than the optimum). Returns the
// best objective (user sense) and whether any vertex is feasible. Only for boxed columns (the
// optimum is then at a vertex).
const Quad kQuadTol = 1e-20;
struct Vertex {
  bool feasible = false;
  Quad value = 0;
};
Vertex vertexOptimum(const Model& model) {
  const int n = model.numVars();
  struct Hyper {
    std::vector<Quad> a;
    Quad rhs;
  };
  std::vector<Hyper> planes;
  for (int j = 0; j < n; ++j) {
    std::vector<Quad> e(static_cast<size_t>(n), 0);
    e[static_cast<size_t>(j)] = 1;
    planes.push_back({e, model.columns()[static_cast<size_t>(j)].lb});
    planes.push_back({e, model.columns()[static_cast<size_t>(j)].ub});
  }
  for (const Constraint& r : model.rows()) {
    std::vector<Quad> a(static_cast<size_t>(n), 0);
    for (const Term& t : r.terms) a[static_cast<size_t>(t.var.id)] += t.coef;
    if (std::isfinite(r.lb)) planes.push_back({a, r.lb});
    if (std::isfinite(r.ub)) planes.push_back({a, r.ub});
  }
  auto abs = [](Quad v) { return v < 0 ? -v : v; };
  const int p = static_cast<int>(planes.size());
  Vertex best;
  const bool max = model.objective().sense == Sense::kMaximize;
  std::vector<int> pick(static_cast<size_t>(n));
  std::function<void(int, int)> rec = [&](int start, int depth) {
    if (depth == n) {
      std::vector<std::vector<Quad>> a(static_cast<size_t>(n));
      for (int r = 0; r < n; ++r) {
        const Hyper& h = planes[static_cast<size_t>(pick[static_cast<size_t>(r)])];
        a[static_cast<size_t>(r)] = h.a;
        a[static_cast<size_t>(r)].push_back(h.rhs);
      }
      for (int c = 0; c < n; ++c) {  // Gauss-Jordan with partial pivoting
        int piv = c;
        for (int r = c + 1; r < n; ++r) {
          if (abs(a[static_cast<size_t>(r)][static_cast<size_t>(c)]) >
              abs(a[static_cast<size_t>(piv)][static_cast<size_t>(c)])) {
            piv = r;
          }
        }
        if (abs(a[static_cast<size_t>(piv)][static_cast<size_t>(c)]) < 1e-9) return;
        std::swap(a[static_cast<size_t>(c)], a[static_cast<size_t>(piv)]);
        for (int r = 0; r < n; ++r) {
          if (r == c) continue;
          const Quad f = a[static_cast<size_t>(r)][static_cast<size_t>(c)] /
                         a[static_cast<size_t>(c)][static_cast<size_t>(c)];
          for (int k = c; k <= n; ++k) {
            a[static_cast<size_t>(r)][static_cast<size_t>(k)] -=
                f * a[static_cast<size_t>(c)][static_cast<size_t>(k)];
          }
        }
      }
      std::vector<Quad> x(static_cast<size_t>(n));
      for (int r = 0; r < n; ++r) {
        x[static_cast<size_t>(r)] = a[static_cast<size_t>(r)][static_cast<size_t>(n)] /
                                    a[static_cast<size_t>(r)][static_cast<size_t>(r)];
      }
      for (int j = 0; j < n; ++j) {
        const Column& c = model.columns()[static_cast<size_t>(j)];
        if (x[static_cast<size_t>(j)] < Quad(c.lb) - kQuadTol ||
            x[static_cast<size_t>(j)] > Quad(c.ub) + kQuadTol) {
          return;
        }
      }
      for (const Constraint& r : model.rows()) {
        Quad v = 0;
        for (const Term& t : r.terms) v += Quad(t.coef) * x[static_cast<size_t>(t.var.id)];
        if ((std::isfinite(r.lb) && v < Quad(r.lb) - kQuadTol) ||
            (std::isfinite(r.ub) && v > Quad(r.ub) + kQuadTol)) {
          return;
        }
      }
      Quad v = model.objective().constant;
      for (const Term& t : model.objective().terms)
        v += Quad(t.coef) * x[static_cast<size_t>(t.var.id)];
      if (!best.feasible || (max ? v > best.value : v < best.value)) best = {true, v};
      return;
    }
    for (int k = start; k <= p - (n - depth); ++k) {
      pick[static_cast<size_t>(depth)] = k;
      rec(k + 1, depth + 1);
    }
  };
  rec(0, 0);
  return best;
}

// The bound formula evaluated in 113-bit floating point (GCC's __float128) with the same
// clamping: a reference whose own error is ~1e-30 relative.
double referenceBound(const Model& model, const std::vector<double>& y) {
  using Q = Quad;
  const double dir = model.objective().sense == Sense::kMaximize ? -1.0 : 1.0;
  std::vector<Q> d(static_cast<size_t>(model.numVars()), 0);
  for (const Term& t : model.objective().terms) d[static_cast<size_t>(t.var.id)] += Q(dir) * t.coef;
  Q sum = Q(dir) * model.objective().constant;
  for (size_t i = 0; i < model.rows().size(); ++i) {
    const double yi = dir * y[i];
    const Constraint& r = model.rows()[i];
    const double side = yi > 0 ? r.lb : r.ub;
    if (yi == 0 || !std::isfinite(side)) continue;
    sum += Q(yi) * side;
    for (const Term& t : r.terms) d[static_cast<size_t>(t.var.id)] -= Q(yi) * t.coef;
  }
  for (int j = 0; j < model.numVars(); ++j) {
    const Q dj = d[static_cast<size_t>(j)];
    const Column& c = model.columns()[static_cast<size_t>(j)];
    if (dj == 0) continue;
    const double x = dj > 0 ? c.lb : c.ub;
    if (!std::isfinite(x)) return -dir * kInfinity;
    sum += dj * x;
  }
  return dir * static_cast<double>(sum);
}

bool isMax(const Model& m) { return m.objective().sense == Sense::kMaximize; }

// The bound against a 113-bit optimum, no slack.
bool validSideQ(const Model& m, double bound, Quad opt) {
  return isMax(m) ? Quad(bound) >= opt : Quad(bound) <= opt;
}

// "bound is on the valid side of opt" with a slack (positive: looser allowed).
bool validSide(const Model& m, double bound, double opt, double slack) {
  return isMax(m) ? bound >= opt - slack : bound <= opt + slack;
}

// smallLp (test_models.hpp): max 3x + 2y, optimum 11, shadow prices u0 = 2, u2 = 1.
TEST(SafeBound, SmallLpDualsGiveTheOptimum) {
  const Model m = testing::smallLp();
  const std::vector<double> y = {2.0, 0.0, 1.0};
  EXPECT_EQ(safeObjectiveBound(m, y), 11.0);  // d = (0, 0) exactly: no rounding at all
  // Garbage duals: still an upper bound (or +inf: y of the wrong sign on r0's open lower side).
  const std::vector<double> bad = {3.0, 0.5, 0.0};  // d = (3-3.5, 2-4.5) = (-0.5, -2.5), x,y >= 0
  EXPECT_DOUBLE_EQ(safeObjectiveBound(m, bad), 4 * 3.0 + 9 * 0.5);
  const SafeBoundInfo wrong =
      safeObjectiveBoundInfo(m, m.objective(), std::vector<double>{-1, 0, 0});
  EXPECT_EQ(wrong.clamped_rows, 1);
  EXPECT_EQ(wrong.value, kInfinity);  // y := 0 leaves d = c > 0 on columns with no upper bound
  EXPECT_EQ(wrong.unbounded_columns, 2);
  // The same LP as a minimisation of -3x - 2y: lower bound -11 from duals -2, 0, -1.
  Objective min_obj{Sense::kMinimize, {{Var{0}, -3.0}, {Var{1}, -2.0}}, 0.0};
  EXPECT_EQ(safeObjectiveBound(m, min_obj, std::vector<double>{-2.0, 0.0, -1.0}), -11.0);
  EXPECT_THROW(safeObjectiveBound(m, std::vector<double>{1.0, 2.0}), Error);
  EXPECT_THROW(safeObjectiveBound(m, std::vector<double>{1.0, NAN, 0.0}), Error);
}

// Hundreds of random LPs: the bound from CLP's duals is valid and within 1e-6 of the optimum;
// from perturbed and from garbage duals it is still valid; on tiny LPs checked against brute
// force; always on the safe side of the 113-bit reference of the same formula.
TEST(SafeBound, RandomLpsValidAndTight) {
  testing::SplitMix rng(2026);
  int solved = 0, tiny = 0, finite_garbage = 0, exactly_infeasible = 0;
  double worst_gap = 0.0;
  for (int t = 0; t < 400; ++t) {
    const int n = rng.uniformInt(1, 8);
    const int m = rng.uniformInt(1, 6);
    const Model model = randomLp(rng, n, m, /*tight=*/false);
    auto session = makeLpSession(model, "clp");
    const LpResult r = session->solve();
    if (!r.optimal()) continue;
    ++solved;
    ASSERT_EQ(r.row_duals.size(), static_cast<size_t>(m));
    ASSERT_EQ(r.reduced_costs.size(), static_cast<size_t>(n));
    const double opt = *r.objective;
    const double scale = 1.0 + std::abs(opt);
    const double bound = safeObjectiveBound(model, r.row_duals);
    EXPECT_TRUE(validSide(model, bound, opt, 1e-9 * scale)) << t << ": " << bound << " vs " << opt;
    EXPECT_NEAR(bound, opt, 1e-6 * scale) << t;
    worst_gap = std::max(worst_gap, std::abs(bound - opt) / scale);
    const double ref = referenceBound(model, r.row_duals);
    EXPECT_TRUE(validSide(model, bound, ref, 0.0)) << t << ": safe " << bound << " ref " << ref;
    EXPECT_NEAR(bound, ref, 1e-12 * scale) << t;
    // The true optimum: brute force in 113 bits on tiny LPs (then compared without slack),
    // CLP's otherwise (its own round-off allowed: 1e-9 relative).
    Vertex vertex;
    if (n <= 4 && m <= 4) {
      vertex = vertexOptimum(model);
      if (vertex.feasible) {
        EXPECT_NEAR(static_cast<double>(vertex.value), opt, 1e-7 * scale) << t;
        EXPECT_TRUE(validSideQ(model, bound, vertex.value)) << t << ": " << bound;
        ++tiny;
      } else {
        // Feasible only within CLP's tolerances (an equality row over fixed columns whose
        // right-hand side was rounded): any bound is valid for the empty set.
        ++exactly_infeasible;
      }
    }
    for (int k = 0; k < 5; ++k) {
      std::vector<double> y = r.row_duals;
      const double noise = k < 3 ? 1e-3 * (k + 1) : 10.0;  // perturbed, then garbage
      for (double& v : y) v = (k < 3 ? v : 0.0) + uniform(rng, -noise, noise);
      const double b = safeObjectiveBound(model, y);
      if (vertex.feasible) {
        EXPECT_TRUE(validSideQ(model, b, vertex.value)) << t << " k " << k << ": " << b;
      } else {
        EXPECT_TRUE(validSide(model, b, opt, 1e-9 * scale)) << t << " k " << k << ": " << b;
      }
      EXPECT_TRUE(validSide(model, b, referenceBound(model, y), 0.0)) << t << " k " << k;
      if (k >= 3 && std::isfinite(b)) ++finite_garbage;
    }
  }
  EXPECT_GE(solved, 300);
  EXPECT_GE(tiny, 80);
  EXPECT_LE(exactly_infeasible, 20);
  EXPECT_GT(finite_garbage, 100);
  RecordProperty("worst_relative_gap", std::to_string(worst_gap));
  RecordProperty("counts", fmt::format("solved {} tiny {} exactly_infeasible {}", solved, tiny,
                                       exactly_infeasible));
}

// Open column bounds: the bound is infinite exactly when a reduced cost needs the open side.
TEST(SafeBound, OpenColumnsValidOrInfinite) {
  testing::SplitMix rng(7);
  int finite = 0;
  for (int t = 0; t < 200; ++t) {
    const Model model = randomLp(rng, rng.uniformInt(2, 6), rng.uniformInt(2, 6), false, true);
    auto session = makeLpSession(model, "clp");
    const LpResult r = session->solve();
    if (!r.optimal()) continue;
    const double b = safeObjectiveBound(model, r.row_duals);
    const double scale = 1.0 + std::abs(*r.objective);
    EXPECT_TRUE(validSide(model, b, *r.objective, 1e-9 * scale)) << t;
    if (std::isfinite(b)) {
      ++finite;
      EXPECT_TRUE(validSide(model, b, referenceBound(model, r.row_duals), 0.0)) << t;
    }
  }
  EXPECT_GT(finite, 20);
}

// Farkas: the session's ray (CLP's, or the elastic LP's duals when CLP has none: presolve and
// CLP's empty-problem check decide some of these without a ray) certifies every infeasible
// random LP; no vector certifies a feasible one (its duals, random vectors).
TEST(SafeBound, FarkasCertificatesOnlyForInfeasibleLps) {
  testing::SplitMix rng(99);
  int infeasible = 0, certified = 0, feasible = 0;
  for (int t = 0; t < 400; ++t) {
    const int n = rng.uniformInt(1, 8);
    const int m = rng.uniformInt(1, 6);
    const Model model = randomLp(rng, n, m, /*tight=*/true);
    auto session = makeLpSession(model, "clp");
    const LpResult r = session->solve();
    if (r.termination == Termination::kInfeasible) {
      ++infeasible;
      if (!r.farkas_ray.empty()) {
        ASSERT_EQ(r.farkas_ray.size(), static_cast<size_t>(m));
        if (farkasCertifiesInfeasible(model, r.farkas_ray)) ++certified;
      }
      if (n <= 4 && m <= 4) {
        EXPECT_FALSE(vertexOptimum(model).feasible) << t;
      }
    } else if (r.optimal()) {
      ++feasible;
      EXPECT_FALSE(farkasCertifiesInfeasible(model, r.row_duals)) << t;
      for (int k = 0; k < 10; ++k) {
        std::vector<double> y(static_cast<size_t>(m));
        for (double& v : y) v = uniform(rng, -10.0, 10.0);
        EXPECT_FALSE(farkasCertifiesInfeasible(model, y)) << t;
      }
    }
  }
  EXPECT_GE(infeasible, 80);
  EXPECT_GE(feasible, 80);
  RecordProperty("certified", std::to_string(certified) + "/" + std::to_string(infeasible));
  EXPECT_EQ(certified, infeasible);  // measured 185 of 185 (CLP's own ray: 174)
}

// One row x0 + x1 >= 3 over [0, 1]^2: y = 1 certifies (3 > 2); y = -1 does not; a box whose max
// equals the side exactly (x0 + x1 >= 2) is feasible and must not certify.
TEST(SafeBound, FarkasLiterals) {
  Model m;
  const Var a = m.addContinuous(0.0, 1.0);
  const Var b = m.addContinuous(0.0, 1.0);
  m.addGe({{a, 1.0}, {b, 1.0}}, 3.0);
  EXPECT_TRUE(farkasCertifiesInfeasible(m, std::vector<double>{1.0}));
  EXPECT_TRUE(farkasCertifiesInfeasible(m, std::vector<double>{-1.0}));  // either sign is tried
  EXPECT_FALSE(farkasCertifiesInfeasible(m, std::vector<double>{0.0}));
  Model touching;
  const Var c = touching.addContinuous(0.0, 1.0);
  const Var d = touching.addContinuous(0.0, 1.0);
  touching.addGe({{c, 1.0}, {d, 1.0}}, 2.0);
  EXPECT_FALSE(farkasCertifiesInfeasible(touching, std::vector<double>{1.0}));
  EXPECT_THROW(farkasCertifiesInfeasible(touching, std::vector<double>{}), Error);
}

// Cancellation: data where the double evaluation of the formula lands above the exact value
// about half of the time; the safe bound never does.
TEST(SafeBound, NeverAboveTheExactFormulaUnderCancellation) {
  testing::SplitMix rng(5);
  int naive_above = 0;
  for (int t = 0; t < 300; ++t) {
    Model m;
    const int n = 30;
    for (int j = 0; j < n; ++j) m.addContinuous(uniform(rng, -1.0, 0.0), uniform(rng, 0.0, 1.0));
    std::vector<Term> obj;
    std::vector<double> y;
    for (int i = 0; i < 20; ++i) {
      std::vector<Term> row;
      for (int j = 0; j < n; ++j) row.push_back({Var{j}, uniform(rng, -1e3, 1e3)});
      m.addRow(uniform(rng, -1e4, 0.0), uniform(rng, 0.0, 1e4), row);
      y.push_back(uniform(rng, -1e3, 1e3));
    }
    // c = A^T y + tiny: reduced costs are small differences of large numbers.
    std::vector<double> c(static_cast<size_t>(n), 0.0);
    for (size_t i = 0; i < m.rows().size(); ++i) {
      for (const Term& tm : m.rows()[i].terms) c[static_cast<size_t>(tm.var.id)] += y[i] * tm.coef;
    }
    for (int j = 0; j < n; ++j)
      obj.push_back({Var{j}, c[static_cast<size_t>(j)] + uniform(rng, -1e-9, 1e-9)});
    m.setObjective(Sense::kMinimize, obj);
    const double safe = safeObjectiveBound(m, y);
    const double ref = referenceBound(m, y);
    EXPECT_LE(safe, ref) << t;
    EXPECT_NEAR(safe, ref, 1e-6 * (1.0 + std::abs(ref))) << t;
    // The same formula in plain double, for the record.
    double naive = 0.0;
    std::vector<double> d = c;
    for (int j = 0; j < n; ++j) d[static_cast<size_t>(j)] = obj[static_cast<size_t>(j)].coef;
    for (size_t i = 0; i < m.rows().size(); ++i) {
      naive += y[i] * (y[i] > 0 ? m.rows()[i].lb : m.rows()[i].ub);
      for (const Term& tm : m.rows()[i].terms) d[static_cast<size_t>(tm.var.id)] -= y[i] * tm.coef;
    }
    for (int j = 0; j < n; ++j) {
      naive += d[static_cast<size_t>(j)] * (d[static_cast<size_t>(j)] > 0
                                                ? m.columns()[static_cast<size_t>(j)].lb
                                                : m.columns()[static_cast<size_t>(j)].ub);
    }
    if (naive > ref) ++naive_above;
  }
  RecordProperty("naive_above_exact", std::to_string(naive_above));
  EXPECT_GT(naive_above, 30);  // the test has teeth: plain double is unsafe here
}

}  // namespace
}  // namespace nnmip::mip
