#include "bounds/backsub.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace nnmip::bounds {
namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using Clock = std::chrono::steady_clock;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Column of `j` in sorted `idx`, or -1.
int columnOf(const std::vector<int>& idx, int j) {
  const auto it = std::lower_bound(idx.begin(), idx.end(), j);
  return it != idx.end() && *it == j ? static_cast<int>(it - idx.begin()) : -1;
}

// Copies the parameters `warm` holds for the rows named `row_ids` into alpha / beta (columns
// are a_idx positions); entries it lacks keep their cold start.
void warmStart(const Relaxation& rx, const std::vector<int>& row_ids, const SlopeState& warm,
               std::vector<Mat>& alpha, std::vector<Mat>& beta) {
  std::vector<Eigen::Index> from(row_ids.size(), -1);
  for (size_t r = 0; r < row_ids.size(); ++r) {
    const auto it = std::find(warm.rows.begin(), warm.rows.end(), row_ids[r]);
    if (it != warm.rows.end()) from[r] = it - warm.rows.begin();
  }
  const size_t layers = std::min(rx.layers.size(), warm.layers.size());
  for (size_t k = 0; k < layers; ++k) {
    const LayerRelaxation& r = rx.layers[k];
    const SlopeState::Layer& w = warm.layers[k];
    for (size_t q = 0; q < r.a_idx.size(); ++q) {
      const auto qq = static_cast<Eigen::Index>(q);
      const int ca = r.state[q] == NeuronState::kUnstable ? columnOf(w.alpha_idx, r.a_idx[q]) : -1;
      const int cb = r.sigma[qq] != 0.0 ? columnOf(w.beta_idx, r.a_idx[q]) : -1;
      if (ca < 0 && cb < 0) continue;
      for (size_t row = 0; row < row_ids.size(); ++row) {
        const Eigen::Index pr = from[row];
        if (pr < 0) continue;
        const auto rr = static_cast<Eigen::Index>(row);
        if (ca >= 0) alpha[k](rr, qq) = static_cast<double>(w.alpha(pr, ca));
        if (cb >= 0) beta[k](rr, qq) = static_cast<double>(w.beta(pr, cb));
      }
    }
  }
}

SlopeState saveSlopes(const Relaxation& rx, const std::vector<int>& row_ids,
                      const std::vector<Mat>& alpha, const std::vector<Mat>& beta) {
  SlopeState st;
  st.rows = row_ids;
  st.layers.resize(rx.layers.size());
  for (size_t k = 0; k < rx.layers.size(); ++k) {
    const LayerRelaxation& r = rx.layers[k];
    SlopeState::Layer& w = st.layers[k];
    std::vector<Eigen::Index> ca, cb;
    for (size_t q = 0; q < r.a_idx.size(); ++q) {
      if (r.state[q] == NeuronState::kUnstable) {
        w.alpha_idx.push_back(r.a_idx[q]);
        ca.push_back(static_cast<Eigen::Index>(q));
      }
      if (r.sigma[static_cast<Eigen::Index>(q)] != 0.0) {
        w.beta_idx.push_back(r.a_idx[q]);
        cb.push_back(static_cast<Eigen::Index>(q));
      }
    }
    w.alpha = alpha[k](Eigen::all, ca).cast<float>();
    w.beta = beta[k].size() > 0 ? Eigen::MatrixXf(beta[k](Eigen::all, cb).cast<float>())
                                : Eigen::MatrixXf(alpha[k].rows(), 0);
  }
  return st;
}

// Per-row state of the ascent, restricted to the rows still in the batch.
struct Ascent {
  std::vector<Mat> alpha, beta, ma1, ma2, mb1, mb2, m_at;
  std::vector<Mat> best_alpha, best_beta;  // keep_slopes, all rows
  Mat m_top;
  Vec bias_top;
  std::vector<int> active;  // original row of each batch row
  std::vector<int> group;   // group of each batch row

  void keepRows(const std::vector<int>& keep) {
    auto sub = [&](Mat& m) {
      if (m.rows() > 0) m = m(keep, Eigen::all).eval();
    };
    for (std::vector<Mat>* v : {&alpha, &beta, &ma1, &ma2, &mb1, &mb2, &m_at}) {
      for (Mat& m : *v) sub(m);
    }
    m_top = m_top(keep, Eigen::all).eval();
    bias_top = bias_top(keep).eval();
    std::vector<int> a, g;
    for (int r : keep) {
      a.push_back(active[static_cast<size_t>(r)]);
      g.push_back(group[static_cast<size_t>(r)]);
    }
    active = std::move(a);
    group = std::move(g);
  }
};

