// Bounds over a Domain (box, ReLU splits, input and output rows), each computed from scratch,
// against independent oracles: the full big-M LP, the LP of one activation pattern, and
// enumeration of every pattern (one LP each).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "../encode/tiny_nets.hpp"
#include "bounds/bounder.hpp"
#include "bounds/linear_bound.hpp"
#include "bounds/propagation.hpp"
#include "bounds/solver_bounds.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "encode/bigm.hpp"
#include "encode/compact.hpp"
#include "mip/solver.hpp"
#include "nn/forward.hpp"

namespace nnmip {
namespace {

using encode::Domain;
using encode::LinearRow;
using encode::Phase;
using testnets::Mat;
using testnets::Vec;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTol = 1e-6;

Vec randomVec(Rng& rng, int n, double scale = 1.0) {
  Vec v(n);
  for (int i = 0; i < n; ++i) v[i] = rng.normal(0.0, scale);
  return v;
}

// A random domain that contains a known point x0: a sub-box of [-1,1]^n, splits that agree
// with x0's activation pattern, an input row and an output row that x0 satisfies with slack.
struct RandomDomain {
  Domain domain;
  Vec x0;
};

RandomDomain randomDomain(const nn::Network& net, uint64_t seed, int num_splits, bool rows) {
  Rng rng(seed);
  const int n = net.inputSize();
  Vec lo(n), hi(n);
  for (int i = 0; i < n; ++i) {
    const double a = rng.uniform(-1.0, 0.6);
    lo[i] = a;
    hi[i] = a + rng.uniform(0.2, 0.9);
  }
  RandomDomain rd{Domain(encode::Box(lo, hi)), Vec(n)};
  for (int i = 0; i < n; ++i) rd.x0[i] = rng.uniform(lo[i], hi[i]);
  const nn::ForwardTrace t = nn::forwardTrace(net, rd.x0);
  std::vector<nn::NeuronId> relus;
  for (int l = 0; l < net.numLayers(); ++l) {
    if (!encode::isReluLayer(net.layer(l))) continue;
    for (int j = 0; j < net.layer(l).outputSize(); ++j) relus.push_back({l, j});
  }
  for (int s = 0; s < num_splits && !relus.empty(); ++s) {
    const nn::NeuronId id = relus[rng.below(relus.size())];
    const double a = t.pre[static_cast<size_t>(id.layer)][id.index];
    rd.domain.splits[id] = a >= 0.0 ? Phase::kActive : Phase::kInactive;
  }
  if (rows) {
    LinearRow in{randomVec(rng, n)};
    in.hi = in.coef.dot(rd.x0) + 0.2;
    rd.domain.input_rows.push_back(in);
    LinearRow out{randomVec(rng, net.outputSize())};
    out.lo = out.coef.dot(t.output()) - 0.3;
    rd.domain.output_rows.push_back(out);
  }
  EXPECT_TRUE(rd.domain.satisfiedBy(net, rd.x0, 1e-12));
  return rd;
}

// Affine maps of every pre-activation under a fixed activation pattern of all ReLU neurons.
struct PatternLp {
  mip::Model model;
  std::vector<mip::Var> x;
  Mat out_a;  // outputs y = out_a x + out_c on the pattern
  Vec out_c;
};

// The LP "x in the domain and the network follows `pattern`" (pattern[l][j]: active), or nullopt
// when the pattern contradicts a split. Built from the network's weights directly.
std::optional<PatternLp> patternLp(const nn::Network& net, const Domain& d,
                                   const std::vector<std::vector<bool>>& pattern) {
  PatternLp p;
  const int n = net.inputSize();
  for (int i = 0; i < n; ++i) p.x.push_back(p.model.addContinuous(d.box.lo[i], d.box.hi[i]));
  auto addRow = [&](const Eigen::RowVectorXd& c, double c0, double lo, double hi) {
    std::vector<mip::Term> t;
    for (int i = 0; i < n; ++i) t.push_back({p.x[static_cast<size_t>(i)], c[i]});
    p.model.addRow(lo - c0, hi - c0, t);
  };
  for (const LinearRow& r : d.input_rows) addRow(r.coef.transpose(), 0.0, r.lo, r.hi);
  Mat a = Mat::Identity(n, n);
  Vec c = Vec::Zero(n);
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    Mat pa = layer.weight * a;
    Vec pc = layer.weight * c + layer.bias;
    if (encode::isReluLayer(layer)) {
      for (int j = 0; j < layer.outputSize(); ++j) {
        const bool on = pattern[static_cast<size_t>(l)][static_cast<size_t>(j)];
        const auto split = d.phaseOf({l, j});
        if (split && (*split == Phase::kActive) != on) return std::nullopt;
        addRow(pa.row(j), pc[j], on ? 0.0 : -kInf, on ? kInf : 0.0);
        if (!on) {
          pa.row(j).setZero();
          pc[j] = 0.0;
        }
      }
    }
    a = pa;
    c = pc;
  }
  p.out_a = a;
  p.out_c = c;
  for (const LinearRow& r : d.output_rows) {
    addRow(r.coef.transpose() * a, r.coef.dot(c), r.lo, r.hi);
  }
  return p;
}

// min / max of coef . y over the pattern's LP (nullopt: infeasible).
std::optional<std::pair<double, double>> solvePattern(PatternLp& p, const Vec& coef) {
  const Eigen::RowVectorXd obj = coef.transpose() * p.out_a;
  std::vector<mip::Term> t;
  for (size_t i = 0; i < p.x.size(); ++i) t.push_back({p.x[i], obj[static_cast<Eigen::Index>(i)]});
  const double c0 = coef.dot(p.out_c);
  auto session = mip::makeLpSession(p.model, "clp-cold");
  double v[2];
  int k = 0;
  for (const mip::Sense s : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
    session->setObjective(s, t, c0);
    const mip::LpResult r = session->solve();
    if (r.termination == mip::Termination::kInfeasible) return std::nullopt;
    EXPECT_TRUE(r.optimal()) << mip::terminationName(r.termination) << " " << r.detail;
    v[k++] = r.objective.value_or(std::nan(""));
  }
  return std::make_pair(v[0], v[1]);
}

std::vector<std::vector<bool>> patternOf(const nn::Network& net, const Vec& x) {
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  std::vector<std::vector<bool>> p;
  for (int l = 0; l < net.numLayers(); ++l) {
    std::vector<bool> row;
    for (int j = 0; j < net.layer(l).outputSize(); ++j) {
      row.push_back(t.pre[static_cast<size_t>(l)][j] >= 0.0);
    }
    p.push_back(row);
  }
  return p;
}

// Exact min / max of coef . y over the domain by enumerating every pattern of the ReLU neurons.
std::pair<double, double> enumerateExtremes(const nn::Network& net, const Domain& d,
                                            const Vec& coef) {
  std::vector<std::pair<int, int>> neurons;
  for (int l = 0; l < net.numLayers(); ++l) {
    if (!encode::isReluLayer(net.layer(l))) continue;
    for (int j = 0; j < net.layer(l).outputSize(); ++j) neurons.emplace_back(l, j);
  }
  double lo = kInf, hi = -kInf;
  for (uint64_t mask = 0; mask < (uint64_t{1} << neurons.size()); ++mask) {
    std::vector<std::vector<bool>> pattern;
    for (int l = 0; l < net.numLayers(); ++l) {
      pattern.emplace_back(static_cast<size_t>(net.layer(l).outputSize()), true);
    }
    for (size_t q = 0; q < neurons.size(); ++q) {
      pattern[static_cast<size_t>(neurons[q].first)][static_cast<size_t>(neurons[q].second)] =
          (mask >> q) & 1;
    }
    std::optional<PatternLp> p = patternLp(net, d, pattern);
    if (!p) continue;
    const auto v = solvePattern(*p, coef);
    if (!v) continue;
    lo = std::min(lo, v->first);
    hi = std::max(hi, v->second);
  }
  return {lo, hi};
}

bounds::SolverBoundsOptions oneThread() {
  bounds::SolverBoundsOptions o;
  o.threads = 1;
  return o;
}

// The LP tier, layer by layer, equals the LP of the thesis's full big-M model over the same
// constraints: the bounds of earlier layers as the tier had them, the domain's splits and rows,
// and no range on stable neurons' pre-activations (the compact form keeps none either).
TEST(DomainBounds, LpTierEqualsFullBigMLp) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, 100 + seed);
    const RandomDomain rd = randomDomain(net, seed, 2, seed % 2 == 0);
    const Domain& d = rd.domain;
    const encode::NetworkBounds prior = bounds::computeInterval(net, d);
    ASSERT_FALSE(prior.empty);
    const bounds::BoundsResult lp = bounds::computeLpBounds(net, d, prior, oneThread());
    ASSERT_FALSE(lp.bounds.empty);
    for (int k = d.hasSideRows() ? 0 : 1; k < net.numLayers(); ++k) {
      // What the tier encoded when it solved layer k: final bounds before k, prior from k on.
      encode::NetworkBounds used = prior;
      for (int l = 0; l < k; ++l)
        used.layers[static_cast<size_t>(l)] = lp.bounds.layers[static_cast<size_t>(l)];
      mip::Model m;
      encode::EncodeOptions eo;
      eo.relax = true;
      // Only the layers the tier's model has (later layers' big-M rows would cut the relaxation).
      if (d.output_rows.empty()) {
        eo.num_layers = k + 1;
        eo.last_activation = false;
      }
      const encode::EncodedNetwork enc = encode::encodeNetwork(m, net, d, used, eo);
      for (int l = 0; l < static_cast<int>(enc.layers.size()); ++l) {
        for (int j = 0; j < net.layer(l).outputSize(); ++j) {
          const encode::NeuronVars& nv = enc.neuron(l, j);
          if (nv.state == encode::NeuronState::kUnstable) continue;  // range implied by big-M
          // The tier's model of layer k carries the splits of the layers it encodes: those
          // before k, or every layer when output rows make it encode the whole network.
          const auto split = l >= k && d.output_rows.empty() ? std::nullopt : d.phaseOf({l, j});
          const double lb = split == Phase::kActive ? 0.0 : -kInf;
          const double ub = split == Phase::kInactive ? 0.0 : kInf;
          m.setVarBounds(nv.pre, lb, ub);
        }
      }
      for (int j = 0; j < net.layer(k).outputSize(); ++j) {
        auto session = mip::makeLpSession(m, "clp-cold");
        double full[2];
        int s = 0;
        for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
          const mip::Term obj[] = {{enc.neuron(k, j).pre, 1.0}};
          session->setObjective(sense, obj);
          const mip::LpResult r = session->solve();
          ASSERT_TRUE(r.optimal()) << "seed " << seed << " layer " << k << " j " << j << " "
                                   << mip::terminationName(r.termination) << " " << r.detail;
          full[s++] = *r.objective;
        }
        const encode::LayerBounds& tier = lp.bounds.layers[static_cast<size_t>(k)];
        const encode::LayerBounds& pr = prior.layers[static_cast<size_t>(k)];
        double want_lo = std::max(pr.lo[j], full[0] - 1e-7);
        double want_hi = std::min(pr.hi[j], full[1] + 1e-7);
        const auto split = d.phaseOf({k, j});
        if (split == Phase::kActive) want_lo = std::max(want_lo, 0.0);
        if (split == Phase::kInactive) want_hi = std::min(want_hi, 0.0);
        EXPECT_NEAR(tier.lo[j], want_lo, kTol) << "seed " << seed << " layer " << k << " j " << j;
        EXPECT_NEAR(tier.hi[j], want_hi, kTol) << "seed " << seed << " layer " << k << " j " << j;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 60);
}

