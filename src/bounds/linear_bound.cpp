#include "bounds/linear_bound.hpp"

#include <cmath>
#include <memory>

#include "bounds/alpha.hpp"
#include "bounds/bounder.hpp"
#include "bounds/propagation.hpp"
#include "core/error.hpp"
#include "core/timer.hpp"
#include "encode/compact.hpp"
#include "mip/safe_bound.hpp"
#include "mip/solver.hpp"

namespace nnmip::bounds {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool endsInSoftmax(const nn::Network& net) {
  return net.layer(net.numLayers() - 1).activation == nn::Activation::kSoftmax;
}

// The layer whose pre-activations the objective is over, and whether it is the output through
// a final ReLU (then y = max(a, 0), not a).
struct Target {
  int layer;
  bool relu_output;
};

Target targetOf(const nn::Network& net, const encode::Domain& domain, const LinearObjective& obj) {
  const int last = net.numLayers() - 1;
  if (obj.layer < -1 || obj.layer > last) {
    fail(ErrorKind::kInvalidInput, "linear bound: layer {} out of range -1..{}", obj.layer, last);
  }
  const Target t{obj.layer < 0 ? last : obj.layer,
                 obj.layer < 0 && encode::isReluLayer(net.layer(last))};
  const int size = net.layer(t.layer).outputSize();
  if (obj.coef.size() != size || !obj.coef.allFinite() || !std::isfinite(obj.constant)) {
    fail(ErrorKind::kInvalidInput, "linear bound: {} finite coefficients needed, got {}", size,
         obj.coef.size());
  }
  if (obj.layer < 0 && endsInSoftmax(net) && !domain.outputs_are_logits) {
    fail(ErrorKind::kUnsupported,
         "linear bound: the network ends in softmax, so its outputs are "
         "probabilities; a linear objective is only defined over the logits (ask for logits "
         "explicitly)");
  }
  return t;
}

// c . v + c0 over a box of v.
std::pair<double, double> intervalOf(const Vec& c, double c0, const Vec& lo, const Vec& hi) {
  return {c.cwiseMax(0.0).dot(lo) + c.cwiseMin(0.0).dot(hi) + c0,
          c.cwiseMax(0.0).dot(hi) + c.cwiseMin(0.0).dot(lo) + c0};
}

NetworkBounds chainBounds(const nn::Network& net, const encode::Domain& domain, Method tier,
                          const LinearBoundOptions& options, const Callbacks& callbacks) {
  if (options.prior != nullptr) return *options.prior;
  BoundsOptions bo;
  // The milp tier solves the objective exactly: LP-quality intermediate bounds are enough.
  bo.method = tier == Method::kMilp ? Method::kLp : tier;
  bo.solver = options.solver;
  return computeBounds(net, domain, bo, callbacks).bounds;
}

void solveWithSolver(const nn::Network& net, const encode::Domain& domain, const Target& target,
                     const LinearObjective& obj, bool relax, const LinearBoundOptions& options,
                     LinearBoundResult& out) {
  encode::CompactOptions co;
  co.relax = relax;
  co.num_layers =
      domain.output_rows.empty() && !target.relu_output ? target.layer : net.numLayers();
  const encode::CompactEncoding enc = encode::encodeCompact(net, domain, out.bounds, co);
  if (enc.empty) {
    out.empty = true;
    return;
  }
  const std::vector<encode::AffineExpr>& v =
      target.relu_output ? enc.outputs : enc.pre[static_cast<size_t>(target.layer)];
  // c . v + c0 as one affine expression over the model's columns.
  std::vector<double> dense(static_cast<size_t>(enc.model.numVars()), 0.0);
  double constant = obj.constant;
  for (size_t j = 0; j < v.size(); ++j) {
    const double c = obj.coef[static_cast<Eigen::Index>(j)];
    if (c == 0.0) continue;
    constant += c * v[j].constant;
    for (const mip::Term& t : v[j].terms) dense[static_cast<size_t>(t.var.id)] += c * t.coef;
  }
  std::vector<mip::Term> terms;
  for (size_t i = 0; i < dense.size(); ++i) {
    if (dense[i] != 0.0) terms.push_back({mip::Var{static_cast<int32_t>(i)}, dense[i]});
  }
  // An LP over a model without unstable neurons is the network itself: its optimum is attained.
  const bool linear = enc.unstable.empty();
  bool both_exact = true;
  for (const mip::Sense sense : {mip::Sense::kMinimize, mip::Sense::kMaximize}) {
    const bool min = sense == mip::Sense::kMinimize;
    double value = std::nan("");
    std::optional<Vec> at;
    bool exact = false;
    if (relax) {
      std::unique_ptr<mip::LpSession> session =
          mip::makeLpSession(enc.model, options.solver.lp_backend);
      session->setObjective(sense, terms, constant);
      mip::LpParams params;
      params.time_limit_s = options.solver.time_limit_s;
      const mip::LpResult r = session->solve(params);
      if (r.termination == mip::Termination::kInfeasible && !r.farkas_ray.empty() &&
          mip::farkasCertifiesInfeasible(enc.model, r.farkas_ray)) {
        out.empty = true;
        return;
      }
      if (r.optimal() && r.objective &&
          r.row_duals.size() == static_cast<size_t>(enc.model.numRows())) {
        // The safe bound from the duals: valid whatever CLP's tolerances were.
        value =
            mip::safeObjectiveBound(enc.model, mip::Objective{sense, terms, constant}, r.row_duals);
        exact = linear;
        if (exact && !r.values.empty()) at = enc.inputOf(r.values);
      }
    } else {
      mip::Model model = enc.model;
      model.setObjective(sense, terms, constant);
      mip::MipParams params;
      params.threads = 1;
      params.time_limit_s = options.solver.time_limit_s;
      params.backend_options = options.solver.mip_backend_options;
      params.exact_dual_bound = true;
      std::unique_ptr<mip::MipSolver> solver = mip::makeMipSolver(options.solver.mip_backend);
      const mip::MipResult r = solver->solve(model, params);
      if (r.termination == mip::Termination::kInfeasible) {
        out.empty = true;
        return;
      }
      value = r.provenBound();  // the dual bound, never the incumbent
      exact = r.termination == mip::Termination::kOptimal && r.hasSolution();
      if (exact) at = enc.inputOf(r.values);
    }
    both_exact = both_exact && exact;
    if (!std::isfinite(value)) continue;  // keep the weaker bound
    // MILP dual bounds cannot be certified cheaply: widen them (LP values are already safe).
    const double widen = relax ? 0.0 : options.solver.safety;
    if (min) {
      out.lo = std::max(out.lo, value - widen);
      out.argmin = at;
    } else {
      out.hi = std::min(out.hi, value + widen);
      out.argmax = at;
    }
  }
  out.exact = both_exact;
}

}  // namespace

