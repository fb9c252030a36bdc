#pragma once
// A feed-forward network as a list of layers, each an affine map followed by an activation.
//
// Convention (documented once here): a layer's weight is an out x in matrix W, so the
// pre-activation is a = W h + b (what PyTorch exports as Gemm B with transB=1). Other ONNX
// layouts are normalised to this when a file is read.
#include <Eigen/Dense>

#include <compare>
#include <string>
#include <vector>

namespace nnmip::nn {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

enum class Activation {
  kIdentity,  // linear output (logits)
  kRelu,
  kStep,     // sigma(a) = beta if a < lambda else gamma (Bah & Kurtz binary activation)
  kSoftmax,  // probabilities; only meaningful on the last layer
};

const char* activationName(Activation activation);

// Parameters of a step activation; one threshold per neuron of the layer (a scalar threshold
// is a constant vector). Values below threshold map to beta, at or above to gamma.
struct StepParams {
  Vec lambda;  // size = layer output size
  double beta = 0.0;
  double gamma = 1.0;
};

struct DenseLayer {
  Mat weight;  // out x in
  Vec bias;    // out
  Activation activation = Activation::kIdentity;
  StepParams step;  // used only when activation == kStep

  int inputSize() const { return static_cast<int>(weight.cols()); }
  int outputSize() const { return static_cast<int>(weight.rows()); }
};

// Identifies one neuron: layer index (0-based over DenseLayers) and neuron index.
struct NeuronId {
  int layer = -1;
  int index = -1;
  friend bool operator==(const NeuronId&, const NeuronId&) = default;
  friend auto operator<=>(const NeuronId&, const NeuronId&) = default;
};

class Network {
 public:
  Network() = default;
  explicit Network(std::vector<DenseLayer> layers);

  // Appends a layer; its input size must equal the current output size.
  void addLayer(DenseLayer layer);

  const std::vector<DenseLayer>& layers() const { return layers_; }
  std::vector<DenseLayer>& mutableLayers() { return layers_; }
  const DenseLayer& layer(int i) const { return layers_.at(static_cast<size_t>(i)); }
  int numLayers() const { return static_cast<int>(layers_.size()); }
  int inputSize() const;
  int outputSize() const;
  // Sizes: input, then each layer's output.
  std::vector<int> sizes() const;
  long parameterCount() const;
  long zeroWeightCount() const;  // exact zeros in weight matrices (biases excluded)
  long weightCount() const;
  int hiddenReluCount() const;

  // Throws Error{kInvalidInput} on shape mismatches, NaN/Inf parameters, or a step layer
  // whose threshold vector has the wrong size. `origin` names the file in the message.
  void validate(const std::string& origin = "network") const;

  std::string name;  // free text (file stem, training recipe...)

 private:
  std::vector<DenseLayer> layers_;
};

// Human-readable multi-line summary: layer sizes, activations, parameters, sparsity.
std::string summarize(const Network& net);

}  // namespace nnmip::nn
