#pragma once
// Fully connected ReLU networks with PyTorch's default nn.Linear initialisation.
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/network.hpp"

namespace nnmip::train {

// "200x5" -> {200,200,200,200,200}; "25" -> {25}; "64,32" -> {64,32}; "800x2,10" -> {800,800,10};
// "" or "none" -> {} (no hidden layer). Throws Error{kInvalidInput} on anything else.
std::vector<int> parseArch(const std::string& text);

// The thesis's short name: all equal widths -> "200x5", else "64-32"; no hidden layer -> "linear".
std::string archName(const std::vector<int>& hidden);

// in -> hidden... (ReLU) -> out (identity: logits). Weights U(-b, b) with b = 1/sqrt(fan_in)
// (kaiming_uniform_ with a = sqrt(5), as torch.nn.Linear.reset_parameters); biases
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) when bias is true, else zero (no draw). Draw order:
// layer by layer, weight row-major (PyTorch's memory order), then bias.
nn::Network makeMlp(int in, const std::vector<int>& hidden, int out, bool bias, Rng& rng);

}  // namespace nnmip::train
