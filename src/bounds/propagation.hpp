#pragma once
// Solver-free bound tiers, each valid on its own over the input box:
//   naive     Propositions 2.1/2.2 of the thesis (norm products, induced inf-norm);
//   interval  interval arithmetic layer by layer;
//   symbolic  linear relaxation with back-substitution to the input (DeepPoly/CROWN style:
//             upper line u/(u-l) (a - l), adaptive lower line h >= alpha a with alpha = 1 if
//             u >= -l else 0), intersected with interval propagation at every layer.
// `prior` (optional, same network and box) is intersected in at every layer, so a tier never
// returns anything looser than bounds already known.
#include "bounds/layer_bounds.hpp"
#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

using encode::Box;

NetworkBounds computeNaive(const nn::Network& net, const Box& box);
NetworkBounds computeInterval(const nn::Network& net, const Box& box,
                              const NetworkBounds* prior = nullptr);
NetworkBounds computeSymbolic(const nn::Network& net, const Box& box,
                              const NetworkBounds* prior = nullptr);

// Over a Domain: the box and the splits (a split neuron's range is clamped at 0 after its layer
// is bounded; a range emptied by a split sets NetworkBounds::empty). Side rows are ignored, which
// is valid but looser.
NetworkBounds computeInterval(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior = nullptr);
NetworkBounds computeSymbolic(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior = nullptr);

// Lower bounds of C a(layer) + c0 (one per row of C; a(layer) the layer's pre-activations) over
// bounds.input by back-substitution through the symbolic tier's relaxations of the earlier
// layers, given bounds valid over the domain (the relaxations use them; splits are respected
// through them). Upper bounds: minus the lower bounds of -C, -c0.
Vec symbolicLowerBounds(const nn::Network& net, const NetworkBounds& bounds, int layer,
                        const Eigen::MatrixXd& coef, const Vec& constant);

// Interval propagation of one layer from bounds on its input h (used by every tier).
LayerBounds propagateInterval(const nn::DenseLayer& layer, const Vec& h_lo, const Vec& h_hi);

// Induced infinity norm (max absolute row sum) of an out x in weight matrix.
double inducedInfNorm(const Eigen::MatrixXd& w);

}  // namespace nnmip::bounds
