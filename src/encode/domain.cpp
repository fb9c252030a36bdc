#include "encode/domain.hpp"

#include <cmath>

#include "core/error.hpp"
#include "mip/model.hpp"
#include "nn/forward.hpp"

namespace nnmip::encode {

const char* phaseName(Phase phase) { return phase == Phase::kActive ? "active" : "inactive"; }

std::optional<Phase> Domain::phaseOf(nn::NeuronId id) const {
  const auto it = splits.find(id);
  if (it == splits.end()) return std::nullopt;
  return it->second;
}

Domain Domain::withSplit(nn::NeuronId id, Phase phase) const {
  Domain d = *this;
  d.splits[id] = phase;
  return d;
}

namespace {

void checkRows(const std::vector<LinearRow>& rows, int size, const std::string& origin,
               const char* what) {
  for (size_t r = 0; r < rows.size(); ++r) {
    const LinearRow& row = rows[r];
    if (row.coef.size() != size) {
      fail(ErrorKind::kInvalidInput, "{}: {} row {} has {} coefficients, expected {}", origin, what,
           r, row.coef.size(), size);
    }
    if (!row.coef.allFinite() || std::isnan(row.lo) || std::isnan(row.hi) || row.lo > row.hi ||
        row.lo == mip::kInf || row.hi == -mip::kInf) {
      fail(ErrorKind::kInvalidInput,
           "{}: {} row {} is invalid (NaN, infinite coefficient or "
           "lo > hi)",
           origin, what, r);
    }
  }
}

bool rowsHold(const std::vector<LinearRow>& rows, const Vec& v, double tol) {
  for (const LinearRow& row : rows) {
    const double s = row.coef.dot(v);
    if (!(s >= row.lo - tol && s <= row.hi + tol)) return false;
  }
  return true;
}

}  // namespace

void Domain::validate(const nn::Network& net, const std::string& origin) const {
  box.validate(origin, net.inputSize());
  for (const auto& [id, phase] : splits) {
    if (id.layer < 0 || id.layer >= net.numLayers() || id.index < 0 ||
        id.index >= net.layer(id.layer).outputSize()) {
      fail(ErrorKind::kInvalidInput, "{}: split on neuron ({}, {}) which does not exist", origin,
           id.layer, id.index);
    }
    if (!isReluLayer(net.layer(id.layer))) {
      fail(ErrorKind::kInvalidInput, "{}: split on neuron ({}, {}) of a layer that is not ReLU",
           origin, id.layer, id.index);
    }
  }
  checkRows(input_rows, net.inputSize(), origin, "input");
  checkRows(output_rows, net.outputSize(), origin, "output");
  if (!output_rows.empty() && net.numLayers() > 0 &&
      net.layer(net.numLayers() - 1).activation == nn::Activation::kSoftmax &&
      !outputs_are_logits) {
    fail(ErrorKind::kUnsupported,
         "{}: the network ends in softmax, so its outputs are "
         "probabilities; rows over the outputs are only accepted over the logits (ask for logits "
         "explicitly)",
         origin);
  }
}

bool Domain::inputFeasible(const Vec& x, double tol) const {
  return box.contains(x, tol) && rowsHold(input_rows, x, tol);
}

bool Domain::satisfiedBy(const nn::Network& net, const Vec& x, double tol) const {
  if (!inputFeasible(x, tol)) return false;
  const nn::ForwardTrace t = nn::forwardTrace(net, x);
  for (const auto& [id, phase] : splits) {
    const double a = t.pre[static_cast<size_t>(id.layer)][id.index];
    if (phase == Phase::kInactive ? a > tol : a < -tol) return false;
  }
  if (output_rows.empty()) return true;
  // Output rows of a softmax-ended network are over its logits (validate() insists on it).
  const Vec& y = t.pre.back();
  const Vec& out =
      net.layer(net.numLayers() - 1).activation == nn::Activation::kSoftmax ? y : t.post.back();
  return rowsHold(output_rows, out, tol);
}

bool applySplits(const Domain& domain, int layer, LayerBounds& bounds) {
  bool feasible = true;
  const auto first = domain.splits.lower_bound(nn::NeuronId{layer, -1});
  for (auto it = first; it != domain.splits.end() && it->first.layer == layer; ++it) {
    const int j = it->first.index;
    if (j < 0 || j >= bounds.size()) continue;
    double lo = bounds.lo[j];
    double hi = bounds.hi[j];
    if (it->second == Phase::kInactive) {
      hi = std::min(hi, 0.0);
    } else {
      lo = std::max(lo, 0.0);
    }
    if (lo > hi) {
      feasible = false;
      continue;
    }
    bounds.lo[j] = lo;
    bounds.hi[j] = hi;
  }
  return feasible;
}

}  // namespace nnmip::encode
