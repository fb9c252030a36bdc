#include "bounds/propagation.hpp"

#include <algorithm>
#include <cmath>

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
  const Box& box = domain.box;
  checkInputs(net, domain, prior);
  NetworkBounds nb = start(box, "interval");
  Vec h_lo = box.lo;
  Vec h_hi = box.hi;
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    LayerBounds b = propagateInterval(layer, h_lo, h_hi);
    mergePrior(b, prior, l);
    if (!encode::applySplits(domain, l, b)) nb.empty = true;
    const LayerBounds post = encode::postActivationBounds(layer, b);
    h_lo = post.lo;
    h_hi = post.hi;
    nb.layers.push_back(std::move(b));
  }
  return nb;
}

namespace {

// Linear relaxation of h = sigma(a) for one layer: s_l a + t_l <= h <= s_u a + t_u.
struct Relaxation {
  Vec s_lo, t_lo, s_hi, t_hi;
};

Relaxation relaxLayer(const nn::DenseLayer& layer, const LayerBounds& b) {
  const int n = b.size();
  Relaxation r{Vec::Ones(n), Vec::Zero(n), Vec::Ones(n), Vec::Zero(n)};
  if (!encode::isReluLayer(layer)) return r;
  for (int j = 0; j < n; ++j) {
    const double lo = b.lo[j];
    const double hi = b.hi[j];
    if (hi <= 0.0) {
      r.s_lo[j] = r.s_hi[j] = 0.0;
    } else if (lo >= 0.0) {
      // h = a
    } else {
      const double slope = hi / (hi - lo);
      r.s_hi[j] = slope;
      r.t_hi[j] = -slope * lo;
      r.s_lo[j] = hi >= -lo ? 1.0 : 0.0;  // adaptive lower line (area-minimising)
      r.t_lo[j] = 0.0;
    }
  }
  return r;
}

// Lower bound over the box of A h(l-1) + c, for each row of A, by back-substitution through the
// relaxations of layers l-1 .. 0: a positive coefficient of h(k) takes its lower line, a negative
// one its upper line (an upper bound is minus the lower bound of -A, -c).
Vec lowerBoundOverBox(const nn::Network& net, const std::vector<Relaxation>& relax, const Box& box,
                      int l, Mat a, Vec c) {
  for (int k = l - 1; k >= 0; --k) {
    const Relaxation& r = relax[static_cast<size_t>(k)];
    const nn::DenseLayer& lk = net.layer(k);
    const Mat pos = a.cwiseMax(0.0);
    const Mat neg = a.cwiseMin(0.0);
    c += pos * r.t_lo + neg * r.t_hi;
    const Mat coef = (pos * r.s_lo.asDiagonal()) + (neg * r.s_hi.asDiagonal());
    c += coef * lk.bias;
    a = coef * lk.weight;
  }
  return (a.cwiseMax(0.0) * box.lo + a.cwiseMin(0.0) * box.hi + c).eval();
}

}  // namespace

NetworkBounds computeSymbolic(const nn::Network& net, const Box& box, const NetworkBounds* prior) {
  return computeSymbolic(net, encode::Domain(box), prior);
}

NetworkBounds computeSymbolic(const nn::Network& net, const encode::Domain& domain,
                              const NetworkBounds* prior) {
  const Box& box = domain.box;
  checkInputs(net, domain, prior);
  NetworkBounds nb = start(box, "symbolic");
  std::vector<Relaxation> relax;
  Vec h_lo = box.lo;
  Vec h_hi = box.hi;
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    LayerBounds b = propagateInterval(layer, h_lo, h_hi);
    if (l > 0) {
      const Vec dn = lowerBoundOverBox(net, relax, box, l, layer.weight, layer.bias);
      const Vec up = -lowerBoundOverBox(net, relax, box, l, -layer.weight, -layer.bias);
      b.lo = b.lo.cwiseMax(dn);
      b.hi = b.hi.cwiseMin(up);
      // Round-off can cross a degenerate interval: keep it valid.
      for (int j = 0; j < b.size(); ++j) {
        if (b.lo[j] > b.hi[j]) std::swap(b.lo[j], b.hi[j]);
      }
    }
    mergePrior(b, prior, l);
    if (!encode::applySplits(domain, l, b)) nb.empty = true;
    relax.push_back(relaxLayer(layer, b));
    const LayerBounds post = encode::postActivationBounds(layer, b);
    h_lo = post.lo;
    h_hi = post.hi;
    nb.layers.push_back(std::move(b));
  }
  return nb;
}

Vec symbolicLowerBounds(const nn::Network& net, const NetworkBounds& bounds, int layer,
                        const Eigen::MatrixXd& coef, const Vec& constant) {
  encode::checkBoundsFor(net, bounds);
  if (layer < 0 || layer >= net.numLayers() || coef.cols() != net.layer(layer).outputSize() ||
      constant.size() != coef.rows()) {
    fail(ErrorKind::kInvalidInput, "symbolic bound: objective of shape {}x{} does not fit layer {}",
         coef.rows(), coef.cols(), layer);
  }
  std::vector<Relaxation> relax;
  for (int k = 0; k < layer; ++k) {
    relax.push_back(relaxLayer(net.layer(k), bounds.layers[static_cast<size_t>(k)]));
  }
  const nn::DenseLayer& target = net.layer(layer);
  return lowerBoundOverBox(net, relax, bounds.input, layer, coef * target.weight,
                           coef * target.bias + constant);
}

}  // namespace nnmip::bounds