// A column per stably active neuron (StableForm::kColumns), carrying the neuron's
// range: MILP optima of every pre-activation equal the composed form's, LP optima lie between
// the composed LP's and the MILP's, over domains with splits, input and output rows; the model
// point of x0 stays feasible; and on a deeper net with many stably active neurons the rows get
// sparser, which kSparser sees (it keeps the composed form where that is sparser).
TEST(DomainBounds, LayerColumnsKeepLpAndMilpOptima) {
  int compared = 0;
  int with_columns = 0;  // encodings with a stably active neuron's column
  int tighter = 0;       // LP optima the columns' ranges moved
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    const nn::Network net = testnets::randomNet({3, 6, 6, 6, 2}, 300 + seed);
    const RandomDomain rd = randomDomain(net, seed, 2, seed % 2 == 0);
    const encode::NetworkBounds prior = bounds::computeInterval(net, rd.domain);
    ASSERT_FALSE(prior.empty);
    const bool rows = !rd.domain.output_rows.empty();
    for (int k = rows ? net.numLayers() : 1; k <= net.numLayers(); ++k) {
      for (const bool relax : {true, false}) {
        encode::CompactOptions co;
        co.relax = relax;
        co.num_layers = k;
        const encode::CompactEncoding composed = encode::encodeCompact(net, rd.domain, prior, co);
        co.stable_form = encode::StableForm::kColumns;
        const encode::CompactEncoding columns = encode::encodeCompact(net, rd.domain, prior, co);
        ASSERT_FALSE(composed.empty);
        ASSERT_FALSE(columns.empty);
        EXPECT_EQ(columns.model.numVars(),
                  composed.model.numVars() + static_cast<int>(columns.linear.size()));
        with_columns += !columns.linear.empty();
        // x0 lies in the domain: its model point satisfies every row, column bound (the
        // columns' ranges included) and integrality.
        EXPECT_LE(columns.model.maxViolation(columns.pointFromInput(net, rd.x0)), 1e-9);
        const auto& exprs = [&](const encode::CompactEncoding& e) -> const auto& {
          return k < net.numLayers() ? e.pre[static_cast<size_t>(k)] : e.outputs;
        };
        for (size_t j = 0; j < exprs(composed).size(); ++j) {
          for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
            SCOPED_TRACE(testing::Message()
                         << "layer " << k << " neuron " << j << (relax ? " lp" : " milp"));
            auto solve = [&](const encode::CompactEncoding& e) {
              mip::Model m = e.model;
              const encode::AffineExpr& obj = exprs(e)[j];
              m.setObjective(sense, obj.terms, obj.constant);
              const mip::MipResult r = mip::makeMipSolver("cbc")->solve(m, {});
              EXPECT_EQ(r.termination, mip::Termination::kOptimal);
              return r.objective.value_or(std::nan(""));
            };
            const double a = solve(composed);
            const double c = solve(columns);
            const double tol = 1e-6 * (1.0 + std::abs(a));
            if (!relax) {
              EXPECT_NEAR(a, c, tol);
            } else {
              // Between the composed LP and the exact optimum (the composed MILP).
              encode::CompactOptions mo = co;
              mo.relax = false;
              mo.stable_form = encode::StableForm::kComposed;
              const double exact = solve(encode::encodeCompact(net, rd.domain, prior, mo));
              const bool min = sense == mip::Sense::kMinimize;
              EXPECT_GE(min ? c : a, (min ? a : c) - tol);
              EXPECT_GE(min ? exact : c, (min ? c : exact) - tol);
              tighter += std::abs(c - a) > 1e-6;
            }
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GE(compared, 100);
  EXPECT_GE(with_columns, 8);
  std::printf("LP optima moved by the columns' ranges: %d of %d solves\n", tighter, compared);

  // Wide layers, a small box: most neurons stably active, so the composed rows are long.
  const nn::Network deep = testnets::randomNet({30, 40, 40, 40, 2}, 7);
  const Domain small(encode::Box::uniform(30, 0.0, 0.02));
  const encode::NetworkBounds b = bounds::computeInterval(deep, small);
  auto build = [&](encode::StableForm form, int num_layers) {
    encode::CompactOptions co;
    co.relax = false;
    co.num_layers = num_layers;
    co.stable_form = form;
    const encode::CompactEncoding enc = encode::encodeCompact(deep, small, b, co);
    std::printf("%s, %d layers: %d rows, %ld terms\n",
                std::string(encode::stableFormName(form)).c_str(), num_layers, enc.model.numRows(),
                enc.numTerms());
    return enc;
  };
  using encode::StableForm;
  const long composed = build(StableForm::kComposed, -1).numTerms();
  const long columns = build(StableForm::kColumns, -1).numTerms();
  EXPECT_LT(columns, composed);
  const encode::CompactEncoding sparser = build(StableForm::kSparser, -1);
  EXPECT_EQ(sparser.stable_form, StableForm::kColumns);
  EXPECT_EQ(sparser.numTerms(), columns);
  // One layer encoded: its pre-activations are objectives, not rows, so the columns' equality
  // rows only add terms and the composed form is kept.
  const long composed1 = build(StableForm::kComposed, 1).numTerms();
  EXPECT_GT(build(StableForm::kColumns, 1).numTerms(), composed1);
  const encode::CompactEncoding sparser1 = build(StableForm::kSparser, 1);
  EXPECT_EQ(sparser1.stable_form, StableForm::kComposed);
  EXPECT_EQ(sparser1.numTerms(), composed1);
}

// With every ReLU fixed, the LP tier's bound of an output objective is the LP of that pattern.
TEST(DomainBounds, LeafEqualsPatternLp) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const nn::Network net = testnets::randomNet({3, 4, 4, 2}, 200 + seed);
    RandomDomain rd = randomDomain(net, seed, 0, seed % 2 == 1);
    const auto pattern = patternOf(net, rd.x0);
    for (int l = 0; l + 1 < net.numLayers(); ++l) {
      for (int j = 0; j < net.layer(l).outputSize(); ++j) {
        rd.domain.splits[{l, j}] = pattern[static_cast<size_t>(l)][static_cast<size_t>(j)]
                                       ? Phase::kActive
                                       : Phase::kInactive;
      }
    }
    Rng rng(seed);
    const Vec coef = randomVec(rng, net.outputSize());
    std::optional<PatternLp> p = patternLp(net, rd.domain, pattern);
    ASSERT_TRUE(p.has_value());
    const auto want = solvePattern(*p, coef);
    ASSERT_TRUE(want.has_value());
    bounds::LinearBoundOptions lo;
    lo.solver = oneThread();
    const bounds::LinearBoundResult got =
        bounds::linearBound(net, rd.domain, {-1, coef, 0.0}, bounds::Method::kLp, lo);
    ASSERT_FALSE(got.empty);
    EXPECT_TRUE(got.exact);
    EXPECT_NEAR(got.lo, want->first, kTol) << "seed " << seed;
    EXPECT_NEAR(got.hi, want->second, kTol) << "seed " << seed;
    ASSERT_TRUE(got.argmin.has_value());
    EXPECT_NEAR(coef.dot(nn::forward(net, *got.argmin)), want->first, 1e-6);
  }
}

// linearBound at the milp tier is the exact extreme over the domain (enumeration of patterns).
TEST(DomainBounds, MilpLinearBoundEqualsEnumeration) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const nn::Network net = testnets::randomNet({3, 4, 4, 2}, 300 + seed);
    const RandomDomain rd = randomDomain(net, seed, static_cast<int>(seed % 3), seed % 2 == 0);
    Rng rng(seed + 50);
    const Vec coef = randomVec(rng, net.outputSize());
    const auto [want_lo, want_hi] = enumerateExtremes(net, rd.domain, coef);
    ASSERT_TRUE(std::isfinite(want_lo));
    bounds::LinearBoundOptions lo;
    lo.solver = oneThread();
    const bounds::LinearBoundResult got =
        bounds::linearBound(net, rd.domain, {-1, coef, 0.0}, bounds::Method::kMilp, lo);
    EXPECT_TRUE(got.exact);
    EXPECT_NEAR(got.lo, want_lo, kTol) << "seed " << seed;
    EXPECT_NEAR(got.hi, want_hi, kTol) << "seed " << seed;
    ASSERT_TRUE(got.argmax.has_value());
    EXPECT_TRUE(rd.domain.satisfiedBy(net, *got.argmax, 1e-6));
    EXPECT_NEAR(coef.dot(nn::forward(net, *got.argmax)), want_hi, 1e-6);
    // Every weaker tier is a valid enclosure of the exact range.
    for (const bounds::Method m : {bounds::Method::kInterval, bounds::Method::kSymbolic,
                                   bounds::Method::kAlpha, bounds::Method::kLp}) {
      const bounds::LinearBoundResult w =
          bounds::linearBound(net, rd.domain, {-1, coef, 0.0}, m, lo);
      EXPECT_LE(w.lo, want_lo + kTol) << bounds::methodName(m);
      EXPECT_GE(w.hi, want_hi - kTol) << bounds::methodName(m);
    }
  }
}

