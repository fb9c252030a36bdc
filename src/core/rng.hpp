#pragma once
// Reproducible random numbers: std::mt19937_64 is specified bit-exactly, but the standard
// distributions are not, so doubles and normals are made from raw engine bits here.
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace nnmip {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) : engine_(seed) {}

  uint64_t bits() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n) (n > 0), by rejection so it is unbiased and portable.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
      r = engine_();
    } while (r >= limit);
    return r % n;
  }
  // Standard normal by Box-Muller (fixed recipe; one value per call).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // Fisher-Yates with below(): same permutation on every platform for the same seed.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }
  std::vector<int> permutation(int n) {
    std::vector<int> p(static_cast<size_t>(n));
    std::iota(p.begin(), p.end(), 0);
    shuffle(p);
    return p;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace nnmip
