// bench_refine: MILP refinement (bounds/refine.hpp) of one hidden layer of an mnist_fc network
// over a VNN-LIB box after the alpha tier: how many unstable neurons it stabilises or tightens, at
// which per-solve limit, in how much time. One JSON line per (layer, per-solve limit).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bounds/alpha.hpp"
#include "bounds/bounder.hpp"
#include "bounds/refine.hpp"
#include "core/timer.hpp"

using namespace nnmip;

namespace {

constexpr const char* kUsage =
    "usage: bench_refine [DATA_DIR] [--net 256x6] [--prop prop_4_0.05] [--layers 2,3]\n"
    "                    [--per-solve 0.5,2] [--max-binaries 0,20] [--neurons N] [--threads T]\n"
    "                    [--cbc-opt k=v] [--stable-form composed,columns,sparser,race]\n"
    "                    [--onnx NET.onnx --vnnlib PROP.vnnlib]\n"
    "  --net, --prop  an mnist_fc network and property under DATA_DIR; --onnx and --vnnlib name\n"
    "               any network and property instead (e.g. ERAN's)\n"
    "  --layers     1-based hidden layers to refine (each from the alpha bounds, in turn)\n"
    "  --per-solve  per-MILP wall-clock limits to compare (seconds)\n"
    "  --max-binaries  partial MILPs to compare: binaries kept per neuron (0: the full MILP)\n"
    "  --neurons    refine at most the N most important unstable neurons per layer (default 40)\n"
    "  --stable-form  models to compare (bounds::RefineForm): composed (stable chains\n"
    "               substituted back to the inputs), columns (a column per stably active\n"
    "               neuron), sparser (the one with fewer nonzeros), race (per layer, the form\n"
    "               that solves the first neuron better)\n";

int unstable(const bounds::LayerBounds& b) {
  int u = 0;
  for (Eigen::Index j = 0; j < b.lo.size(); ++j) u += b.lo[j] < 0 && b.hi[j] > 0;
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "../shared/data";
  std::string net_name = "256x6";
  std::string prop = "prop_4_0.05";
  std::string onnx_path, vnnlib_path;
  std::vector<std::string> layers = {"2"};
  std::vector<std::string> per_solve = {"0.5", "2"};
  std::vector<std::string> max_binaries = {"0"};
  std::vector<std::string> stable_forms = {"composed"};
  int max_neurons = 40;
  int threads = 1;
  std::map<std::string, std::string> cbc;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fputs(kUsage, stderr);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--net")
      net_name = next();
    else if (a == "--prop")
      prop = next();
    else if (a == "--onnx")
      onnx_path = next();
    else if (a == "--vnnlib")
      vnnlib_path = next();
    else if (a == "--layers")
      layers = bench::splitList(next());
    else if (a == "--per-solve")
      per_solve = bench::splitList(next());
    else if (a == "--max-binaries")
      max_binaries = bench::splitList(next());
    else if (a == "--stable-form")
      stable_forms = bench::splitList(next());
    else if (a == "--neurons")
      max_neurons = std::stoi(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--cbc-opt") {
      const std::string kv = next();
      const size_t eq = kv.find('=');
      cbc[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!a.empty() && a[0] != '-')
      data_dir = a;
    else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (onnx_path.empty() != vnnlib_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!onnx_path.empty()) {
    net_name = std::filesystem::path(onnx_path).stem().string();
    prop = std::filesystem::path(vnnlib_path).stem().string();
  }
  const nn::Network net =
      onnx_path.empty() ? bench::mnistFcNet(data_dir, net_name) : nn::readOnnx(onnx_path);
  const data::VnnlibProperty property =
      vnnlib_path.empty() ? bench::mnistFcProperty(data_dir, prop) : data::readVnnlib(vnnlib_path);
  const bounds::Box box(property.input_lo, property.input_hi);
  const encode::Domain dom(box);
  bounds::BoundsOptions so;
  so.method = bounds::Method::kSymbolic;
  const bounds::NetworkBounds sym = bounds::computeBounds(net, box, so).bounds;
  bounds::AlphaOptions ao;
  ao.threads = threads;
  const bounds::NetworkBounds alpha = bounds::computeAlpha(net, dom, &sym, ao);
  for (const std::string& ps : per_solve) {
    for (const std::string& mb : max_binaries) {
      for (const std::string& sf : stable_forms) {
        bounds::NetworkBounds b = alpha;
        for (const std::string& ls : layers) {
          const int k = std::stoi(ls) - 1;
          const bounds::LayerBounds& lb = b.layers[static_cast<size_t>(k)];
          std::vector<int> neurons = bounds::refineOrder(net, b, k);
          if (static_cast<int>(neurons.size()) > max_neurons) neurons.resize(max_neurons);
          bounds::RefineOptions ro;
          ro.threads = threads;
          ro.per_solve_s = std::stod(ps);
          ro.max_binaries = std::stoi(mb);
          ro.form = bounds::parseRefineForm(sf);
          ro.mip_backend_options = cbc;
          ro.reference = box.center();
          const int before = unstable(lb);
          double width_before = 0, width_after = 0;
          for (int j : neurons) width_before += lb.hi[j] - lb.lo[j];
          const bounds::RefineStats rs = bounds::refineLayerMilp(net, dom, b, k, neurons, ro);
          const bounds::LayerBounds& la = b.layers[static_cast<size_t>(k)];
          for (int j : neurons) width_after += la.hi[j] - la.lo[j];
          std::printf(
              "{\"net\":\"%s\",\"prop\":\"%s\",\"layer\":%d,\"per_solve_s\":%s,\"max_binaries\":%s,"
              "\"stable_form\":\"%s\",\"model_form\":\"%s\",\"neurons\":%zu,"
              "\"unstable_before\":%d,\"unstable_after\":%d,\"stabilized\":%d,\"tightened\":%d,"
              "\"solves\":%d,\"failed\":%d,\"nodes\":%ld,"
              "\"width_before\":%.2f,\"width_after\":%.2f,\"model_terms\":%ld,\"model_rows\":%d,"
              "\"wall_s\":%.2f}\n",
              net_name.c_str(), prop.c_str(), k + 1, ps.c_str(), mb.c_str(), sf.c_str(),
              std::string(encode::stableFormName(rs.stable_form)).c_str(), neurons.size(), before,
              unstable(la), rs.stabilized, rs.tightened, rs.solves, rs.failed, rs.nodes,
              width_before, width_after, rs.model_terms, rs.model_rows, rs.wall_s);
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