// Points of the domain: uniform samples and attack points that pass satisfiedBy, plus the
// exact extremes (MILP argmin/argmax) of random objectives over outputs and hidden layers.
std::vector<Vec> acceptedSamples(const nn::Network& net, const Domain& d, uint64_t seed) {
  std::vector<Vec> pts;
  for (const Vec& x : testnets::samplePoints(net, d.box, seed, 400, 50, 3)) {
    if (d.satisfiedBy(net, x)) pts.push_back(x);
  }
  Rng rng(seed);
  bounds::LinearBoundOptions lo;
  lo.solver = oneThread();
  for (int q = 0; q < 15; ++q) {
    const int layer = static_cast<int>(rng.below(static_cast<uint64_t>(net.numLayers())));
    const Vec coef = randomVec(rng, net.layer(layer).outputSize());
    const bounds::LinearBoundResult r =
        bounds::linearBound(net, d, {layer, coef, 0.0}, bounds::Method::kMilp, lo);
    for (const auto& x : {r.argmin, r.argmax}) {
      // MILP points are feasible within the solver's tolerances: project onto the box.
      if (x && d.satisfiedBy(net, x->cwiseMax(d.box.lo).cwiseMin(d.box.hi), 1e-7)) {
        pts.push_back(x->cwiseMax(d.box.lo).cwiseMin(d.box.hi));
      }
    }
  }
  return pts;
}