void adamStep(Mat& param, Mat& m1, Mat& m2, const Mat& grad, double lr, double c1, double c2) {
  constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-8;
  m1 = kB1 * m1 + (1.0 - kB1) * grad;
  m2 = kB2 * m2 + (1.0 - kB2) * grad.cwiseAbs2();
  param = (param.array() + lr * (m1.array() / c1) / ((m2.array() / c2).sqrt() + kEps)).matrix();
}

}  // namespace

Relaxation relaxLayers(const nn::Network& net, const encode::Box& box,
                       const std::vector<encode::LayerBounds>& bounds, int num_layers,
                       const SplitMap* beta_splits) {
  NNMIP_CHECK(num_layers >= 0 && num_layers <= net.numLayers() &&
                  static_cast<int>(bounds.size()) >= num_layers,
              "backsub: {} layers to relax, {} bounds, a {}-layer network", num_layers,
              bounds.size(), net.numLayers());
  Relaxation rx;
  rx.in_lo = box.lo;
  rx.in_hi = box.hi;
  rx.top.resize(static_cast<size_t>(net.inputSize()));
  std::iota(rx.top.begin(), rx.top.end(), 0);
  for (int i = 0; i < num_layers; ++i) {
    appendLayer(rx, net, bounds[static_cast<size_t>(i)], beta_splits);
  }
  return rx;
}

void appendLayer(Relaxation& rx, const nn::Network& net, const encode::LayerBounds& lb,
                 const SplitMap* beta_splits) {
  const int i = static_cast<int>(rx.layers.size());
  NNMIP_CHECK(i < net.numLayers() && lb.size() == net.layer(i).outputSize(),
              "backsub: bounds of size {} for layer {}", lb.size(), i);
  {
    const std::vector<int>& prev_h = rx.top;
    const nn::DenseLayer& layer = net.layer(i);
    const bool relu = encode::isReluLayer(layer);
    rx.layers.emplace_back();
    LayerRelaxation& r = rx.layers.back();
    r.width = lb.size();
    std::vector<double> sig(static_cast<size_t>(lb.size()), 0.0);
    if (beta_splits != nullptr) {
      for (auto it = beta_splits->lower_bound(nn::NeuronId{i, -1});
           it != beta_splits->end() && it->first.layer == i; ++it) {
        sig[static_cast<size_t>(it->first.index)] =
            it->second == encode::Phase::kInactive ? 1.0 : -1.0;
      }
    }
    std::vector<double> s, t, alpha0, sigma, s_h;
    for (int j = 0; j < lb.size(); ++j) {
      const double lo = lb.lo[j];
      const double hi = lb.hi[j];
      NeuronState st = NeuronState::kLinear;
      if (relu && hi <= 0.0) {
        st = NeuronState::kZero;
      } else if (relu && lo < 0.0) {
        st = NeuronState::kUnstable;
      }
      const double sg = sig[static_cast<size_t>(j)];
      if (st == NeuronState::kZero && sg == 0.0) continue;
      if (st != NeuronState::kZero) {
        r.h_in_a.push_back(static_cast<int>(r.a_idx.size()));
        r.h_idx.push_back(j);
      }
      r.a_idx.push_back(j);
      r.state.push_back(st);
      const bool unstable = st == NeuronState::kUnstable;
      const double sl = unstable ? hi / (hi - lo) : 0.0;
      s.push_back(sl);
      t.push_back(unstable ? -sl * lo : 0.0);
      // Adaptive (area-minimising) when unstable; 1 for h = a, so that the passes can treat
      // every h column as m+ alpha + m- s (s = 1, t = 0 there).
      alpha0.push_back(unstable ? (hi >= -lo ? 1.0 : 0.0)
                                : (st == NeuronState::kLinear ? 1.0 : 0.0));
      if (st != NeuronState::kZero) s_h.push_back(unstable ? sl : 1.0);
      sigma.push_back(sg);
      r.num_unstable += unstable;
      r.num_split += sg != 0.0;
    }
    const auto n = static_cast<Eigen::Index>(r.a_idx.size());
    r.s = Eigen::Map<Vec>(s.data(), n);
    r.t = Eigen::Map<Vec>(t.data(), n);
    r.alpha0 = Eigen::Map<Vec>(alpha0.data(), n);
    r.sigma = Eigen::Map<Vec>(sigma.data(), n);
    r.a_is_h = r.a_idx.size() == r.h_idx.size();
    r.s_h = Eigen::Map<Vec>(s_h.data(), static_cast<Eigen::Index>(s_h.size()));
    r.t_h = r.t(r.h_in_a);
    r.unstable_h = Vec::Zero(static_cast<Eigen::Index>(r.h_idx.size()));
    for (size_t p = 0; p < r.h_idx.size(); ++p) {
      if (r.state[static_cast<size_t>(r.h_in_a[p])] == NeuronState::kUnstable) {
        r.unstable_h[static_cast<Eigen::Index>(p)] = 1.0;
      }
    }
    r.w = layer.weight(r.a_idx, prev_h);
    r.bias = layer.bias(r.a_idx);
    rx.num_unstable += r.num_unstable;
    rx.num_split += r.num_split;
    rx.top = r.h_idx;
  }
}

