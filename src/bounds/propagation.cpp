#include "bounds/propagation.hpp"

#include <algorithm>
#include <cmath>

#include "bounds/backsub.hpp"
#include "core/error.hpp"

namespace nnmip::bounds {

using Mat = Eigen::MatrixXd;

double inducedInfNorm(const Mat& w) {
  if (w.size() == 0) return 0.0;
  return w.cwiseAbs().rowwise().sum().maxCoeff();
}

LayerBounds propagateInterval(const nn::DenseLayer& layer, const Vec& h_lo, const Vec& h_hi) {
  const Mat& w = layer.weight;
  const Mat w_pos = w.cwiseMax(0.0);
  const Mat w_neg = w.cwiseMin(0.0);
  LayerBounds b;
  b.lo = (w_pos * h_lo + w_neg * h_hi + layer.bias).eval();
  b.hi = (w_pos * h_hi + w_neg * h_lo + layer.bias).eval();
  return b;
}

namespace {

void checkInputs(const nn::Network& net, const encode::Domain& domain, const NetworkBounds* prior) {
  encode::checkSupported(net);
  domain.validate(net, "input domain");
  if (prior != nullptr) encode::checkBoundsFor(net, *prior);
}

NetworkBounds start(const Box& box, const char* method) {
  NetworkBounds nb;
  nb.input = box;
  nb.method = method;
  return nb;
}

void mergePrior(LayerBounds& b, const NetworkBounds* prior, int l) {
  if (prior == nullptr) return;
  b = intersectLayer(b, prior->layers[static_cast<size_t>(l)]);
}

// Interval propagation layer by layer, with `symbolic` each layer after the first intersected
// with the back-substitution (bounds/backsub.hpp) of its rows a and -a through the relaxed
// layers before it; then the prior and the splits.
NetworkBounds propagateLayers(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior, bool symbolic) {
  const Box& box = domain.box;
  checkInputs(net, domain, prior);
  NetworkBounds nb = start(box, symbolic ? "symbolic" : "interval");
  Vec h_lo = box.lo;
  Vec h_hi = box.hi;
  Relaxation rx;  // symbolic: of the layers bounded so far
  if (symbolic) rx = relaxLayers(net, box, {}, 0);
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    LayerBounds b = propagateInterval(layer, h_lo, h_hi);
    if (symbolic && l > 0) {
      const int n = layer.outputSize();
      LinearRows rows;
      rows.coef.resize(2 * n, static_cast<Eigen::Index>(rx.top.size()));
      rows.coef << layer.weight(Eigen::all, rx.top), -layer.weight(Eigen::all, rx.top);
      rows.constant.resize(2 * n);
      rows.constant << layer.bias, -layer.bias;
      const Vec lower = backSubstitute(rx, rows).lower;
      b.lo = b.lo.cwiseMax(lower.head(n));
      b.hi = b.hi.cwiseMin(-lower.tail(n));
      // Round-off can cross a degenerate interval: keep it valid.
      for (int j = 0; j < b.size(); ++j) {
        if (b.lo[j] > b.hi[j]) std::swap(b.lo[j], b.hi[j]);
      }
    }
    mergePrior(b, prior, l);
    if (!encode::applySplits(domain, l, b)) nb.empty = true;
    const LayerBounds post = encode::postActivationBounds(layer, b);
    h_lo = post.lo;
    h_hi = post.hi;
    if (symbolic && l + 1 < net.numLayers()) appendLayer(rx, net, b);
    nb.layers.push_back(std::move(b));
  }
  return nb;
}

}  // namespace

NetworkBounds computeNaive(const nn::Network& net, const Box& box) {
  checkInputs(net, encode::Domain(box), nullptr);
  NetworkBounds nb = start(box, "naive");
  // ||h(0)||_inf over the box.
  double h_norm = std::max(box.lo.cwiseAbs().maxCoeff(), box.hi.cwiseAbs().maxCoeff());
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    // Proposition 2.1 for l = 1 and Proposition 2.2 afterwards (their recursion is 2.1):
    // |a_j| <= ||W||_inf ||h||_inf + ||b||_inf.
    const double bound = inducedInfNorm(layer.weight) * h_norm +
                         (layer.bias.size() ? layer.bias.cwiseAbs().maxCoeff() : 0.0);
    LayerBounds b{Vec::Constant(layer.outputSize(), -bound),
                  Vec::Constant(layer.outputSize(), bound)};
    // Proposition 2.2 uses max_j max(H_j, Hbar_j) as the norm of the next layer's input.
    h_norm = bound;
    nb.layers.push_back(std::move(b));
  }
  return nb;
}

NetworkBounds computeInterval(const nn::Network& net, const Box& box, const NetworkBounds* prior) {
  return computeInterval(net, encode::Domain(box), prior);
}

NetworkBounds computeInterval(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior) {
  return propagateLayers(net, domain, prior, false);
}

NetworkBounds computeSymbolic(const nn::Network& net, const Box& box, const NetworkBounds* prior) {
  return computeSymbolic(net, encode::Domain(box), prior);
}

NetworkBounds computeSymbolic(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior) {
  return propagateLayers(net, domain, prior, true);
}

Vec symbolicLowerBounds(const nn::Network& net, const NetworkBounds& bounds, int layer,
                        const Eigen::MatrixXd& coef, const Vec& constant) {
  encode::checkBoundsFor(net, bounds);
  if (layer < 0 || layer >= net.numLayers() || coef.cols() != net.layer(layer).outputSize() ||
      constant.size() != coef.rows()) {
    fail(ErrorKind::kInvalidInput, "symbolic bound: objective of shape {}x{} does not fit layer {}",
         coef.rows(), coef.cols(), layer);
  }
  const Relaxation rx = relaxLayers(net, bounds.input, bounds.layers, layer);
  return backSubstitute(rx, rowsOnLayer(net, rx, coef, constant)).lower;
}

}  // namespace nnmip::bounds