TEST(DomainBounds, EveryTierContainsAcceptedSamples) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, 400 + seed);
    const RandomDomain rd = randomDomain(net, seed, 2, seed % 2 == 1);
    const std::vector<Vec> pts = acceptedSamples(net, rd.domain, seed);
    ASSERT_GE(pts.size(), 50u) << "seed " << seed << ": too few points of the domain";
    for (const bounds::Method m :
         {bounds::Method::kNaive, bounds::Method::kInterval, bounds::Method::kSymbolic,
          bounds::Method::kAlpha, bounds::Method::kLp, bounds::Method::kMilp}) {
      bounds::BoundsOptions o;
      o.method = m;
      o.solver = oneThread();
      const bounds::BoundsResult r = bounds::computeBounds(net, rd.domain, o);
      ASSERT_FALSE(r.bounds.empty) << bounds::methodName(m);
      EXPECT_LE(testnets::maxViolation(net, r.bounds, pts), 1e-7)
          << "seed " << seed << " " << bounds::methodName(m);
    }
  }
}

// A split child's bounds, computed from scratch, lie inside its parent's: interval, and the lp
// and milp tiers seeded by interval bounds (relaxations over nested boxes are nested). The
// symbolic tier is left out on purpose: its adaptive lower line (h >= a when U >= -L, else
// h >= 0) can switch from h >= 0 to h >= a when a split narrows a later neuron's range, so a
// child's symbolic bound can be looser than its parent's (seed 1 here shows it); a branch and
// bound intersects a child's symbolic bounds with its parent's.
TEST(DomainBounds, SplitChildInsideParent) {
  int splits = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const nn::Network net = testnets::randomNet({3, 5, 5, 2}, 500 + seed);
    const RandomDomain rd = randomDomain(net, seed, 1, seed % 2 == 0);
    const encode::NetworkBounds parent_interval = bounds::computeInterval(net, rd.domain);
    // Split an unstable neuron of layer 0 or 1, each way.
    for (int l = 0; l < 2; ++l) {
      for (int j = 0; j < net.layer(l).outputSize(); ++j) {
        const encode::LayerBounds& b = parent_interval.layers[static_cast<size_t>(l)];
        if (!(b.lo[j] < 0.0 && b.hi[j] > 0.0) || rd.domain.phaseOf({l, j})) continue;
        for (const Phase phase : {Phase::kActive, Phase::kInactive}) {
          const Domain child = rd.domain.withSplit({l, j}, phase);
          for (const bounds::Method m :
               {bounds::Method::kInterval, bounds::Method::kLp, bounds::Method::kMilp}) {
            bounds::BoundsOptions o;
            o.method = m;
            o.symbolic_seed = false;
            o.solver = oneThread();
            const encode::NetworkBounds p = bounds::computeBounds(net, rd.domain, o).bounds;
            const encode::NetworkBounds c = bounds::computeBounds(net, child, o).bounds;
            if (c.empty) continue;  // an empty child is inside anything
            EXPECT_TRUE(bounds::containedIn(c, p, 1e-6))
                << "seed " << seed << " split (" << l << "," << j << ") "
                << encode::phaseName(phase) << " " << bounds::methodName(m);
          }
          ++splits;
        }
        break;  // one neuron per layer
      }
    }
  }
  EXPECT_GE(splits, 8);
}