LinearRows rowsOverTop(const Relaxation& rx, const Mat& coef, const Vec& constant) {
  NNMIP_CHECK(constant.size() == coef.rows(), "backsub: {} rows, {} constants", coef.rows(),
              constant.size());
  return {coef(Eigen::all, rx.top), constant};
}

LinearRows rowsOnLayer(const nn::Network& net, const Relaxation& rx, const Mat& c, const Vec& c0) {
  const int layer = static_cast<int>(rx.layers.size());
  NNMIP_CHECK(
      layer < net.numLayers() && c.cols() == net.layer(layer).outputSize() && c0.size() == c.rows(),
      "backsub: rows of shape {}x{} (constant {}) on layer {}", c.rows(), c.cols(), c0.size(),
      layer);
  const nn::DenseLayer& target = net.layer(layer);
  return {c * target.weight(Eigen::all, rx.top), c * target.bias + c0};
}

int outputRelaxDepth(const nn::Network& net) {
  const int last = net.numLayers() - 1;
  return last >= 0 && encode::isReluLayer(net.layer(last)) ? last + 1 : last;
}

LinearRows rowsOnOutputs(const nn::Network& net, const Relaxation& rx, const Mat& c,
                         const Vec& c0) {
  if (static_cast<int>(rx.layers.size()) == net.numLayers()) {  // y = h of a final ReLU
    NNMIP_CHECK(c.cols() == net.outputSize() && c0.size() == c.rows(),
                "backsub: rows of shape {}x{} (constant {}) on {} outputs", c.rows(), c.cols(),
                c0.size(), net.outputSize());
    return {c(Eigen::all, rx.top), c0};
  }
  return rowsOnLayer(net, rx, c, c0);
}

