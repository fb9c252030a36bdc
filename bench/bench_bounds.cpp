// bench_bounds: lp-tier bounds of every neuron of mnist-net_256x2 / 256x4 over the boxes of
// prop_0_0.03 / prop_0_0.05, warm ("clp": one session per layer chunk) against cold
// ("clp-cold": CLP rebuilt for every LP), plus the symbolic tier. One JSON line per case.
//   bench_bounds [DATA_DIR=../shared/data] [--nets 256x2,256x4] [--props prop_0_0.03,...]
#include <fmt/format.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "bounds/bounder.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"

using namespace nnmip;

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

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

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::vector<std::string> nets = {"256x2", "256x4"};
  std::vector<std::string> props = {"prop_0_0.03", "prop_0_0.05"};
  std::vector<std::string> backends = {"clp", "clp-cold"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nets" && i + 1 < argc) {
      nets = split(argv[++i]);
    } else if (a == "--props" && i + 1 < argc) {
      props = split(argv[++i]);
    } else if (a == "--backends" && i + 1 < argc) {
      backends = split(argv[++i]);
    } else {
      data_dir = a;
    }
  }
  for (const std::string& n : nets) {
    const nn::Network net =
        nn::readOnnx(fmt::format("{}/vnncomp/mnist_fc/onnx/mnist-net_{}.onnx", data_dir, n));
    for (const std::string& p : props) {
      const data::VnnlibProperty prop =
          data::readVnnlib(fmt::format("{}/vnncomp/mnist_fc/vnnlib/{}.vnnlib", data_dir, p));
      const bounds::Box box(
          Eigen::Map<const bounds::Vec>(prop.input_lo.data(), static_cast<long>(prop.input_lo.size())),
          Eigen::Map<const bounds::Vec>(prop.input_hi.data(), static_cast<long>(prop.input_hi.size())));
      bounds::BoundsOptions sym;
      sym.method = bounds::Method::kSymbolic;
      const bounds::BoundsResult s = bounds::computeBounds(net, box, sym);
      std::printf("%s\n", fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"method\":"
                                      "\"symbolic\",\"wall_s\":{:.4f},\"unstable\":{}}}",
                                      n, p, s.wall_s, unstable(s.stats)).c_str());
      std::fflush(stdout);
      for (const bool seeded : {false, true}) {
        for (const std::string& backend : backends) {
          bounds::BoundsOptions o;
          o.method = bounds::Method::kLp;
          o.symbolic_seed = seeded;
          o.solver.lp_backend = backend;
          o.solver.threads = 1;
          const bounds::BoundsResult r = bounds::computeBounds(net, box, o);
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
                          "\"lps\":{},\"lp_iterations\":{},\"failed\":{},\"retries\":{},"
                          "\"lps_per_layer\":{},\"iters_per_layer\":{},\"unstable\":{}}}",
                          n, p, seeded ? "symbolic" : "interval", backend, r.wall_s, lps, iters,
                          failed, retries, perLayer(r.stats, &bounds::LayerStats::lps),
                          perLayer(r.stats, &bounds::LayerStats::lp_iterations),
                          unstable(r.stats))
                  .c_str());
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