// A split that contradicts the domain empties it: interval arithmetic proves it (or the LP).
TEST(DomainBounds, ContradictorySplitIsEmpty) {
  const nn::Network net = testnets::twoReluToy();  // a0 = x0 - x1, a1 = x0 + x1
  Domain d(encode::Box(Vec::Constant(2, 0.5), Vec::Constant(2, 1.0)));
  d.splits[{0, 1}] = Phase::kInactive;  // x0 + x1 <= 0 is impossible on [0.5, 1]^2
  EXPECT_TRUE(bounds::computeInterval(net, d).empty);
  const bounds::LinearBoundResult r =
      bounds::linearBound(net, d, {-1, Vec::Ones(1), 0.0}, bounds::Method::kMilp);
  EXPECT_TRUE(r.empty);
  // Inputs rows alone: x0 + x1 <= 0.9 is impossible too, only an LP sees it.
  Domain rows(encode::Box(Vec::Constant(2, 0.5), Vec::Constant(2, 1.0)));
  rows.input_rows.push_back({Vec::Ones(2), -kInf, 0.9});
  EXPECT_FALSE(bounds::computeInterval(net, rows).empty);
  bounds::BoundsOptions o;
  o.method = bounds::Method::kLp;
  EXPECT_TRUE(bounds::computeBounds(net, rows, o).bounds.empty);
}

