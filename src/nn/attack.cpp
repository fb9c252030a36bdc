#include "nn/attack.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"

namespace nnmip::nn {
namespace {

void checkAttackable(const Network& net, const Vec& lo, const Vec& hi, const AttackOptions& o) {
  if (net.numLayers() == 0) fail(ErrorKind::kInvalidInput, "attack: empty network");
  for (int l = 0; l < net.numLayers(); ++l) {
    const Activation a = net.layer(l).activation;
    if (a == Activation::kStep) {
      fail(ErrorKind::kUnsupported, "attack: layer {} has a step activation (no gradient)", l + 1);
    }
    if (a == Activation::kSoftmax && l + 1 != net.numLayers()) {
      fail(ErrorKind::kUnsupported, "attack: softmax before the last layer (layer {})", l + 1);
    }
  }
  if (lo.size() != net.inputSize() || hi.size() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "attack: box has {} / {} bounds, network has {} inputs",
         lo.size(), hi.size(), net.inputSize());
  }
  for (Eigen::Index i = 0; i < lo.size(); ++i) {
    if (!std::isfinite(lo[i]) || !std::isfinite(hi[i]) || lo[i] > hi[i]) {
      fail(ErrorKind::kInvalidInput, "attack: input {} has bounds [{}, {}]", i, lo[i], hi[i]);
    }
  }
  if (o.restarts < 1 || o.rounds < 1 || o.steps < 0 || o.diversify_steps < 0 ||
      !(o.step_size > 0) || !(o.decay > 0) || !(o.diversified_share >= 0) ||
      o.diversified_share > 1) {
    fail(ErrorKind::kInvalidInput,
         "attack: options out of range (restarts {}, rounds {}, steps {}, step_size {}, decay {})",
         o.restarts, o.rounds, o.steps, o.step_size, o.decay);
  }
}

// X <- clamp(X + step .* sign(G), lo, hi), row by row.
void signStep(Mat& X, const Mat& G, const Eigen::RowVectorXd& step, const Eigen::RowVectorXd& lo,
              const Eigen::RowVectorXd& hi) {
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const double g = G(i, j);
      double v = X(i, j);
      if (g > 0) {
        v += step[j];
      } else if (g < 0) {
        v -= step[j];
      }
      X(i, j) = std::clamp(v, lo[j], hi[j]);
    }
  }
}

}  // namespace

Mat inputGradientBatch(const Network& net, const Mat& X, const BatchTrace& trace,
                       const Mat& grad_y) {
  (void)X;
  Mat g = grad_y;  // d f / d h of the current layer
  for (int l = net.numLayers() - 1; l >= 0; --l) {
    const DenseLayer& layer = net.layer(l);
    const Mat& pre = trace.pre[static_cast<size_t>(l)];
    switch (layer.activation) {
      case Activation::kIdentity: break;
      case Activation::kRelu:
        g = g.cwiseProduct((pre.array() > 0.0).cast<double>().matrix());
        break;
      case Activation::kSoftmax: {
        // dp_i/da_k = p_i (delta_ik - p_k)  =>  g_a = p .* (g - (g . p))
        const Mat& p = trace.post[static_cast<size_t>(l)];
        const Vec gp = g.cwiseProduct(p).rowwise().sum();
        Mat ga = g;
        ga.colwise() -= gp;
        g = ga.cwiseProduct(p);
        break;
      }
      case Activation::kStep: fail(ErrorKind::kUnsupported, "attack: step activation");
    }
    Mat next = g * layer.weight;  // n x in
    g = std::move(next);
  }
  return g;
}

OutputObjective maxLinearObjective(const Mat& C, const Vec& c0) {
  return [C, c0](const Mat& Y, Vec& value, Mat* grad_y) {
    Mat v = Y * C.transpose();  // n x k
    v.rowwise() += c0.transpose();
    value.resize(Y.rows());
    if (grad_y != nullptr) grad_y->resize(Y.rows(), Y.cols());
    for (Eigen::Index i = 0; i < Y.rows(); ++i) {
      Eigen::Index best = 0;
      value[i] = v.row(i).maxCoeff(&best);
      if (grad_y != nullptr) grad_y->row(i) = C.row(best);
    }
  };
}

void AttackOptions::validate() const {
  auto bad = [](const char* field, double v, const char* range) {
    fail(ErrorKind::kInvalidInput, "attack options: {} = {} (must be {})", field, v, range);
  };
  if (restarts < 1) bad("restarts", restarts, ">= 1");
  if (rounds < 1) bad("rounds", rounds, ">= 1");
  if (steps < 0) bad("steps", steps, ">= 0");
  if (!(step_size > 0.0) || !std::isfinite(step_size)) bad("step_size", step_size, "> 0");
  if (!(decay > 0.0 && decay <= 1.0)) bad("decay", decay, "in (0, 1]");
  if (diversify_steps < 0) bad("diversify_steps", diversify_steps, ">= 0");
  if (!(diversified_share >= 0.0 && diversified_share <= 1.0)) {
    bad("diversified_share", diversified_share, "in [0, 1]");
  }
  if (std::isnan(target)) bad("target", target, "a number");
  if (time_limit_s && !(*time_limit_s >= 0.0)) bad("time_limit_s", *time_limit_s, ">= 0");
}