BackSubResult backSubstitute(const Relaxation& rx, const LinearRows& rows,
                             const SlopeOptimiser& opt, const BackSubRequest& req) {
  const int num = static_cast<int>(rx.layers.size());
  const auto R = rows.coef.rows();
  const auto n_in = rx.in_lo.size();
  NNMIP_CHECK(
      rows.coef.cols() == static_cast<Eigen::Index>(rx.top.size()) && rows.constant.size() == R,
      "backsub: rows of shape {}x{} (constant {}) over {} top columns", R, rows.coef.cols(),
      rows.constant.size(), rx.top.size());
  NNMIP_CHECK(!(req.keep_slopes || req.warm != nullptr) ||
                  static_cast<Eigen::Index>(req.row_ids.size()) == R,
              "backsub: {} row ids for {} rows", req.row_ids.size(), R);
  NNMIP_CHECK(req.groups.empty() || static_cast<Eigen::Index>(req.groups.size()) == R,
              "backsub: {} groups for {} rows", req.groups.size(), R);

  Ascent as;
  as.m_top = rows.coef;
  as.bias_top = rows.constant;
  as.active.resize(static_cast<size_t>(R));
  std::iota(as.active.begin(), as.active.end(), 0);
  as.group = req.groups.empty() ? as.active : req.groups;
  const size_t L = rx.layers.size();
  for (std::vector<Mat>* v : {&as.alpha, &as.beta, &as.ma1, &as.ma2, &as.mb1, &as.mb2, &as.m_at}) {
    v->resize(L);
  }
  const bool warm = req.warm != nullptr && !req.warm->empty();
  // One pass at the start point with no slopes kept: every row's alpha is alpha0, so the pass
  // reads alpha0 itself instead of one copy per row (the same products, no per-call matrices).
  const bool row_alpha = opt.iterations > 0 || warm || req.keep_slopes;
  // The coefficients over each h are read back by the reverse pass and want_layer_coefs only.
  const bool keep_m = opt.iterations > 0 || req.want_layer_coefs;
  std::vector<Vec> alpha0_h(row_alpha ? 0 : L);
  for (size_t i = 0; i < L; ++i) {
    const LayerRelaxation& r = rx.layers[i];
    const auto w = static_cast<Eigen::Index>(r.a_idx.size());
    if (row_alpha) {
      as.alpha[i] = r.alpha0.transpose().replicate(R, 1);
    } else {
      alpha0_h[i] = r.a_is_h ? r.alpha0 : Vec(r.alpha0(r.h_in_a));
    }
    if (r.num_split > 0) as.beta[i] = Mat::Zero(R, w);
    if (opt.iterations > 0 && r.num_unstable > 0) as.ma1[i] = as.ma2[i] = Mat::Zero(R, w);
    if (opt.iterations > 0 && r.num_split > 0) as.mb1[i] = as.mb2[i] = Mat::Zero(R, w);
  }
  if (warm) {
    warmStart(rx, req.row_ids, *req.warm, as.alpha, as.beta);
  }
  if (req.keep_slopes) {
    as.best_alpha = as.alpha;
    as.best_beta = as.beta;
  }

  BackSubResult out;
  out.lower = Vec::Constant(R, -kInf);
  if (req.want_input_form) {
    out.a.resize(R, n_in);
    out.c.resize(R);
    out.vertex.resize(R, n_in);
  }
  if (req.want_layer_coefs) {
    out.layer_coefs.resize(L);
    for (size_t i = 0; i < L; ++i) out.layer_coefs[i] = Mat::Zero(R, rx.layers[i].width);
  }
  const bool centre = opt.zero_coef == ZeroCoefInput::kCentre;
  double lr_a = opt.lr_alpha;
  double lr_b = opt.lr_beta;
  for (int it = 0;; ++it) {
    const auto B = static_cast<Eigen::Index>(as.active.size());
    // Forward: m over h(i) -> lambda over a(i) (relaxation + beta terms) -> m over h(i-1).
    Mat m = as.m_top;
    Vec bias = as.bias_top;
    for (int i = num - 1; i >= 0; --i) {
      const auto k = static_cast<size_t>(i);
      const LayerRelaxation& r = rx.layers[k];
      // Over the h columns: m+ alpha + m- s (h = a columns have alpha = s = 1, t = 0).
      const Mat neg = m.cwiseMin(0.0);
      Mat lambda_h;
      if (!row_alpha) {
        lambda_h = m.cwiseMax(0.0) * alpha0_h[k].asDiagonal() + neg * r.s_h.asDiagonal();
      } else if (r.a_is_h) {
        lambda_h = m.cwiseMax(0.0).cwiseProduct(as.alpha[k]) + neg * r.s_h.asDiagonal();
      } else {
        lambda_h = m.cwiseMax(0.0).cwiseProduct(as.alpha[k](Eigen::all, r.h_in_a)) +
                   neg * r.s_h.asDiagonal();
      }
      bias += neg * r.t_h;
      Mat lambda;
      if (r.a_is_h) {
        lambda = std::move(lambda_h);
      } else {
        lambda = Mat::Zero(B, static_cast<Eigen::Index>(r.a_idx.size()));
        lambda(Eigen::all, r.h_in_a) = lambda_h;
      }
      if (r.num_split > 0) {
        for (Eigen::Index q = 0; q < lambda.cols(); ++q) {
          if (r.sigma[q] != 0.0) lambda.col(q) += r.sigma[q] * as.beta[k].col(q);
        }
      }
      bias += lambda * r.bias;
      if (keep_m) as.m_at[k] = std::move(m);
      m = lambda * r.w;
    }
    // The vertex minimising each row's A x + c over the box.
    Mat x(B, n_in);
    for (Eigen::Index row = 0; row < B; ++row) {
      for (Eigen::Index j = 0; j < n_in; ++j) {
        const double v = m(row, j);
        const double lo = rx.in_lo[j];
        const double hi = rx.in_hi[j];
        x(row, j) = v > 0.0 ? lo : (v < 0.0 ? hi : (centre ? 0.5 * (lo + hi) : lo));
      }
    }
    const Vec value = bias + m.cwiseProduct(x).rowwise().sum();
    bool all_done = true;
    for (Eigen::Index row = 0; row < B; ++row) {
      const int o = as.active[static_cast<size_t>(row)];
      if (req.keep_slopes && value[row] > out.lower[o]) {
        for (size_t k = 0; k < L; ++k) {
          as.best_alpha[k].row(o) = as.alpha[k].row(row);
          if (as.beta[k].size() > 0) as.best_beta[k].row(o) = as.beta[k].row(row);
        }
      }
      out.lower[o] = std::max(out.lower[o], value[row]);
      all_done &= out.lower[o] >= opt.stop_at;
      if (req.want_input_form) {
        out.a.row(o) = m.row(row);
        out.c[o] = bias[row];
        out.vertex.row(o) = x.row(row);
      }
      if (req.want_layer_coefs) {
        for (size_t k = 0; k < L; ++k) {
          out.layer_coefs[k](o, rx.layers[k].h_idx) = as.m_at[k].row(row);
        }
      }
    }
    if (it >= opt.iterations || (rx.num_unstable == 0 && rx.num_split == 0)) break;
    if (opt.deadline && Clock::now() >= *opt.deadline) break;
    if (opt.stop_rule == StopRule::kAllRows) {
      if (all_done) break;
    } else if (opt.stop_at < kInf) {  // groups with a finished row leave the batch
      std::vector<int> finished;
      for (Eigen::Index row = 0; row < B; ++row) {
        if (out.lower[as.active[static_cast<size_t>(row)]] >= opt.stop_at) {
          finished.push_back(as.group[static_cast<size_t>(row)]);
        }
      }
      if (!finished.empty()) {
        std::sort(finished.begin(), finished.end());
        std::vector<int> keep;
        for (Eigen::Index row = 0; row < B; ++row) {
          if (!std::binary_search(finished.begin(), finished.end(),
                                  as.group[static_cast<size_t>(row)])) {
            keep.push_back(static_cast<int>(row));
          }
        }
        if (keep.empty()) break;
        as.keepRows(keep);
        x = x(keep, Eigen::all).eval();
      }
    }

    // Reverse: g = relaxed primal of h(i-1) (from the vertex up); ahat = W g + b is
    // d value / d lambda(i): d value / d alpha = m+ ahat, d value / d beta = sigma ahat.
    const auto Bk = static_cast<Eigen::Index>(as.active.size());
    ++out.steps;
    const double c1 = 1.0 - std::pow(0.9, out.steps);
    const double c2 = 1.0 - std::pow(0.999, out.steps);
    Mat g = std::move(x);
    for (int i = 0; i < num; ++i) {
      const auto k = static_cast<size_t>(i);
      const LayerRelaxation& r = rx.layers[k];
      Mat ahat = g * r.w.transpose();
      ahat.rowwise() += r.bias.transpose();
      const Mat& mi = as.m_at[k];
      // Over the h columns (views where a_idx == h_idx, else gathered copies).
      Mat gl_sel, alpha_sel;
      const Mat& gl = r.a_is_h ? ahat : (gl_sel = ahat(Eigen::all, r.h_in_a));
      const Mat& alpha_h = r.a_is_h ? as.alpha[k] : (alpha_sel = as.alpha[k](Eigen::all, r.h_in_a));
      // The relaxed h(i): the lower line where the coefficient is >= 0, else the upper line.
      Mat gs = gl * r.s_h.asDiagonal();
      gs.rowwise() += r.t_h.transpose();
      Mat gnext = (mi.array() >= 0.0).select(gl.cwiseProduct(alpha_h), gs);
      // d value / d alpha = m+ ahat on unstable entries.
      Mat ga_h = gl.cwiseProduct(mi.cwiseMax(0.0)) * r.unstable_h.asDiagonal();
      bool any_a = false;
      for (Eigen::Index p = 0; p < r.unstable_h.size() && !any_a; ++p) {
        any_a = r.unstable_h[p] != 0.0 && (mi.col(p).array() >= 0.0).any();
      }
      Mat ga;
      if (r.a_is_h) {
        ga = std::move(ga_h);
      } else {
        ga = Mat::Zero(Bk, ahat.cols());
        ga(Eigen::all, r.h_in_a) = ga_h;
      }
      if (r.num_unstable > 0 && (any_a || opt.idle_momentum)) {
        adamStep(as.alpha[k], as.ma1[k], as.ma2[k], ga, lr_a, c1, c2);
        as.alpha[k] = as.alpha[k].cwiseMax(0.0).cwiseMin(1.0);
      }
      if (r.num_split > 0) {
        const Mat gb = ahat * r.sigma.asDiagonal();
        adamStep(as.beta[k], as.mb1[k], as.mb2[k], gb, lr_b, c1, c2);
        // Projection: beta >= 0, and entries of neurons that are not split stay 0.
        as.beta[k] = as.beta[k].cwiseMax(0.0) * r.sigma.cwiseAbs().asDiagonal();
      }
      g = std::move(gnext);
    }
    lr_a *= opt.decay;
    lr_b *= opt.decay;
  }
  if (req.keep_slopes) out.slopes = saveSlopes(rx, req.row_ids, as.best_alpha, as.best_beta);
  return out;
}

}  // namespace nnmip::bounds