nn::Network softmaxNet() {
  nn::Network net = testnets::randomNet({3, 4, 3}, 7);
  net.mutableLayers().back().activation = nn::Activation::kSoftmax;
  return net;
}

TEST(DomainBounds, SoftmaxOutputsRefusedUnlessLogits) {
  const nn::Network net = softmaxNet();
  Domain d(encode::Box::uniform(3, 0.0, 1.0));
  d.output_rows.push_back({Vec::Ones(3), -kInf, 1.0});
  mip::Model m;
  try {
    encode::encodeNetwork(m, net, d, bounds::computeInterval(net, d.box));
    FAIL() << "output rows on a softmax network were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("softmax"), std::string::npos);
  }
  Domain plain(encode::Box::uniform(3, 0.0, 1.0));
  EXPECT_THROW(bounds::linearBound(net, plain, {-1, Vec::Ones(3), 0.0}, bounds::Method::kInterval),
               Error);
  d.outputs_are_logits = true;
  plain.outputs_are_logits = true;
  EXPECT_NO_THROW(encode::encodeNetwork(m, net, d, bounds::computeInterval(net, d.box)));
  EXPECT_NO_THROW(bounds::linearBound(net, plain, {-1, Vec::Ones(3), 0.0}, bounds::Method::kLp));
  // Bounds label the softmax layer's bounds as logits.
  const auto stats = bounds::describeBounds(net, bounds::computeInterval(net, d.box));
  EXPECT_TRUE(stats.back().logits);
  EXPECT_FALSE(stats.front().logits);
}

}  // namespace
}  // namespace nnmip
