#include "bdnn/options.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace nnmip::bdnn {

const char* thresholdModeName(ThresholdMode mode) {
  switch (mode) {
    case ThresholdMode::kZero: return "zero";
    case ThresholdMode::kLayer: return "layer";
    case ThresholdMode::kNeuron: return "neuron";
  }
  return "?";
}

const char* weightDomainName(WeightDomain domain) {
  switch (domain) {
    case WeightDomain::kContinuous: return "continuous";
    case WeightDomain::kBinaryPm1: return "pm1";
    case WeightDomain::kBinary01: return "01";
    case WeightDomain::kTernary: return "ternary";
  }
  return "?";
}

const char* outputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kStep: return "step";
    case OutputMode::kArgmax: return "argmax";
    case OutputMode::kRegression: return "regression";
  }
  return "?";
}

const char* regressionLossName(RegressionLoss loss) {
  switch (loss) {
    case RegressionLoss::kL1: return "l1";
    case RegressionLoss::kLinf: return "linf";
    case RegressionLoss::kSquaredPwl: return "squared-pwl";
  }
  return "?";
}

HiddenActivation HiddenActivation::step(double beta, double gamma) {
  HiddenActivation a;
  a.values = {beta, gamma};
  a.offsets = {0.0};
  return a;
}

HiddenActivation HiddenActivation::staircase(std::vector<double> values,
                                             std::vector<double> offsets) {
  HiddenActivation a;
  a.values = std::move(values);
  a.offsets = std::move(offsets);
  a.validate();
  return a;
}

double HiddenActivation::maxAbsValue() const {
  double m = 0.0;
  for (double v : values) m = std::max(m, std::abs(v));
  return m;
}

void HiddenActivation::validate() const {
  if (offsets.empty() || values.size() != offsets.size() + 1) {
    fail(ErrorKind::kInvalidInput,
         "staircase activation needs q >= 1 offsets and q+1 values, got {} and {}", offsets.size(),
         values.size());
  }
  for (size_t t = 1; t < offsets.size(); ++t) {
    if (!(offsets[t] > offsets[t - 1])) {
      fail(ErrorKind::kInvalidInput,
           "staircase offsets must increase strictly (offset {} = {} after {})", t, offsets[t],
           offsets[t - 1]);
    }
  }
  for (double v : values) {
    if (!std::isfinite(v)) fail(ErrorKind::kInvalidInput, "staircase value {} is not finite", v);
  }
}

}  // namespace nnmip::bdnn
