#pragma once
// Branching of the ReLU-split branch and bound (verify/bab.hpp): the unstable neuron a node is
// split on. Both rules start from BaBSR scores of the node's unstable neurons, computed from a
// CROWN back-substitution of the open atoms with the node's bounds (crownPass):
//   kBabsr  the best BaBSR score;
//   kFsb    filtered smart branching: the top fsb_candidates by BaBSR and by intercept score,
//           each candidate's two children bounded by one CROWN pass with the neuron clamped
//           (no re-bounding of later layers); the candidate whose worse child is least open wins
//           (ties: the smaller sum over both children).
#include <vector>

#include "nn/network.hpp"
#include "verify/bab.hpp"
#include "verify/bab_bounding.hpp"
#include "verify/bab_node.hpp"

namespace nnmip::verify::bab {

// An unstable neuron's scores (sums over the open atoms' rows of |score|): BaBSR (Bunel et al.
// 2020, as alpha-beta-CROWN computes it: the bias term through the relaxation, the larger of
// the two phases, plus the upper line's intercept) and the intercept term alone.
struct Candidate {
  nn::NeuronId id;
  double babsr = 0.0;
  double intercept = 0.0;
};
// Every neuron unstable under node.bounds, layer by layer, with its scores from `cr` (a
// crownPass over node.bounds with the layer coefficients).
std::vector<Candidate> scoreNeurons(const Context& c, const Node& node, const Crown& cr);

// A branching rule: the neuron to split `node` on, given the CROWN pass `cr` of its open atoms'
// rows `rows` over its bounds. Throws Error{kInternal} when no neuron is unstable.
using BranchRule = nn::NeuronId (*)(const Context& c, const Node& node, const Crown& cr,
                                    const SpecRows& rows);
nn::NeuronId branchBabsr(const Context& c, const Node& node, const Crown& cr, const SpecRows& rows);
nn::NeuronId branchFsb(const Context& c, const Node& node, const Crown& cr, const SpecRows& rows);
BranchRule branchRule(Branching branching);

}  // namespace nnmip::verify::bab
