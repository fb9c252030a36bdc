// bench_bounds: lp-tier bounds of every neuron of mnist-net_256x2 / 256x4 over the boxes of
// prop_0_0.03 / prop_0_0.05, one LpSession per layer chunk ("clp", "clp-warm", "clp-restart")
// against cold ("clp-cold": CLP rebuilt for every LP), plus the symbolic tier. One JSON line per
// case, with wall and CPU seconds (process CPU time of the case; threads = 1).
#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bounds/bounder.hpp"
#include "core/timer.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"

using namespace nnmip;

namespace {
std::string perLayer(const std::vector<bounds::LayerStats>& st, long bounds::LayerStats::*f) {
  std::string s = "[";
  for (size_t i = 0; i < st.size(); ++i) s += fmt::format("{}{}", i ? "," : "", st[i].*f);
  return s + "]";
}
std::string unstable(const std::vector<bounds::LayerStats>& st) {
  std::string s = "[";
  for (size_t i = 0; i < st.size(); ++i) {
    s += fmt::format("{}{}", i ? "," : "", st[i].relu ? std::to_string(st[i].unstable) : "null");
  }
  return s + "]";
}
}  // namespace

constexpr const char* kUsage =
    "usage: bench_bounds [DATA_DIR] [--nets 256x2,256x4] [--props prop_0_0.03,prop_0_0.05]\n"
    "                    [--backends clp,clp-cold] [--seeds interval,symbolic]\n"
    "  DATA_DIR   default ../shared/data (run from the repository root)\n"
    "  --nets     mnist_fc networks (mnist-net_<name>.onnx)\n"
    "  --props    VNN-LIB properties whose input box is the domain\n"
    "  --backends LP backends: clp (default: restart after objective changes), clp-warm,\n"
    "             clp-restart, clp-cold (CLP rebuilt per LP: the baseline)\n"
    "  --seeds    interval = the pure LP chain; symbolic = lp seeded with the symbolic tier\n"
    "One JSON line per case: wall_s, cpu_s, lps, lp_iterations, failed, retries, per layer.\n";

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::vector<std::string> nets = {"256x2", "256x4"};
  std::vector<std::string> props = {"prop_0_0.03", "prop_0_0.05"};
  std::vector<std::string> backends = {"clp", "clp-cold"};
  std::vector<std::string> seeds = {"interval", "symbolic"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (a == "--seeds" && i + 1 < argc) {
      seeds = bench::splitList(argv[++i]);
    } else if (a == "--nets" && i + 1 < argc) {
      nets = bench::splitList(argv[++i]);
    } else if (a == "--props" && i + 1 < argc) {
      props = bench::splitList(argv[++i]);
    } else if (a == "--backends" && i + 1 < argc) {
      backends = bench::splitList(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      data_dir = a;
    }
  }
  for (const std::string& n : nets) {
    const nn::Network net = bench::mnistFcNet(data_dir, n);
    for (const std::string& p : props) {
      const bounds::Box box = bench::mnistFcBox(data_dir, p);
      bounds::BoundsOptions sym;
      sym.method = bounds::Method::kSymbolic;
      const bounds::BoundsResult s = bounds::computeBounds(net, box, sym);
      std::printf("%s\n", fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"method\":"
                                      "\"symbolic\",\"wall_s\":{:.4f},\"unstable\":{}}}",
                                      n, p, s.wall_s, unstable(s.stats))
                              .c_str());
      std::fflush(stdout);
      for (const std::string& seed : seeds) {
        const bool seeded = seed == "symbolic";
        for (const std::string& backend : backends) {
          bounds::BoundsOptions o;
          o.method = bounds::Method::kLp;
          o.symbolic_seed = seeded;
          o.solver.lp_backend = backend;
          o.solver.threads = 1;
          const double cpu0 = processCpuSeconds();
          const bounds::BoundsResult r = bounds::computeBounds(net, box, o);
          const double cpu_s = processCpuSeconds() - cpu0;
          long lps = 0, iters = 0, failed = 0, retries = 0;
          for (const auto& st : r.stats) {
            lps += st.lps;
            iters += st.lp_iterations;
            failed += st.failed;
            retries += st.lp_retries;
          }
          std::printf(
              "%s\n",
              fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"method\":\"lp\","
                          "\"seed\":\"{}\",\"backend\":\"{}\",\"threads\":1,\"wall_s\":{:.3f},"
                          "\"cpu_s\":{:.3f},"
                          "\"lps\":{},\"lp_iterations\":{},\"failed\":{},\"retries\":{},"
                          "\"lps_per_layer\":{},\"iters_per_layer\":{},\"unstable\":{}}}",
                          n, p, seeded ? "symbolic" : "interval", backend, r.wall_s, cpu_s, lps,
                          iters, failed, retries, perLayer(r.stats, &bounds::LayerStats::lps),
                          perLayer(r.stats, &bounds::LayerStats::lp_iterations), unstable(r.stats))
                  .c_str());
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
