#pragma once
// Bounds files (JSON, schema "nnmip.bounds/1"): the network's fingerprint (layer sizes,
// activations and a 64-bit FNV-1a hash of every weight and bias bit pattern), the input
// domain (description and box), the method, and per layer the pre-activation lo/hi (doubles
// written with round-trip precision) plus the per-layer statistics. Bounds are only valid for
// the exact network they were computed on: a pruned/rounded network is a different network
// with a different fingerprint, and reading a file against the wrong network fails.
#include <string>
#include <vector>

#include "bounds/layer_bounds.hpp"
#include "nn/network.hpp"

namespace nnmip::bounds {

struct NetworkFingerprint {
  std::vector<int> sizes;
  std::vector<std::string> activations;
  std::string hash;  // 16 hex digits
  friend bool operator==(const NetworkFingerprint&, const NetworkFingerprint&) = default;
};
NetworkFingerprint fingerprint(const nn::Network& net);

// Writes to `path` (via a temporary file and a rename). Throws Error{kIo} on failure.
void writeBoundsJson(const std::string& path, const nn::Network& net, const NetworkBounds& bounds,
                     const std::string& domain_description,
                     const std::vector<LayerStats>& stats = {});

// Reads a bounds file and checks it against `net`: Error{kInvalidInput} (one line) when the
// fingerprint differs ("bounds file X was computed for another network ..."), the file is
// malformed, or the bounds are invalid; Error{kIo} when it cannot be read.
NetworkBounds readBoundsJson(const std::string& path, const nn::Network& net);

}  // namespace nnmip::bounds
