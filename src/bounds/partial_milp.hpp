#pragma once
// Partial MILPs: the big-M model of the layers before neuron j of layer k with binaries only for
// the earlier unstable neurons whose LP relaxation loosens a_j most; the others keep z in [0, 1],
// i.e. their triangle. A relaxation of the full MILP, so its dual bound is a valid bound of a_j,
// and small enough for CBC to close where the full MILP stays at its root (deep layers).
// Used by the MILP refinement (refine.hpp) and the milp bound tier (solver_bounds.hpp).
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "encode/compact.hpp"
#include "encode/domain.hpp"
#include "mip/model.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

// How much the LP relaxation of each unstable neuron before layer k can loosen the bounds of a_j:
// its triangle's height -l u / (u - l) times the sensitivity of a_j to its output, |W|
// back-propagated through the relaxation's upper slopes (1 stably active or split active, 0
// stably inactive or split inactive, u / (u - l) unstable). scores[m][i] for layer m < k; 0 for
// neurons that are not unstable over `domain`. Throws Error{kInvalidInput} for a bad k or j.
std::vector<Vec> relaxationImpact(const nn::Network& net, const encode::Domain& domain,
                                  const NetworkBounds& bounds, int k, int j);

// Turns `model` (a copy of enc.model, encoded over `domain` and `bounds` with binaries) into the
// partial MILP of neuron j of layer k: every binary but those of the `keep` unstable neurons of
// largest relaxationImpact becomes continuous in [0, 1]. Nothing changes when enc has at most
// `keep` unstable neurons.
void keepImportantBinaries(mip::Model& model, const encode::CompactEncoding& enc,
                           const nn::Network& net, const encode::Domain& domain,
                           const NetworkBounds& bounds, int k, int j, int keep);

}  // namespace nnmip::bounds
