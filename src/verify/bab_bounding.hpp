#pragma once
// Node bounding of the ReLU-split branch and bound (verify/bab.hpp, steps 1-3 of its comment):
// the spec rows' bounds at a node from the one kernel (bounds/backsub.hpp: CROWN for the
// branching scores, beta-CROWN for the children), the node LP, and a child's bounds.
#include <Eigen/Dense>

#include <map>
#include <vector>

#include "bounds/backsub.hpp"
#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"
#include "verify/bab_node.hpp"

namespace nnmip::verify::bab {

// CROWN (adaptive slopes, no betas) of rows C y + c0 over the box with the bounds `b`: a valid
// lower bound per row and the coefficients of every row on each relaxed layer's h (for the
// branching scores).
struct Crown {
  Eigen::VectorXd lower;
  std::vector<Eigen::MatrixXd> coef_h;  // coef_h[i]: rows x width of layer i (i <= last_relaxed)
};
Crown crownPass(const Context& c, const std::vector<encode::LayerBounds>& b,
                const Eigen::MatrixXd& C, const Eigen::VectorXd& c0, bool want_coefs);

struct BetaOutcome {
  Eigen::VectorXd best;
  Eigen::MatrixXd xstar;  // the relaxed minimiser of the last iterate, per row
  int steps = 0;
  bounds::SlopeState slopes;  // the best iterate's parameters per row (when asked for)
};

// beta-CROWN for the spec rows C y + c0 with the node's bounds fixed: the split constraints
// enter through multipliers beta >= 0, alpha and beta ascend together (BabOptions' steps), the
// best iterate per row is kept. Started cold, iteration 0 (adaptive alpha, beta = 0) equals
// crownPass; warm, it starts from a parent's best iterate. `rows` names C's rows (Spec row
// ids) for `warm`, the parameters to start from (may be empty or hold other rows: those start
// cold).
BetaOutcome betaCrown(const Context& c, const std::vector<encode::LayerBounds>& b,
                      const std::map<nn::NeuronId, encode::Phase>& splits, const Eigen::MatrixXd& C,
                      const Eigen::VectorXd& c0, int iterations, double stop_at,
                      const std::vector<int>& rows, const bounds::SlopeState& warm,
                      bool keep_slopes);

// Lower bound of every atom's coef . y - rhs by the node LP (big-M relaxation over the node's
// domain and bounds): per disjunct a safe bound from the duals (mip/safe_bound.hpp); an
// infeasible LP counts only with a Farkas certificate.
struct LpOutcome {
  bool empty = false;
  std::vector<double> ub;  // per open disjunct (+inf when the LP gave nothing)
  std::vector<Eigen::VectorXd> points;
};
LpOutcome nodeLp(const Context& c, const encode::Domain& dom, const encode::NetworkBounds& nb,
                 const std::vector<int>& open);

struct ChildResult {
  bool empty = false;
  NodePtr node;                         // with bounds and the disjuncts still open (possibly none)
  std::vector<Eigen::VectorXd> points;  // relaxed minimisers and LP optima (candidates)
  double interm_s = 0.0;                // re-bounding the layers after the split
  double spec_s = 0.0;                  // bounds of the open atoms (and the node LP)
};

// The bounds of the child of `parent` with `id` in `phase`: the parent's bounds with the split
// applied, the layers after it re-bounded (alpha tier), then the open atoms' bounds (beta-CROWN,
// or the alpha tier without `beta`) and, with few unstable neurons left, the node LP. A child
// never gets a larger margin bound than its parent.
ChildResult boundChild(const Context& c, const Node& parent, nn::NeuronId id, encode::Phase phase);

}  // namespace nnmip::verify::bab
