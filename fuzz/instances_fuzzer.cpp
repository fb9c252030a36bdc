// libFuzzer harness: data::parseInstancesCsv (a VNN-COMP instances.csv) on arbitrary bytes.
// Bad input must end in nnmip::Error (never kInternal); anything else is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "data/instances_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const nnmip::data::InstanceRow& row :
         nnmip::data::parseInstancesCsv(text, "instances.csv")) {
      if (row.onnx.empty() || row.vnnlib.empty() || !(row.timeout_s > 0) ||
          !std::isfinite(row.timeout_s)) {
        std::abort();
      }
    }
  } catch (const nnmip::Error& e) {
    if (e.kind() == nnmip::ErrorKind::kInternal) std::abort();
  }
  return 0;
}
