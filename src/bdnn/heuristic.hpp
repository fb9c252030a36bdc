#pragma once
// The "mountain-climbing" heuristic for one-hidden-layer BDNNs (Bah & Kurtz): alternate
// between the activations and the weights of the quadratic formulation.
//
//  - Weights fixed => activations follow (exact forward pass).
//  - Activations fixed => the output layer is refitted by an LP that minimises the hinge
//    violations sum_i xi_i of the class constraints with an LP margin mu (step output:
//    a - lambda >= mu - xi for y = 1, a - lambda <= -mu + xi for y = 0; argmax output:
//    a_y - a_c >= mu - xi for c != y), weights in the MILP's box.
//  - One hidden neuron at a time: with the output weights fixed, each point gets a desired
//    value of that neuron (the value for which the point is classified correctly, with the
//    MILP margin; weight 1 when exactly one value is correct, `keep_weight` towards the current
//    value when both are, `dontcare_weight` when neither is), and an LP fits the neuron's
//    weights (and threshold, when trained per neuron) to the desired values with the same hinge
//    form; robust training adds the worst case -/+ r ||w||_1 to these rows.
//  - A move is kept when the margin-consistent training error count (misclassified or band
//    points, step_net.hpp) does not increase; passes over the neurons repeat until one brings no
//    strict improvement; restarts from random weights keep the best network.
// Thresholds: kNeuron trains lambda_j in the neuron LP, kZero keeps 0, kLayer keeps the layer's
// shared lambda fixed during a restart (drawn at the restart from the data).
// The reported count is margin-consistent: when the returned network has no band point it is a
// feasible point of the MILP with the same margin and bounds, so its count can never be below
// the MILP's proved optimum.
#include <cstdint>
#include <string>
#include <vector>

#include "bdnn/options.hpp"
#include "bdnn/step_net.hpp"
#include "core/callbacks.hpp"
#include "data/dataset.hpp"
#include "nn/network.hpp"

namespace nnmip::bdnn {

struct HeuristicOptions {
  int restarts = 5;
  int max_passes = 30;
  double lp_margin = 0.05;  // mu of the LPs (the forward pass uses options.margin)
  double keep_weight = 0.3;
  double dontcare_weight = 0.01;
  double time_limit_s = 60.0;  // whole run (restarts included)
  uint64_t seed = 1;
  std::string lp_backend = "clp";
};

struct HeuristicResult {
  BdnnParams params;
  nn::Network net;
  Evaluation train_eval;            // of the returned network
  std::vector<int> restart_errors;  // final margin-consistent errors of each restart
  int passes = 0;
  long lp_solves = 0;
  double wall_s = 0.0;
};

// One hidden layer, two-level step, continuous weights, kStep or kArgmax output.
// Throws Error{kUnsupported} for other options.
HeuristicResult trainHeuristic(const data::Dataset& train, const BdnnOptions& options,
                               const HeuristicOptions& heuristic = {},
                               const Callbacks& callbacks = {});

}  // namespace nnmip::bdnn
