#include "verify/spec.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "encode/bigm.hpp"

namespace nnmip::verify {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

void checkProperty(const nn::Network& net, const data::VnnlibProperty& p) {
  encode::checkSupported(net);
  if (net.layers().back().activation == nn::Activation::kSoftmax) {
    fail(ErrorKind::kUnsupported,
         "verify: the network ends in softmax, so VNN-LIB outputs would be probabilities; the "
         "engine reasons about logits (export the network without the softmax)");
  }
  if (p.num_inputs != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "property has {} inputs, the network has {}", p.num_inputs,
         net.inputSize());
  }
  if (p.num_outputs != net.outputSize()) {
    fail(ErrorKind::kInvalidInput, "property has {} outputs, the network has {}", p.num_outputs,
         net.outputSize());
  }
  if (p.input_boxes.empty()) fail(ErrorKind::kInvalidInput, "property has no input box");
  for (size_t b = 0; b < p.input_boxes.size(); ++b) {
    const data::InputBox& box = p.input_boxes[b];
    encode::Box(box.lo, box.hi, fmt::format("input box {}", b))
        .validate(fmt::format("input box {}", b), net.inputSize());
  }
  for (const Atoms& d : p.unsafe_disjuncts) {
    for (const data::LinearAtom& a : d) {
      if (static_cast<int>(a.coef.size()) != net.outputSize()) {
        fail(ErrorKind::kInvalidInput,
             "output constraint has {} coefficients, network has {} "
             "outputs",
             a.coef.size(), net.outputSize());
      }
      for (double c : a.coef) {
        if (!std::isfinite(c)) fail(ErrorKind::kInvalidInput, "output constraint: non-finite");
      }
      if (!std::isfinite(a.rhs)) fail(ErrorKind::kInvalidInput, "output constraint: non-finite");
    }
  }
}

std::vector<int> Spec::rowsOf(const std::vector<int>& disjuncts) const {
  std::vector<int> rows;
  for (int d : disjuncts) {
    for (int r : atoms_of[static_cast<size_t>(d)]) rows.push_back(r);
  }
  return rows;
}

Spec::Spec(const std::vector<Atoms>& disjuncts, int num_outputs) {
  int n_atoms = 0;
  for (const Atoms& d : disjuncts) n_atoms += static_cast<int>(d.size());
  C.resize(n_atoms, num_outputs);
  rhs.resize(n_atoms);
  atoms_of.resize(disjuncts.size());
  int r = 0;
  for (size_t d = 0; d < disjuncts.size(); ++d) {
    for (const data::LinearAtom& a : disjuncts[d]) {
      for (int j = 0; j < num_outputs; ++j) C(r, j) = a.coef[static_cast<size_t>(j)];
      rhs[r] = a.rhs;
      disjunct_of.push_back(static_cast<int>(d));
      atoms_of[d].push_back(r);
      ++r;
    }
  }
}

std::vector<double> Spec::marginUpper(const std::vector<int>& open,
                                      const Eigen::VectorXd& atom_lower) const {
  std::vector<double> ub;
  Eigen::Index r = 0;
  for (int d : open) {
    double u = kInf;
    for (size_t k = 0; k < atoms_of[static_cast<size_t>(d)].size(); ++k, ++r) {
      u = std::min(u, -atom_lower[r]);
    }
    ub.push_back(u);
  }
  return ub;
}

MarginRange Spec::marginRange(int d, const encode::LayerBounds& y) const {
  MarginRange m{kInf, kInf};
  for (int a : atoms_of[static_cast<size_t>(d)]) {
    double min_cy = 0.0;  // min over the output box of coef . y
    double max_cy = 0.0;
    for (Eigen::Index j = 0; j < C.cols(); ++j) {
      const double c = C(a, j);
      min_cy += c * (c > 0 ? y.lo[j] : y.hi[j]);
      max_cy += c * (c > 0 ? y.hi[j] : y.lo[j]);
    }
    m.lo = std::min(m.lo, rhs[a] - max_cy);
    m.hi = std::min(m.hi, rhs[a] - min_cy);
  }
  return m;
}

mip::Var Spec::addMarginVar(mip::Model& model, int d,
                            const std::vector<encode::AffineExpr>& outputs, double t_lo,
                            double t_hi, const std::string& name) const {
  const mip::Var t = model.addContinuous(t_lo, t_hi, name);
  std::vector<mip::Term> terms;
  int k = 0;
  for (int a : atoms_of[static_cast<size_t>(d)]) {
    // t + coef . y <= rhs, y_j = outputs[j].terms + outputs[j].constant
    terms.clear();
    terms.push_back({t, 1.0});
    double constant = 0.0;
    for (Eigen::Index j = 0; j < C.cols(); ++j) {
      const double c = C(a, j);
      if (c == 0.0) continue;
      for (const mip::Term& term : outputs[static_cast<size_t>(j)].terms) {
        terms.push_back({term.var, c * term.coef});
      }
      constant += c * outputs[static_cast<size_t>(j)].constant;
    }
    model.addLe(terms, rhs[a] - constant, name.empty() ? "" : fmt::format("{}_atom{}", name, k));
    ++k;
  }
  return t;
}

nn::OutputObjective Spec::objective(std::vector<int> active) const {
  return [this, active = std::move(active)](const nn::Mat& Y, nn::Vec& value, nn::Mat* grad) {
    const nn::Mat slack = (-(Y * C.transpose())).rowwise() + rhs.transpose();  // n x atoms
    value.resize(Y.rows());
    if (grad != nullptr) grad->setZero(Y.rows(), Y.cols());
    for (Eigen::Index i = 0; i < Y.rows(); ++i) {
      double best = -kInf;
      int best_atom = -1;
      for (int d : active) {
        double m = kInf;
        int arg = -1;
        for (int a : atoms_of[static_cast<size_t>(d)]) {
          if (slack(i, a) < m) {
            m = slack(i, a);
            arg = a;
          }
        }
        if (m > best) {
          best = m;
          best_atom = arg;
        }
      }
      value[i] = best;
      if (grad != nullptr && best_atom >= 0) grad->row(i) = -C.row(best_atom);
    }
  };
}

nn::OutputObjective Spec::objective() const {
  std::vector<int> all(atoms_of.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = static_cast<int>(d);
  return objective(std::move(all));
}

std::vector<encode::AffineExpr> outputExprs(const std::vector<mip::Var>& outputs) {
  std::vector<encode::AffineExpr> out;
  for (const mip::Var& y : outputs) out.push_back(encode::AffineExpr{{{y, 1.0}}, 0.0});
  return out;
}

}  // namespace nnmip::verify
