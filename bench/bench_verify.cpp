// bench_verify: root bounds for verification, the alpha tier against the lp tier (issue 10):
// unstable ReLUs per layer and wall/CPU time on the mnist_fc networks over the boxes of VNN-LIB
// properties. One JSON line per (net, prop, method), then one "compare" line per (net, prop)
// with the target: where lp takes >= 10 s, alpha's total unstable <= 1.1x lp's in at most
// a tenth of lp's time. threads = 1 unless --threads.
// With --phases it runs the whole engine (verify::verifyProperty) instead: one JSON line per
// (net, prop) with the verdict, wall and CPU time, and per phase its wall time, the disjuncts it
// closed and those left open, and the unstable ReLUs per layer after the bounds.
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bounds/bounder.hpp"
#include "core/timer.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "verify/verifier.hpp"

using namespace nnmip;

namespace {

constexpr const char* kUsage =
    "usage: bench_verify [DATA_DIR] [--nets 256x4,256x6] [--props prop_0_0.03,prop_0_0.05]\n"
    "                    [--methods symbolic,alpha,lp] [--alpha-iterations N]\n"
    "                    [--lp-time-limit S] [--threads T]\n"
    "  DATA_DIR          default ../shared/data (run from the repository root)\n"
    "  --nets            mnist_fc networks (mnist-net_<name>.onnx)\n"
    "  --props           VNN-LIB properties whose input box is the domain\n"
    "  --methods         bound tiers (symbolic, alpha, lp, milp); alpha and lp start from "
    "symbolic\n"
    "  --alpha-iterations gradient steps per layer of the alpha tier (default 50)\n"
    "  --lp-time-limit   total seconds for an lp run (neurons left unsolved keep their symbolic\n"
    "                    bounds; the JSON says time_limited); default none\n"
    "  --threads         worker threads of both tiers (default 1; --phases: default 2)\n"
    "  --phases          run the verifier on each (net, prop) and report its phases\n"
    "  --time-limit S    --phases: the verifier's time limit (default 60)\n"
    "One JSON line per case: wall_s, cpu_s, unstable per ReLU layer and in total, time per layer;\n"
    "then per (net, prop) a compare line (alpha vs lp) when both ran.\n";

template <typename T, typename F>
std::string jsonList(const std::vector<T>& v, F f) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += ",";
    s += f(v[i]);
  }
  return s + "]";
}

struct Case {
  double wall_s = 0.0;
  double cpu_s = 0.0;
  int unstable = 0;
};

