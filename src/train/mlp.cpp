#include "train/mlp.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace nnmip::train {
namespace {

int parsePositive(const std::string& token, const std::string& whole) {
  if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos ||
      token.size() > 7) {
    fail(ErrorKind::kInvalidInput,
         "bad architecture '{}': expected e.g. 200x5, 25 or 64,32 (got token '{}')", whole, token);
  }
  const int v = std::atoi(token.c_str());
  if (v <= 0)
    fail(ErrorKind::kInvalidInput, "bad architecture '{}': sizes must be positive", whole);
  return v;
}

}  // namespace

std::vector<int> parseArch(const std::string& text) {
  std::vector<int> hidden;
  if (text.empty() || text == "none") return hidden;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(start, comma - start);
    const size_t x = part.find('x');
    if (x == std::string::npos) {
      hidden.push_back(parsePositive(part, text));
    } else {
      const int width = parsePositive(part.substr(0, x), text);
      const int depth = parsePositive(part.substr(x + 1), text);
      if (depth > 1000) fail(ErrorKind::kInvalidInput, "bad architecture '{}': too deep", text);
      hidden.insert(hidden.end(), static_cast<size_t>(depth), width);
    }
    start = comma + 1;
  }
  return hidden;
}

std::string archName(const std::vector<int>& hidden) {
  if (hidden.empty()) return "linear";
  bool same = true;
  for (const int h : hidden) same = same && h == hidden.front();
  if (same) return fmt::format("{}x{}", hidden.front(), hidden.size());
  return fmt::format("{}", fmt::join(hidden, "-"));
}

nn::Network makeMlp(int in, const std::vector<int>& hidden, int out, bool bias, Rng& rng) {
  if (in <= 0 || out <= 0) {
    fail(ErrorKind::kInvalidInput, "network needs positive input and output sizes, got {} and {}",
         in, out);
  }
  nn::Network net;
  int fan_in = in;
  for (size_t l = 0; l <= hidden.size(); ++l) {
    const bool last = l == hidden.size();
    const int width = last ? out : hidden[l];
    if (width <= 0) fail(ErrorKind::kInvalidInput, "layer width must be positive, got {}", width);
    nn::DenseLayer layer;
    layer.weight.resize(width, fan_in);
    layer.bias = nn::Vec::Zero(width);
    const double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (int i = 0; i < width; ++i) {
      for (int j = 0; j < fan_in; ++j) layer.weight(i, j) = rng.uniform(-b, b);
    }
    if (bias) {
      for (int i = 0; i < width; ++i) layer.bias(i) = rng.uniform(-b, b);
    }
    layer.activation = last ? nn::Activation::kIdentity : nn::Activation::kRelu;
    net.addLayer(std::move(layer));
    fan_in = width;
  }
  net.name = fmt::format("mlp {}-{}-{}{}", in, archName(hidden), out, bias ? "" : " nobias");
  return net;
}

}  // namespace nnmip::train
