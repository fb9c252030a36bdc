// bench_validity: soundness of every bound tier on sampled inputs (issue 5, "Validity").
//
// Cases:
//   mnist-net_256x2 over the input box of vnncomp/mnist_fc/vnnlib/prop_0_0.03.vnnlib;
//   a trained 200x5 network (--net, default results/nets/mnist_200x5_none_s1.onnx) over the
//   L-inf ball eps = 0.02 around MNIST test image 0, clipped to [0,1].
// Per case every tier (naive, interval, symbolic, lp, milp) is computed on its own, then
// --samples inputs of the domain (40% uniform in the box, 40% random vertices, 20% points of a
// signed-gradient attack that pushes one neuron's pre-activation up or down) go through the
// batched forward pass in chunks. A violation is one (sample, neuron) pair whose pre-activation
// lies outside [lo - 1e-9, hi + 1e-9]. Tightness: per neuron the fraction of [lo, hi] covered
// by the sampled range, (smax - smin) / (hi - lo) (1 = the bounds are reached by samples);
// reported as its mean and max over neurons, with the smallest slack min(hi - smax, smin - lo).
// One JSON line per (network, tier) on stdout, a table on stderr.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bounds/bounder.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "data/mnist.hpp"
#include "data/vnnlib.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"

using namespace nnmip;
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