// --phases: the whole engine per (net, prop).
int runPhases(const std::string& data_dir, const std::vector<std::string>& nets,
              const std::vector<std::string>& props, int threads, double time_limit) {
  for (const std::string& n : nets) {
    const nn::Network net = bench::mnistFcNet(data_dir, n);
    for (const std::string& p : props) {
      const data::VnnlibProperty prop =
          data::readVnnlib(fmt::format("{}/vnncomp/mnist_fc/vnnlib/{}.vnnlib", data_dir, p));
      verify::VerifyOptions o;
      o.time_limit_s = time_limit;
      o.threads = std::max(2, threads);
      const double cpu0 = processCpuSeconds();
      const verify::Result r = verify::verifyProperty(net, prop, o);
      const double cpu = processCpuSeconds() - cpu0;
      std::string ph = "[]";
      std::string unstable = "[]";
      if (!r.boxes.empty()) {
        const verify::BoxReport& b = r.boxes.front();
        ph = jsonList(b.phases, [](const verify::PhaseStats& s) {
          return fmt::format("{{\"phase\":\"{}\",\"wall_s\":{:.3f},\"closed\":{},\"open\":{}}}",
                             s.name, s.wall_s, s.closed, s.open_after);
        });
        unstable = jsonList(b.unstable, [](int u) { return std::to_string(u); });
      }
      std::printf(
          "%s\n",
          fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"status\":\"{}\","
                      "\"time_limit\":{},\"wall_s\":{:.3f},\"cpu_s\":{:.3f},"
                      "\"unstable\":{},\"phases\":{}}}",
                      n, p, verify::statusName(r.status), time_limit, r.wall_s, cpu, unstable, ph)
              .c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::vector<std::string> nets = {"256x4", "256x6"};
  std::vector<std::string> props = {"prop_0_0.03", "prop_0_0.05"};
  std::vector<std::string> methods = {"symbolic", "alpha", "lp"};
  int alpha_iterations = bounds::AlphaOptions{}.iterations;
  std::optional<double> lp_time_limit;
  int threads = 1;
  bool phases = false;
  double time_limit = 60.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (a == "--nets" && has_value) {
      nets = bench::splitList(argv[++i]);
    } else if (a == "--props" && has_value) {
      props = bench::splitList(argv[++i]);
    } else if (a == "--methods" && has_value) {
      methods = bench::splitList(argv[++i]);
    } else if (a == "--alpha-iterations" && has_value) {
      alpha_iterations = std::stoi(argv[++i]);
    } else if (a == "--lp-time-limit" && has_value) {
      lp_time_limit = std::stod(argv[++i]);
    } else if (a == "--threads" && has_value) {
      threads = std::stoi(argv[++i]);
    } else if (a == "--phases") {
      phases = true;
    } else if (a == "--time-limit" && has_value) {
      time_limit = std::stod(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      data_dir = a;
    }
  }
  if (phases) return runPhases(data_dir, nets, props, threads, time_limit);
  for (const std::string& n : nets) {
    const nn::Network net = bench::mnistFcNet(data_dir, n);
    for (const std::string& p : props) {
      const bounds::Box box = bench::mnistFcBox(data_dir, p);
      std::map<std::string, Case> done;
      for (const std::string& m : methods) {
        bounds::BoundsOptions o;
        o.method = bounds::parseMethod(m);
        o.alpha.iterations = alpha_iterations;
        o.alpha.threads = threads;
        o.solver.threads = threads;
        if (o.method == bounds::Method::kLp || o.method == bounds::Method::kMilp) {
          o.solver.time_limit_s = lp_time_limit;
        }
        const double cpu0 = processCpuSeconds();
        const bounds::BoundsResult r = bounds::computeBounds(net, box, o);
        Case c{r.wall_s, processCpuSeconds() - cpu0, 0};
        long lps = 0;
        long failed = 0;
        for (const bounds::LayerStats& s : r.stats) {
          if (s.relu) c.unstable += s.unstable;
          lps += s.lps;
          failed += s.failed;
        }
        // An lp run cut by its time limit solves fewer LPs than 2 per neuron of layers >= 2
        // (unsolved neurons keep their symbolic bounds).
        long wanted = 0;
        for (size_t l = 1; l < r.stats.size(); ++l) wanted += 2L * r.stats[l].size;
        const bool limited = o.method == bounds::Method::kLp && lp_time_limit && lps < wanted;
        std::printf(
            "%s\n",
            fmt::format(
                "{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"method\":\"{}\",\"threads\":{},"
                "\"alpha_iterations\":{},\"lp_time_limit\":{},\"time_limited\":{},"
                "\"wall_s\":{:.3f},\"cpu_s\":{:.3f},\"total_unstable\":{},\"unstable\":{},"
                "\"time_per_layer\":{},\"lps\":{},\"failed\":{}}}",
                n, p, m, threads, o.method == bounds::Method::kAlpha ? alpha_iterations : 0,
                lp_time_limit ? fmt::format("{}", *lp_time_limit) : "null",
                limited ? "true" : "false", c.wall_s, c.cpu_s, c.unstable,
                jsonList(r.stats,
                         [](const bounds::LayerStats& s) {
                           return s.relu ? std::to_string(s.unstable) : std::string("null");
                         }),
                jsonList(
                    r.stats,
                    [](const bounds::LayerStats& s) { return fmt::format("{:.3f}", s.time_s); }),
                lps, failed)
                .c_str());
        std::fflush(stdout);
        done[m] = c;
      }
      if (done.count("alpha") && done.count("lp")) {
        const Case& a = done["alpha"];
        const Case& l = done["lp"];
        const double ratio = l.unstable > 0 ? static_cast<double>(a.unstable) / l.unstable : 1.0;
        const double time_ratio = a.wall_s / l.wall_s;
        const bool applies = l.wall_s >= 10.0;
        std::printf(
            "%s\n",
            fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"compare\":"
                        "\"alpha_vs_lp\",\"unstable_ratio\":{:.3f},\"time_ratio\":{:.4f},"
                        "\"target_applies\":{},\"target_met\":{}}}",
                        n, p, ratio, time_ratio, applies ? "true" : "false",
                        applies ? ((ratio <= 1.1 && time_ratio <= 0.1) ? "true" : "false") : "null")
                .c_str());
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
