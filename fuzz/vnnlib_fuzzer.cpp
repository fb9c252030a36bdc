// libFuzzer harness: data::parseVnnlib on arbitrary bytes. Bad input must end in nnmip::Error
// (never kInternal), anything else (another exception, a crash, a sanitizer report, a hang or
// an allocation past the fuzzer's limit) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "data/vnnlib.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nnmip::data::VnnlibProperty p = nnmip::data::parseVnnlib(text, "fuzz.vnnlib");
    // What a verifier does with a property: points in the box, outputs against the atoms.
    if (p.input_boxes.empty() || p.input_lo.size() != static_cast<size_t>(p.num_inputs)) {
      std::abort();
    }
    const std::vector<double> y(static_cast<size_t>(p.num_outputs), 0.5);
    (void)p.outputUnsafe(y, 1e-9);
    (void)p.outputUnsafeStrict(y);
    (void)p.inputInside(p.input_lo);
  } catch (const nnmip::Error& e) {
    if (e.kind() == nnmip::ErrorKind::kInternal) std::abort();
  }
  return 0;
}
