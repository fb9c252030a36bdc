#include "verify/bab_bounding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "bounds/alpha.hpp"
#include "core/timer.hpp"
#include "encode/bigm.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"

namespace nnmip::verify::bab {
namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using encode::LayerBounds;
using encode::Phase;
constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// ---------------------------------------------------------------------------------------------
// The spec rows' bounds, all from the one kernel (bounds/backsub.hpp).

Crown crownPass(const Context& c, const std::vector<LayerBounds>& b, const Mat& C, const Vec& c0,
                bool want_coefs) {
  bounds::BackSubRequest req;
  req.want_layer_coefs = want_coefs;
  const bounds::Relaxation rx = bounds::relaxLayers(c.net, c.box, b, c.last_relaxed + 1);
  bounds::BackSubResult r =
      bounds::backSubstitute(rx, bounds::rowsOnOutputs(c.net, rx, C, c0), {}, req);
  return {std::move(r.lower), std::move(r.layer_coefs)};
}

BetaOutcome betaCrown(const Context& c, const std::vector<LayerBounds>& b,
                      const std::map<nn::NeuronId, Phase>& splits, const Mat& C, const Vec& c0,
                      int iterations, double stop_at, const std::vector<int>& rows,
                      const bounds::SlopeState& warm, bool keep_slopes) {
  bounds::SlopeOptimiser opt;
  opt.iterations = iterations;
  opt.lr_alpha = c.opt.spec_lr_alpha;
  opt.lr_beta = c.opt.spec_lr_beta;
  opt.decay = c.opt.spec_lr_decay;
  opt.stop_at = stop_at;
  opt.stop_rule = bounds::StopRule::kAllRows;
  opt.zero_coef = bounds::ZeroCoefInput::kCentre;
  opt.idle_momentum = false;
  bounds::BackSubRequest req;
  req.want_input_form = true;
  req.keep_slopes = keep_slopes;
  req.row_ids = rows;
  req.warm = &warm;
  const bounds::Relaxation rx = bounds::relaxLayers(c.net, c.box, b, c.last_relaxed + 1, &splits);
  bounds::BackSubResult r =
      bounds::backSubstitute(rx, bounds::rowsOnOutputs(c.net, rx, C, c0), opt, req);
  return {std::move(r.lower), std::move(r.vertex), r.steps, std::move(r.slopes)};
}

// ---------------------------------------------------------------------------------------------
// The node LP and a child.

LpOutcome nodeLp(const Context& c, const encode::Domain& dom, const encode::NetworkBounds& nb,
                 const std::vector<int>& open) {
  LpOutcome out;
  out.ub.assign(open.size(), kInf);
  mip::Model model;
  encode::EncodeOptions eo;
  eo.relax = true;
  const encode::EncodedNetwork enc = encode::encodeNetwork(model, c.net, dom, nb, eo);
  if (enc.empty) return out;  // cannot happen after the clamps; no claim
  const LayerBounds y =
      encode::postActivationBounds(c.net.layer(c.net.numLayers() - 1), nb.layers.back());
  const std::vector<encode::AffineExpr> outputs = outputExprs(enc.outputs);
  std::vector<mip::Var> ts;
  for (int d : open) {
    // t's lower bound is below the margin at every point of the box (interval arithmetic), so
    // the rows never cut a feasible point.
    const MarginRange m = c.spec.marginRange(d, y);
    ts.push_back(c.spec.addMarginVar(model, d, outputs, m.lo - 1.0, m.hi + 1.0));
  }
  auto session = mip::makeLpSession(model);
  for (size_t q = 0; q < ts.size(); ++q) {
    const mip::Term term{ts[q], 1.0};
    session->setObjective(mip::Sense::kMaximize, std::span<const mip::Term>(&term, 1));
    const mip::LpResult r = session->solve();
    if (r.termination == mip::Termination::kInfeasible) {
      if (!r.farkas_ray.empty() && mip::farkasCertifiesInfeasible(model, r.farkas_ray)) {
        out.empty = true;
        return out;
      }
      continue;
    }
    if (!r.optimal() || r.row_duals.size() != static_cast<size_t>(model.numRows())) continue;
    mip::Objective obj;
    obj.sense = mip::Sense::kMaximize;
    obj.terms = {term};
    const double v = mip::safeObjectiveBound(model, obj, r.row_duals);
    if (!std::isnan(v)) out.ub[q] = v;
    if (!r.values.empty()) {
      Vec x(enc.inputs.size());
      for (int i = 0; i < enc.inputs.size(); ++i) {
        x[i] = r.values.at(static_cast<size_t>(enc.inputs.x[static_cast<size_t>(i)].id));
      }
      out.points.push_back(std::move(x));
    }
  }
  return out;
}
ChildResult boundChild(const Context& c, const Node& parent, nn::NeuronId id, Phase phase) {
  ChildResult res;
  auto child = std::make_unique<Node>();
  child->splits = parent.splits;
  child->splits[id] = phase;
  child->depth = parent.depth + 1;
  const encode::Domain dom = c.domainOf(*child);
  encode::NetworkBounds nb;
  nb.input = c.box;
  nb.layers = parent.bounds;
  nb.method = "bab";
  const Timer t_interm;
  bool ok = encode::applySplits(dom, id.layer, nb.layers[static_cast<size_t>(id.layer)]);
  bounds::AlphaOptions ai;
  ai.iterations = c.opt.interm_iterations;
  ai.threads = 1;
  ai.chunk_size = 1 << 20;
  ai.stop_at = 0.0;  // a row proving its neuron stable stops
  const int recompute_to = c.opt.recompute_intermediate ? c.last_relaxed : id.layer;
  for (int k = id.layer + 1; ok && k <= recompute_to; ++k) {
    const nn::DenseLayer& layer = c.net.layer(k);
    const bool relu = encode::isReluLayer(layer);
    LayerBounds& b = nb.layers[static_cast<size_t>(k)];
    std::vector<int> cand;
    for (int j = 0; j < b.size(); ++j) {
      if (!relu || (b.lo[j] < 0.0 && b.hi[j] > 0.0)) cand.push_back(j);
    }
    if (cand.empty()) continue;
    const auto n = static_cast<Eigen::Index>(cand.size());
    Mat rows = Mat::Zero(2 * n, b.size());
    for (Eigen::Index q = 0; q < n; ++q) {
      rows(2 * q, cand[static_cast<size_t>(q)]) = 1.0;
      rows(2 * q + 1, cand[static_cast<size_t>(q)]) = -1.0;
    }
    const Vec lb = bounds::alphaLowerBounds(c.net, dom, nb, k, rows, Vec::Zero(2 * n), ai);
    for (Eigen::Index q = 0; q < n && ok; ++q) {
      const int j = cand[static_cast<size_t>(q)];
      double lo = std::max(b.lo[j], lb[2 * q]);
      double hi = std::min(b.hi[j], -lb[2 * q + 1]);
      if (lo > hi) {
        // Two valid bounds that cross: the domain is empty, unless it is round-off.
        if (lo - hi > c.opt.close_margin * (1.0 + std::abs(lo))) {
          ok = false;
          break;
        }
        std::swap(lo, hi);
      }
      b.lo[j] = lo;
      b.hi[j] = hi;
    }
    if (ok) ok = encode::applySplits(dom, k, b);
  }
  res.interm_s = t_interm.seconds();
  if (!ok) {
    res.empty = true;
    res.node = std::move(child);
    return res;
  }
  // The open atoms' alpha bounds.
  const Timer t_spec;
  const SpecRows rows = specRows(c.spec, parent.open);
  bounds::AlphaOptions as;
  as.iterations = c.opt.spec_iterations;
  as.threads = 1;
  as.chunk_size = 1 << 20;
  as.stop_at = 2.0 * c.opt.close_margin;
  Vec lower;
  if (c.opt.beta) {
    BetaOutcome bo = betaCrown(c, nb.layers, child->splits, rows.C, rows.c0, c.opt.spec_iterations,
                               2.0 * c.opt.close_margin, rows.ids, parent.slopes, c.opt.warm_start);
    lower = std::move(bo.best);
    child->slopes = std::move(bo.slopes);
    for (Eigen::Index r = 0; r < bo.xstar.rows(); ++r)
      res.points.push_back(bo.xstar.row(r).transpose());
  } else {
    lower = bounds::alphaSpecLowerBounds(c.net, dom, nb, rows.C, rows.c0, as);
  }
  std::vector<double> ub = c.spec.marginUpper(parent.open, lower);
  for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], parent.ub[q]);
  bool any_open = false;
  for (double u : ub) any_open |= !(u < -c.opt.close_margin);
  // A child with few unstable neurons left gets the node LP (exact split rows; with none left
  // it is exact for the node).
  if (any_open && countUnstable(c, nb.layers) <= c.opt.lp_max_unstable) {
    const LpOutcome lp = nodeLp(c, dom, nb, parent.open);
    if (lp.empty) {
      res.spec_s = t_spec.seconds();
      res.empty = true;
      res.node = std::move(child);
      return res;
    }
    for (size_t q = 0; q < ub.size(); ++q) ub[q] = std::min(ub[q], lp.ub[q]);
    for (const Vec& x : lp.points) res.points.push_back(x);
    child->lp_done = true;
  }
  res.spec_s = t_spec.seconds();
  for (size_t q = 0; q < ub.size(); ++q) {
    if (ub[q] < -c.opt.close_margin) continue;
    child->open.push_back(parent.open[q]);
    child->ub.push_back(ub[q]);
  }
  child->bounds = std::move(nb.layers);
  res.node = std::move(child);
  return res;
}

}  // namespace nnmip::verify::bab
