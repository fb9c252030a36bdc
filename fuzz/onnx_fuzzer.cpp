// libFuzzer harness: nn::parseOnnx on arbitrary bytes, then a forward pass of what it accepts.
// Bad input must end in nnmip::Error (never kInternal); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const nnmip::nn::Network net = nnmip::nn::parseOnnx(bytes, "fuzz.onnx");
    if (net.inputSize() <= 0 || net.outputSize() <= 0) std::abort();
    const nnmip::nn::Vec y = nnmip::nn::forward(net, nnmip::nn::Vec::Zero(net.inputSize()));
    if (y.size() != net.outputSize()) std::abort();
  } catch (const nnmip::Error& e) {
    if (e.kind() == nnmip::ErrorKind::kInternal) std::abort();
  }
  return 0;
}