AttackResult attackBox(const Network& net, const Vec& lo, const Vec& hi,
                       const OutputObjective& objective, const AttackOptions& options,
                       const Callbacks& callbacks) {
  checkAttackable(net, lo, hi, options);
  const Timer timer;
  const int n = options.restarts;
  const int d = net.inputSize();
  const int m = net.outputSize();
  if (options.targets.size() > 0 && options.targets.cols() != m) {
    fail(ErrorKind::kInvalidInput, "attack: targets have {} columns, network has {} outputs",
         options.targets.cols(), m);
  }
  const Eigen::RowVectorXd lo_r = lo.transpose();
  const Eigen::RowVectorXd hi_r = hi.transpose();
  const Eigen::RowVectorXd width = hi_r - lo_r;
  Rng rng(options.seed);
  AttackResult result;
  result.x = 0.5 * (lo + hi);

  auto out_of_time = [&] {
    return (options.time_limit_s && timer.seconds() >= *options.time_limit_s) ||
           callbacks.stopRequested();
  };
  // Evaluates the batch, updates the best point, returns the gradient wrt X when asked.
  Vec value;
  Mat grad_y;
  auto evaluate = [&](const Mat& X, Mat* grad_x) {
    const BatchTrace trace = forwardBatchTrace(net, X);
    const Mat& Y = trace.post.back();
    objective(Y, value, grad_x != nullptr ? &grad_y : nullptr);
    NNMIP_CHECK(value.size() == X.rows(), "objective returned {} values for {} points",
                value.size(), X.rows());
    result.evaluations += X.rows();
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      if (value[i] > result.value) {  // NaN values never win
        result.value = value[i];
        result.x = X.row(i).transpose();
        result.y = Y.row(i).transpose();
      }
    }
    if (result.value >= options.target) result.reached_target = true;
    if (grad_x != nullptr) *grad_x = inputGradientBatch(net, X, trace, grad_y);
  };

  const int n_odi = static_cast<int>(std::round(options.diversified_share * (n - 1)));
  Mat X(n, d);
  Mat G;
  for (int round = 0; round < options.rounds; ++round) {
    if (round > 0 && out_of_time()) {
      result.stopped = true;
      break;
    }
    ++result.rounds;
    // Starts: centre (round 0, row 0), then uniform points.
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < d; ++j) X(i, j) = lo_r[j] + width[j] * rng.uniform();
    }
    const int first = (round == 0 && options.include_center) ? 1 : 0;
    if (first == 1) X.row(0) = 0.5 * (lo_r + hi_r);
    int first_free = first;  // first row that ODI may move
    if (round == 0 && options.starts.rows() > 0) {
      if (options.starts.cols() != d) {
        fail(ErrorKind::kInvalidInput, "attack: starts have {} columns, network has {} inputs",
             options.starts.cols(), d);
      }
      for (Eigen::Index k = 0; k < options.starts.rows() && first_free < n; ++k, ++first_free) {
        X.row(first_free) = options.starts.row(k).cwiseMax(lo_r).cwiseMin(hi_r);
      }
    }
    // ODI: rows [first, first + n_odi) push w . y for `diversify_steps` steps.
    if (options.diversify_steps > 0 && n_odi > 0) {
      Mat W(n, m);
      W.setZero();
      for (int i = first_free; i < std::min(n, first + n_odi); ++i) {
        // Every target first (over the rounds), then targets and random directions alternate.
        const long k = static_cast<long>(i - first_free) + static_cast<long>(round) * n_odi;
        const long n_targets = options.targets.rows();
        if (n_targets > 0 && (k < n_targets || k % 2 == 0)) {
          W.row(i) = options.targets.row(k % n_targets);
        } else {
          for (int j = 0; j < m; ++j) W(i, j) = rng.uniform(-1.0, 1.0);
        }
      }
      const Eigen::RowVectorXd step = options.step_size * width;
      for (int s = 0; s < options.diversify_steps; ++s) {
        const BatchTrace trace = forwardBatchTrace(net, X);
        const Mat gx = inputGradientBatch(net, X, trace, W);
        // Only the ODI rows move (rows with w = 0 have a zero gradient: sign 0, no step).
        signStep(X, gx, step, lo_r, hi_r);
      }
    }
    double factor = options.step_size;
    for (int s = 0; s <= options.steps; ++s) {
      const bool last = s == options.steps;
      evaluate(X, last ? nullptr : &G);
      if (result.reached_target) break;
      if (last) break;
      if (out_of_time()) {
        result.stopped = true;
        break;
      }
      signStep(X, G, factor * width, lo_r, hi_r);
      factor *= options.decay;
    }
    ProgressEvent ev;
    ev.phase = "attack";
    ev.elapsed_s = timer.seconds();
    ev.incumbent = result.value;
    ev.done = round + 1;
    ev.total = options.rounds;
    callbacks.progress(ev);
    if (result.reached_target || result.stopped) break;
  }
  if (result.y.size() == 0) result.y = forward(net, result.x);
  result.wall_s = timer.seconds();
  return result;
}

AttackResult attackMaxLinear(const Network& net, const Vec& lo, const Vec& hi, const Mat& C,
                             const Vec& c0, const AttackOptions& options,
                             const Callbacks& callbacks) {
  if (C.rows() < 1 || C.cols() != net.outputSize() || c0.size() != C.rows()) {
    fail(ErrorKind::kInvalidInput,
         "attack: C is {} x {} and c0 has {} entries; the network has {} outputs", C.rows(),
         C.cols(), c0.size(), net.outputSize());
  }
  AttackOptions o = options;
  if (o.targets.size() == 0) o.targets = C;
  return attackBox(net, lo, hi, maxLinearObjective(C, c0), o, callbacks);
}

}  // namespace nnmip::nn
