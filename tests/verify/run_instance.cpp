// Dev driver (not a test): verify one instance and print the JSON report.
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
