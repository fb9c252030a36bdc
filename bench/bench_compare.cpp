// bench_compare: differential bounds (compare/compare.hpp, issue 22 item 5) on a network against
// its pruned copies: maxdiff-logit and mineps over L-inf balls around MNIST test images, each
// run with and without differential bounds in one process. One JSON line per (percent, radius,
// image, comparator, diff_bounds), then a summary line per (percent, radius, comparator): runs
// proved by each, summed wall time of the instances both proved, and the speed-up on those;
// where the baseline did not finish, the bounds at equal time are compared instead.
//
//   bench_compare NET.onnx [--data-dir D] [--images 0,1,...] [--radii 0.01,0.1]
//                 [--percents 50,90] [--comparators maxdiff-logit,mineps] [--time-limit 60]
//                 [--method alpha] [--interval-diff]
// --interval-diff: the differential run uses the interval pass of compare/diff_bounds alone
// (what the symbolic pass adds is the difference between two runs).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "compare/compare.hpp"
#include "core/data_dir.hpp"
#include "data/mnist.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"

using namespace nnmip;

namespace {
constexpr const char* kUsage =
    "usage: bench_compare NET.onnx [--data-dir D] [--images 0,1,2] [--radii 0.01,0.1]\n"
    "                     [--percents 50,90] [--comparators maxdiff-logit,mineps]\n"
    "                     [--time-limit 60] [--method alpha] [--interval-diff]\n";

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "null"; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string net_path = argv[1];
  std::string data_dir_arg;
  std::vector<std::string> images = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  std::vector<std::string> radii = {"0.01", "0.1"};
  std::vector<std::string> percents = {"50", "90"};
  std::vector<std::string> comparators = {"maxdiff-logit", "mineps"};
  double time_limit = 60.0;
  std::string method = "alpha";
  bool interval_diff = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fputs(kUsage, stderr);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data-dir") {
      data_dir_arg = next();
    } else if (a == "--images") {
      images = bench::splitList(next());
    } else if (a == "--radii") {
      radii = bench::splitList(next());
    } else if (a == "--percents") {
      percents = bench::splitList(next());
    } else if (a == "--comparators") {
      comparators = bench::splitList(next());
    } else if (a == "--time-limit") {
      time_limit = std::stod(next());
    } else if (a == "--method") {
      method = next();
    } else if (a == "--interval-diff") {
      interval_diff = true;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  const auto dir = resolveDataDir(data_dir_arg);
  if (!dir) {
    std::fprintf(stderr, "bench_compare: no data directory (%s)\n", dataDirHint().c_str());
    return 3;
  }
  const data::Dataset test = data::readMnist(*dir, false);
  const nn::Network net = nn::readOnnx(net_path);
  for (const std::string& pct : percents) {
    nn::Network pruned = net;
    nn::pruneByPercent(pruned, std::stod(pct), nn::PruneScope::kGlobal);
    for (const std::string& rad : radii) {
      const double r = std::stod(rad);
      for (const std::string& cmp : comparators) {
        struct Run {
          bool proved = false;
          double wall = 0, bound = NAN;
        };
        std::map<std::string, std::pair<Run, Run>> runs;  // image -> (baseline, diff)
        for (const std::string& img : images) {
          const Eigen::VectorXd x0 = test.X.row(std::stoi(img)).transpose();
          const encode::Domain dom(
              encode::Box((x0.array() - r).max(0.0).matrix(), (x0.array() + r).min(1.0).matrix()));
          for (bool diff : {false, true}) {
            compare::CompareOptions o;
            o.comparator = compare::parseComparator(cmp);
            o.bounds.method = bounds::parseMethod(method);
            o.time_limit_s = time_limit;
            o.diff_bounds = diff;
            o.diff_symbolic = !interval_diff;
            o.eps_max = r;
            o.class0 = test.y[static_cast<size_t>(std::stoi(img))];
            const compare::CompareResult res = compare::compareNetworks(net, pruned, dom, x0, o);
            Run& run = diff ? runs[img].second : runs[img].first;
            run.proved = res.proven;
            run.wall = res.wall_s;
            run.bound = res.bound;
            std::printf(
                "{\"percent\": %s, \"radius\": %s, \"image\": %s, \"comparator\": \"%s\", "
                "\"diff_bounds\": %s, \"status\": \"%s\", \"value\": %s, \"bound\": %s, "
                "\"proven\": %s, \"wall_s\": %.3f, \"bounds_s\": %.3f, \"diff_s\": %.3f, "
                "\"milp_s\": %.3f, \"milps\": %zu, \"stack_binaries\": %d}\n",
                pct.c_str(), rad.c_str(), img.c_str(), cmp.c_str(), diff ? "true" : "false",
                res.status.c_str(), num(res.value).c_str(), num(res.bound).c_str(),
                res.proven ? "true" : "false", res.wall_s, res.bounds_s, res.diff_s, res.milp_s,
                res.milps.size(), res.stack_binaries);
            std::fflush(stdout);
          }
        }
        int both = 0, base_only = 0, diff_only = 0;
        double t_base = 0, t_diff = 0;
        for (const auto& [img, pr] : runs) {
          if (pr.first.proved && pr.second.proved) {
            ++both;
            t_base += pr.first.wall;
            t_diff += pr.second.wall;
          } else if (pr.first.proved) {
            ++base_only;
          } else if (pr.second.proved) {
            ++diff_only;
          }
        }
        std::printf(
            "{\"summary\": true, \"percent\": %s, \"radius\": %s, \"comparator\": \"%s\", "
            "\"images\": %zu, \"proved_both\": %d, \"proved_baseline_only\": %d, "
            "\"proved_diff_only\": %d, \"wall_baseline_s\": %.3f, \"wall_diff_s\": %.3f, "
            "\"speedup\": %s}\n",
            pct.c_str(), rad.c_str(), cmp.c_str(), runs.size(), both, base_only, diff_only, t_base,
            t_diff, t_diff > 0 ? fmt::format("{:.2f}", t_base / t_diff).c_str() : "null");
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
