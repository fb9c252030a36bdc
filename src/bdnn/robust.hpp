#pragma once
// Accuracy of a step network under input perturbations ||delta||_inf <= r (the uncertainty
// sets U_i of the robust BDNN, exact_trainer.hpp).
//
// Random: `samples` perturbations per point, each coordinate uniform in [-r, r] (core Rng).
// Worst case, per correctly classified point:
//   1. certificate: every first-layer unit is stable on the box (a - r||w||_1 >= lambda, or
//      a + r||w||_1 < lambda), so the prediction cannot change;
//   2. otherwise a feasibility MILP over delta in the box and the unstable units (weights fixed)
//      asks for a misclassification, first with every strict inequality relaxed to a non-strict
//      one (a relaxation: infeasible proves robustness), and when its solution is not confirmed
//      by the forward pass at x + delta (it sits on a threshold), again with slack 1e-6 on the
//      side of every condition (a restriction); a solution counts as an attack only when the
//      forward pass confirms it; otherwise (or at a time limit) the point is unknown.
// certified_accuracy is a lower bound and attacked_accuracy an upper bound on the true
// worst-case accuracy; they coincide when no point is unknown. The perturbed input is not
// clipped to the data range (U_i is the plain box).
// Supported: one kStep hidden layer followed by a single kStep output or a linear (argmax)
// output layer (what toNetwork builds for one hidden layer).
#include <cstdint>
#include <string>

#include "data/dataset.hpp"
#include "nn/network.hpp"

namespace nnmip::bdnn {

struct PerturbationOptions {
  int samples = 100;
  uint64_t seed = 1;
  bool worst_case = true;
  double attack_time_limit_s = 10.0;  // per point
  std::string backend = "cbc";
};

struct PerturbationReport {
  int points = 0;
  double radius = 0.0;
  double clean_accuracy = 0.0;
  double random_accuracy = 0.0;     // over points x samples
  double certified_accuracy = NAN;  // lower bound on the worst-case accuracy
  double attacked_accuracy = NAN;   // upper bound (verified attacks only)
  int certified_by_stability = 0;   // points certified without a MILP
  int attacks_found = 0;
  int unknown = 0;
};

PerturbationReport evaluatePerturbations(const nn::Network& net, const data::Dataset& set,
                                         double radius, const PerturbationOptions& options = {});

}  // namespace nnmip::bdnn
