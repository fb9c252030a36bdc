// Re-checks VNN-COMP result files the way the competition's checker does, independently of
// verify/witness.cpp: parse X and Y from the text, require X inside one input box (no tolerance),
// run a fresh double forward pass and a float32 one (weights rounded, float arithmetic through
// nn::forward on a float-rounded copy is not float arithmetic, so the float pass is done here by
// hand), require |Y_file - Y_float| <= 1e-4 and the property's own evaluator
// (VnnlibProperty::outputUnsafe) to accept Y_file and the double outputs (tolerance 1e-9).
// usage: verify_check_result net.onnx prop.vnnlib result.txt   -> prints "valid" / "INVALID: ..."
#include <Eigen/Dense>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"

int main(int argc, char** argv) {
  using namespace nnmip;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s net.onnx prop.vnnlib result.txt\n", argv[0]);
    return 2;
  }
  const nn::Network net = nn::readOnnx(argv[1]);
  const data::VnnlibProperty p = data::readVnnlib(argv[2]);
  std::ifstream in(argv[3]);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.rfind("sat\n", 0) != 0) {
    std::printf("not sat: %s", text.substr(0, text.find('\n') + 1).c_str());
    return 0;
  }
  std::vector<double> x(static_cast<size_t>(p.num_inputs), NAN),
      yf(static_cast<size_t>(p.num_outputs), NAN);
  const std::regex re(R"(\(([XY])_(\d+)\s+([-+0-9.eE]+)\))");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    const size_t i = std::stoul((*it)[2]);
    const double v = std::stod((*it)[3]);
    ((*it)[1] == "X" ? x : yf).at(i) = v;
  }
  for (double v : x)
    if (std::isnan(v)) {
      std::printf("INVALID: missing X\n");
      return 1;
    }
  for (double v : yf)
    if (std::isnan(v)) {
      std::printf("INVALID: missing Y\n");
      return 1;
    }
  if (!p.inputInside(x, 0.0)) {
    std::printf("INVALID: X outside every box\n");
    return 1;
  }
  const Eigen::VectorXd xd = Eigen::Map<const Eigen::VectorXd>(x.data(), p.num_inputs);
  const Eigen::VectorXd yd = nn::forward(net, xd);
  Eigen::VectorXf h = xd.cast<float>();
  for (const nn::DenseLayer& l : net.layers()) {
    Eigen::VectorXf a = l.weight.cast<float>() * h + l.bias.cast<float>();
    if (l.activation == nn::Activation::kRelu) a = a.cwiseMax(0.0f);
    h = a;
  }
  double err = 0;
  for (int j = 0; j < p.num_outputs; ++j)
    err = std::max(err, std::abs(yf[static_cast<size_t>(j)] - h[j]));
  if (err > 1e-4) {
    std::printf("INVALID: Y differs from the float32 forward pass by %g\n", err);
    return 1;
  }
  const std::vector<double> ydv(yd.data(), yd.data() + yd.size());
  if (!p.outputUnsafe(yf, 0.0)) {
    std::printf("INVALID: file Y not in the unsafe region\n");
    return 1;
  }
  if (!p.outputUnsafe(ydv, 1e-9)) {
    std::printf("INVALID: double outputs not in the unsafe region\n");
    return 1;
  }
  std::printf("valid (max |Y_file - Y_float32| = %.3g)\n", err);
  return 0;
}