LinearBoundResult linearBound(const nn::Network& net, const encode::Domain& domain,
                              const LinearObjective& objective, Method tier,
                              const LinearBoundOptions& options, const Callbacks& callbacks) {
  const Timer timer;
  encode::checkSupported(net);
  domain.validate(net, "linear bound domain");
  const Target target = targetOf(net, domain, objective);
  LinearBoundResult out;
  out.bounds = chainBounds(net, domain, tier, options, callbacks);
  if (out.bounds.empty) {
    out.empty = true;
    out.lo = kInf;
    out.hi = -kInf;
    out.wall_s = timer.seconds();
    return out;
  }
  // Interval bound of the objective from the target layer's bounds: valid at every tier.
  const LayerBounds& tb = out.bounds.layers[static_cast<size_t>(target.layer)];
  const LayerBounds v =
      target.relu_output ? encode::postActivationBounds(net.layer(target.layer), tb) : tb;
  std::tie(out.lo, out.hi) = intervalOf(objective.coef, objective.constant, v.lo, v.hi);
  if (tier != Method::kNaive && tier != Method::kInterval && !target.relu_output) {
    // Back-substitution through the relaxations of the layers before the target.
    const Eigen::MatrixXd c = objective.coef.transpose();
    const Vec c0 = Vec::Constant(1, objective.constant);
    out.lo = std::max(out.lo, symbolicLowerBounds(net, out.bounds, target.layer, c, c0)[0]);
    out.hi = std::min(out.hi, -symbolicLowerBounds(net, out.bounds, target.layer, -c, -c0)[0]);
    if (tier == Method::kAlpha) {  // the same with optimised lower slopes
      AlphaOptions ao;
      ao.time_limit_s = options.solver.time_limit_s;
      out.lo =
          std::max(out.lo, alphaLowerBounds(net, domain, out.bounds, target.layer, c, c0, ao)[0]);
      out.hi = std::min(out.hi,
                        -alphaLowerBounds(net, domain, out.bounds, target.layer, -c, -c0, ao)[0]);
    }
  }
  if (tier == Method::kLp || tier == Method::kMilp) {
    solveWithSolver(net, domain, target, objective, tier == Method::kLp, options, out);
  }
  if (out.empty) {
    out.lo = kInf;
    out.hi = -kInf;
    out.argmin.reset();
    out.argmax.reset();
    out.exact = false;
  } else if (out.lo > out.hi) {
    std::swap(out.lo, out.hi);  // round-off on a degenerate objective; both still valid
  }
  out.wall_s = timer.seconds();
  return out;
}

}  // namespace nnmip::bounds