namespace {

constexpr double kTol = 1e-9;

enum class Kind { kUniform, kVertex, kAttack };
const char* kindName(Kind k) {
  return k == Kind::kUniform ? "uniform" : (k == Kind::kVertex ? "vertex" : "attack");
}

// Signed-gradient attack on a batch: row b pushes pre-activation (layer, target[b]) in the
// direction dir[b] (+1 up, -1 down) for `steps` steps of decaying size, projected on the box.
void attackBatch(const nn::Network& net, const bounds::Box& box, int layer,
                 const std::vector<int>& target, const std::vector<double>& dir, int steps,
                 Mat& X) {
  const Eigen::Index rows = X.rows();
  const Eigen::RowVectorXd base = ((box.hi - box.lo) / 2.0).transpose();
  for (int it = 0; it < steps; ++it) {
    const nn::BatchTrace t = nn::forwardBatchTrace(net, X);
    Mat g = Mat::Zero(rows, net.layer(layer).outputSize());
    for (Eigen::Index b = 0; b < rows; ++b) g(b, target[static_cast<size_t>(b)]) = 1.0;
    for (int l = layer; l >= 0; --l) {
      if (l < layer && net.layer(l).activation == nn::Activation::kRelu) {
        g = g.cwiseProduct((t.pre[static_cast<size_t>(l)].array() > 0.0).cast<double>().matrix());
      }
      g = (g * net.layer(l).weight).eval();
    }
    const double decay = 1.0 / (1.0 + it / 2.0);
    for (Eigen::Index b = 0; b < rows; ++b) {
      for (Eigen::Index i = 0; i < X.cols(); ++i) {
        const double s = g(b, i) > 0 ? 1.0 : (g(b, i) < 0 ? -1.0 : 0.0);
        X(b, i) = std::clamp(X(b, i) + dir[static_cast<size_t>(b)] * s * base[i] * decay, box.lo[i],
                             box.hi[i]);
      }
    }
  }
}

struct Tier {
  std::string name;
  bounds::BoundsResult result;
  long violations = 0;
  double max_violation = 0.0;
  std::string worst;  // where the largest violation happened
};

struct Case {
  std::string net_name;
  std::string domain;
  nn::Network net;
  bounds::Box box;
  bool milp = false;
};

double meanWidth(const bounds::NetworkBounds& b) {
  double sum = 0.0;
  long n = 0;
  for (const auto& l : b.layers) {
    sum += (l.hi - l.lo).sum();
    n += l.lo.size();
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

std::string perLayerWidth(const bounds::NetworkBounds& b) {
  std::string s = "[";
  for (size_t i = 0; i < b.layers.size(); ++i) {
    s += fmt::format("{}{:.6g}", i ? "," : "", (b.layers[i].hi - b.layers[i].lo).mean());
  }
  return s + "]";
}

void runCase(Case& c, const std::vector<std::string>& tiers, long samples, int chunk,
             int attack_steps, int threads, double milp_time, uint64_t seed) {
  std::vector<Tier> done;
  for (const std::string& name : tiers) {
    const bounds::Method m = bounds::parseMethod(name);
    if (m == bounds::Method::kMilp && !c.milp) continue;
    bounds::BoundsOptions o;
    o.method = m;
    o.solver.threads = threads;
    if (m == bounds::Method::kMilp) o.solver.time_limit_s = milp_time;
    std::fprintf(stderr, "%s: %s ...\n", c.net_name.c_str(), name.c_str());
    Tier t;
    t.name = name;
    t.result = bounds::computeBounds(c.net, c.box, o);
    done.push_back(std::move(t));
  }

  const int layers = c.net.numLayers();
  std::vector<Vec> smin, smax;
  for (int l = 0; l < layers; ++l) {
    smin.push_back(
        Vec::Constant(c.net.layer(l).outputSize(), std::numeric_limits<double>::infinity()));
    smax.push_back(
        Vec::Constant(c.net.layer(l).outputSize(), -std::numeric_limits<double>::infinity()));
  }
  const int n = c.box.size();
  const long n_uniform = samples * 2 / 5;
  const long n_vertex = samples * 2 / 5;
  const long n_attack = samples - n_uniform - n_vertex;
  Rng rng(seed);
  long made = 0;
  int attack_layer = 0;
  const double t0 = processCpuSeconds();
  for (const Kind kind : {Kind::kUniform, Kind::kVertex, Kind::kAttack}) {
    const long total = kind == Kind::kUniform  ? n_uniform
                       : kind == Kind::kVertex ? n_vertex
                                               : n_attack;
    for (long start = 0; start < total; start += chunk) {
      const long rows = std::min<long>(chunk, total - start);
      Mat X(rows, n);
      for (long b = 0; b < rows; ++b) {
        for (int i = 0; i < n; ++i) {
          X(b, i) = kind == Kind::kVertex ? ((rng.bits() & 1) ? c.box.hi[i] : c.box.lo[i])
                                          : rng.uniform(c.box.lo[i], c.box.hi[i]);
        }
      }
      if (kind == Kind::kAttack) {
        // Each attack chunk targets one layer (layers in turn); neuron and sense per row.
        const int size = c.net.layer(attack_layer).outputSize();
        std::vector<int> target(static_cast<size_t>(rows));
        std::vector<double> dir(static_cast<size_t>(rows));
        for (long b = 0; b < rows; ++b) {
          target[static_cast<size_t>(b)] = static_cast<int>(rng.below(static_cast<uint64_t>(size)));
          dir[static_cast<size_t>(b)] = (rng.bits() & 1) ? 1.0 : -1.0;
        }
        attackBatch(c.net, c.box, attack_layer, target, dir, attack_steps, X);
        attack_layer = (attack_layer + 1) % layers;
      }
      const nn::BatchTrace tr = nn::forwardBatchTrace(c.net, X);
      for (int l = 0; l < layers; ++l) {
        const Mat& a = tr.pre[static_cast<size_t>(l)];
        smin[static_cast<size_t>(l)] =
            smin[static_cast<size_t>(l)].cwiseMin(a.colwise().minCoeff().transpose());
        smax[static_cast<size_t>(l)] =
            smax[static_cast<size_t>(l)].cwiseMax(a.colwise().maxCoeff().transpose());
        for (Tier& t : done) {
          const auto& lb = t.result.bounds.layers[static_cast<size_t>(l)];
          for (Eigen::Index j = 0; j < a.cols(); ++j) {
            for (Eigen::Index b = 0; b < a.rows(); ++b) {
              const double v = a(b, j);
              const double over = std::max(lb.lo[j] - v, v - lb.hi[j]);
              if (over > kTol) {
                ++t.violations;
                if (over > t.max_violation) {
                  t.max_violation = over;
                  t.worst = fmt::format(
                      "layer {} neuron {} sample {} ({}) value {:.17g} bounds [{:.17g}, {:.17g}]",
                      l + 1, j, made + b, kindName(kind), v, lb.lo[j], lb.hi[j]);
                }
              }
            }
          }
        }
      }
      made += rows;
    }
  }
  const double sample_s = processCpuSeconds() - t0;
  std::fprintf(stderr, "%s: %ld samples in %.1f s CPU\n", c.net_name.c_str(), made, sample_s);

  std::fprintf(stderr, "\n%-18s %-9s %9s %8s %10s %11s %9s %9s %10s\n", "network", "tier", "wall_s",
               "samples", "violations", "mean_width", "cov_mean", "cov_max", "min_slack");
  for (const Tier& t : done) {
    double cov_sum = 0.0, cov_max = 0.0, slack = std::numeric_limits<double>::infinity();
    long count = 0, failed = 0;
    std::string cov_layers = "[";
    for (int l = 0; l < layers; ++l) {
      double layer_sum = 0.0;
      const auto& lb = t.result.bounds.layers[static_cast<size_t>(l)];
      for (Eigen::Index j = 0; j < lb.lo.size(); ++j) {
        const double w = lb.hi[j] - lb.lo[j];
        const double cov =
            w > 0 ? (smax[static_cast<size_t>(l)][j] - smin[static_cast<size_t>(l)][j]) / w : 1.0;
        cov_sum += cov;
        layer_sum += cov;
        cov_max = std::max(cov_max, cov);
        slack = std::min({slack, lb.hi[j] - smax[static_cast<size_t>(l)][j],
                          smin[static_cast<size_t>(l)][j] - lb.lo[j]});
        ++count;
      }
      cov_layers +=
          fmt::format("{}{:.4f}", l ? "," : "", layer_sum / static_cast<double>(lb.lo.size()));
    }
    cov_layers += "]";
    for (const auto& s : t.result.stats) failed += s.failed;
    const double cov_mean = cov_sum / static_cast<double>(count);
    const double mw = meanWidth(t.result.bounds);
    std::printf(
        "%s\n",
        fmt::format(
            "{{\"net\":\"{}\",\"domain\":\"{}\",\"tier\":\"{}\",\"wall_s\":{:.3f},"
            "\"samples\":{},\"violations\":{},\"max_violation\":{:.3g},"
            "\"mean_width\":{:.6g},\"mean_width_per_layer\":{},"
            "\"coverage_mean\":{:.4f},\"coverage_mean_per_layer\":{},\"coverage_max\":{:.6f},"
            "\"min_slack\":{:.3g},\"failed_solves\":{}{}}}",
            c.net_name, c.domain, t.name, t.result.wall_s, made, t.violations, t.max_violation, mw,
            perLayerWidth(t.result.bounds), cov_mean, cov_layers, cov_max, slack, failed,
            t.worst.empty() ? "" : fmt::format(",\"worst\":\"{}\"", t.worst))
            .c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "%-18s %-9s %9.3f %8ld %10ld %11.5g %9.4f %9.6f %10.3g\n",
                 c.net_name.c_str(), t.name.c_str(), t.result.wall_s, made, t.violations, mw,
                 cov_mean, cov_max, slack);
    if (!t.worst.empty()) std::fprintf(stderr, "  VIOLATION %s\n", t.worst.c_str());
  }
  std::fprintf(stderr, "\n");
}

}  // namespace

constexpr const char* kUsage =
    "usage: bench_validity [DATA_DIR] [--net PATH] [--cases 256x2,200x5] [--samples N]\n"
    "                      [--tiers naive,interval,symbolic,lp,milp] [--milp-time-limit S]\n"
    "                      [--milp-200x5] [--threads N] [--seed N] [--chunk N] [--attack-steps N]\n"
    "  DATA_DIR          default ../shared/data (run from the repository root)\n"
    "  --net             trained 200x5 network (default results/nets/mnist_200x5_none_s1.onnx)\n"
    "  --samples         inputs per case (default 100000: 40% uniform, 40% vertices, 20% attack)\n"
    "  --milp-time-limit total MILP budget per case in seconds (default 120)\n"
    "  --milp-200x5      also run the milp tier on the 200x5 case (off by default: expensive)\n"
    "  --threads         solver threads of lp/milp (default 1)\n"
    "One JSON line per (network, tier) on stdout; a table on stderr.\n";

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::string net200 = "results/nets/mnist_200x5_none_s1.onnx";
  std::vector<std::string> cases = {"256x2", "200x5"};
  std::vector<std::string> tiers = {"naive", "interval", "symbolic", "lp", "milp"};
  long samples = 100000;
  double milp_time = 120.0;
  bool milp200 = false;
  int threads = 1, chunk = 2000, attack_steps = 5;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--net" && has) {
      net200 = argv[++i];
    } else if (a == "--cases" && has) {
      cases = bench::splitList(argv[++i]);
    } else if (a == "--tiers" && has) {
      tiers = bench::splitList(argv[++i]);
    } else if (a == "--samples" && has) {
      samples = std::stol(argv[++i]);
    } else if (a == "--milp-time-limit" && has) {
      milp_time = std::stod(argv[++i]);
    } else if (a == "--milp-200x5") {
      milp200 = true;
    } else if (a == "--threads" && has) {
      threads = std::stoi(argv[++i]);
    } else if (a == "--seed" && has) {
      seed = std::stoull(argv[++i]);
    } else if (a == "--chunk" && has) {
      chunk = std::stoi(argv[++i]);
    } else if (a == "--attack-steps" && has) {
      attack_steps = std::stoi(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      data_dir = a;
    }
  }
  if (samples <= 0 || chunk <= 0 || threads <= 0 || attack_steps < 0) {
    std::fprintf(stderr, "--samples, --chunk, --threads must be positive\n%s", kUsage);
    return 2;
  }
  for (const std::string& k : cases) {
    Case c;
    if (k == "256x2") {
      c.net_name = "mnist-net_256x2";
      c.domain = "vnnlib:prop_0_0.03";
      c.net = bench::mnistFcNet(data_dir, "256x2");
      c.box = bench::mnistFcBox(data_dir, "prop_0_0.03");
      c.milp = true;
    } else if (k == "200x5") {
      c.net_name = std::filesystem::path(net200).stem().string();
      c.domain = "linf:test0:0.02";
      c.net = nn::readOnnx(net200);
      const data::Dataset test = data::readMnist(data_dir, /*train=*/false);
      c.box = bounds::linfBall(test.X.row(0).transpose(), 0.02);
      c.milp = milp200;
    } else {
      std::fprintf(stderr, "unknown case %s\n%s", k.c_str(), kUsage);
      return 2;
    }
    runCase(c, tiers, samples, chunk, attack_steps, threads, milp_time, seed);
  }
  return 0;
}
