#pragma once
// The witness check: the only way to a `sat` verdict. A candidate input (from the box centre,
// the attack or a MILP incumbent) is
//   1. clipped to the box exactly (in double);
//   2. run through the network twice: in float32 (weights and biases rounded to float once,
//      float arithmetic, as onnxruntime runs a FLOAT model) and in double;
//   3. accepted for an unsafe disjunct (AND of atoms coef . y <= rhs) when the disjunct's margin
//      min_a (rhs_a - coef_a . y) is >= 0 on the float32 outputs and >= -1e-9 on the double
//      outputs (the spec itself is evaluated in double on the float32 values, as the VNN-COMP
//      checker evaluates it on the Y it reads).
// An empty conjunction (no output constraint) holds everywhere: margin +inf.
#include <Eigen/Dense>

#include <optional>
#include <vector>

#include "data/vnnlib.hpp"
#include "nn/network.hpp"
#include "verify/result.hpp"

namespace nnmip::verify {

inline constexpr double kDoubleMarginTol = 1e-9;

// The network with float32 parameters (ReLU / identity / final softmax).
class FloatNetwork {
 public:
  explicit FloatNetwork(const nn::Network& net);
  Eigen::VectorXf forward(const Eigen::VectorXf& x) const;

 private:
  struct Layer {
    Eigen::MatrixXf weight;
    Eigen::VectorXf bias;
    nn::Activation activation;
  };
  std::vector<Layer> layers_;
};

// min over the atoms of rhs - coef . y, in double (+inf for an empty conjunction).
double disjunctMargin(const std::vector<data::LinearAtom>& atoms, const Eigen::VectorXd& y);
double disjunctMargin(const std::vector<data::LinearAtom>& atoms, const std::vector<float>& y);

// Checks x against every disjunct of `property`; returns the counterexample of the disjunct
// with the largest float32 margin among those accepted, or nothing. `box` indexes
// property.input_boxes.
std::optional<Counterexample> checkWitness(const nn::Network& net, const FloatNetwork& net32,
                                           const data::VnnlibProperty& property, int box,
                                           const Eigen::VectorXd& x, const std::string& found_by);

}  // namespace nnmip::verify
