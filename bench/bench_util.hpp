#pragma once
// Small helpers shared by the benchmark runners.
#include <fmt/format.h>

#include <sstream>
#include <string>
#include <vector>

#include "bounds/box.hpp"
#include "data/vnnlib.hpp"
#include "nn/network.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip::bench {

// "a,b,c" -> {"a", "b", "c"} (command-line lists).
inline std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

// The VNN-COMP mnist_fc network mnist-net_<name>.onnx (name e.g. "256x2") under data_dir.
inline nn::Network mnistFcNet(const std::string& data_dir, const std::string& name) {
  return nn::readOnnx(fmt::format("{}/vnncomp/mnist_fc/onnx/mnist-net_{}.onnx", data_dir, name));
}

// The mnist_fc property <prop>.vnnlib (e.g. "prop_0_0.03") under data_dir.
inline data::VnnlibProperty mnistFcProperty(const std::string& data_dir, const std::string& prop) {
  return data::readVnnlib(fmt::format("{}/vnncomp/mnist_fc/vnnlib/{}.vnnlib", data_dir, prop));
}

// Its input box.
inline bounds::Box mnistFcBox(const std::string& data_dir, const std::string& prop) {
  const data::VnnlibProperty p = mnistFcProperty(data_dir, prop);
  return bounds::Box(p.input_lo, p.input_hi);
}

}  // namespace nnmip::bench
