// Dev driver (not a test): verify one instance and print the JSON report.
// run_instance net.onnx prop.vnnlib time_limit png_dir|- [key value]...: keys tighten, compact,
// threads, bab, milp, lptier, bab_share, branching (babsr|fsb), fsb_k, interm_it, spec_it,
// lp_unstable, beta, interm, depth_first; any other key is a MILP backend option.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include "core/timer.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "verify/outputs.hpp"
#include "verify/verifier.hpp"
int main(int argc, char** argv) {
  using namespace nnmip;
  Timer clock;
  const nn::Network net = nn::readOnnx(argv[1]);
  const data::VnnlibProperty p = data::readVnnlib(argv[2]);
  verify::VerifyOptions o;
  o.time_limit_s = std::stod(argv[3]);
  for (int i = 5; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "tighten")
      o.milp_tighten = v == "1";
    else if (k == "compact")
      o.milp_compact = v == "1";
    else if (k == "threads")
      o.threads = std::stoi(v);
    else if (k == "bab")
      o.use_bab = v == "1";
    else if (k == "milp")
      o.use_milp = v == "1";
    else if (k == "lptier")
      o.use_lp_tier = v == "1";
    else if (k == "bab_share")
      o.bab_share = std::stod(v);
    else if (k == "branching")
      o.bab.branching = v == "fsb" ? verify::Branching::kFsb : verify::Branching::kBabsr;
    else if (k == "fsb_k")
      o.bab.fsb_candidates = std::stoi(v);
    else if (k == "interm_it")
      o.bab.interm_iterations = std::stoi(v);
    else if (k == "spec_it")
      o.bab.spec_iterations = std::stoi(v);
    else if (k == "lp_unstable")
      o.bab.lp_max_unstable = std::stoi(v);
    else if (k == "beta")
      o.bab.beta = v == "1";
    else if (k == "interm")
      o.bab.recompute_intermediate = v == "1";
    else if (k == "depth_first")
      o.bab.depth_first = v == "1";
    else
      o.mip_backend_options[k] = v;
  }
  Callbacks cb;
  cb.on_log = [&](Level, std::string_view s) {
    std::fprintf(stderr, "[%7.2f] %s\n", clock.seconds(), std::string(s).c_str());
  };
  const verify::Result r = verify::verifyProperty(net, p, o, cb);
  nlohmann::json j = r;
  if (j.contains("counterexample")) {
    j["counterexample"].erase("x");
  }
  std::cout << j.dump(1) << "\n" << verify::resultFileText(r).substr(0, 200) << "\n";
  if (argc > 4 && std::string(argv[4]) != "-") verify::writeImagePngs(argv[4], p, r);
}
