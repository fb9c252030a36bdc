#include "verify/witness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "nn/forward.hpp"

namespace nnmip::verify {

FloatNetwork::FloatNetwork(const nn::Network& net) {
  for (const nn::DenseLayer& l : net.layers()) {
    if (l.activation == nn::Activation::kStep) {
      fail(ErrorKind::kUnsupported, "witness check: step activations are not supported");
    }
    layers_.push_back({l.weight.cast<float>(), l.bias.cast<float>(), l.activation});
  }
}

Eigen::VectorXf FloatNetwork::forward(const Eigen::VectorXf& x) const {
  Eigen::VectorXf h = x;
  for (const Layer& l : layers_) {
    Eigen::VectorXf a = l.weight * h;
    a += l.bias;
    switch (l.activation) {
      case nn::Activation::kRelu: a = a.cwiseMax(0.0f); break;
      case nn::Activation::kSoftmax: {
        const float m = a.maxCoeff();
        a = (a.array() - m).exp().matrix();
        a /= a.sum();
        break;
      }
      case nn::Activation::kIdentity:
      case nn::Activation::kStep: break;
    }
    h = std::move(a);
  }
  return h;
}

namespace {
template <typename Y>
double marginOf(const std::vector<data::LinearAtom>& atoms, const Y& y, size_t n) {
  double m = std::numeric_limits<double>::infinity();
  for (const data::LinearAtom& a : atoms) {
    NNMIP_CHECK(a.coef.size() == n, "atom has {} coefficients for {} outputs", a.coef.size(), n);
    double s = 0.0;
    for (size_t j = 0; j < n; ++j) s += a.coef[j] * static_cast<double>(y[j]);
    m = std::min(m, a.rhs - s);
  }
  return m;
}
}  // namespace

double disjunctMargin(const std::vector<data::LinearAtom>& atoms, const Eigen::VectorXd& y) {
  return marginOf(atoms, y, static_cast<size_t>(y.size()));
}

double disjunctMargin(const std::vector<data::LinearAtom>& atoms, const std::vector<float>& y) {
  return marginOf(atoms, y, y.size());
}

std::optional<Counterexample> checkWitness(const nn::Network& net, const FloatNetwork& net32,
                                           const data::VnnlibProperty& property, int box,
                                           const Eigen::VectorXd& x_in,
                                           const std::string& found_by) {
  const data::InputBox& b = property.input_boxes.at(static_cast<size_t>(box));
  NNMIP_CHECK(x_in.size() == static_cast<Eigen::Index>(b.lo.size()),
              "witness has {} inputs, box has {}", x_in.size(), b.lo.size());
  Eigen::VectorXd x(x_in.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double v = std::isfinite(x_in[i]) ? x_in[i] : b.lo[static_cast<size_t>(i)];
    x[i] = std::clamp(v, b.lo[static_cast<size_t>(i)], b.hi[static_cast<size_t>(i)]);
  }
  const Eigen::VectorXd y64 = nn::forward(net, x);
  const Eigen::VectorXf y32v = net32.forward(x.cast<float>());
  std::vector<float> y32(y32v.data(), y32v.data() + y32v.size());
  for (float v : y32) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  std::optional<Counterexample> best;
  for (size_t d = 0; d < property.unsafe_disjuncts.size(); ++d) {
    const auto& atoms = property.unsafe_disjuncts[d];
    const double m32 = disjunctMargin(atoms, y32);
    const double m64 = disjunctMargin(atoms, y64);
    if (!(m32 >= 0.0) || !(m64 >= -kDoubleMarginTol)) continue;
    if (best && best->margin_float >= m32) continue;
    Counterexample c;
    c.box = box;
    c.disjunct = static_cast<int>(d);
    c.x.assign(x.data(), x.data() + x.size());
    c.y = y32;
    c.y_double.assign(y64.data(), y64.data() + y64.size());
    c.margin_float = m32;
    c.margin_double = m64;
    c.found_by = found_by;
    best = std::move(c);
  }
  return best;
}

}  // namespace nnmip::verify
