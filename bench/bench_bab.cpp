// bench_bab: the branch and bound over ReLU splits (verify/bab.hpp) from the alpha tier's root
// bounds on one mnist_fc property, under a node budget, once per configuration. One JSON line per
// run: nodes, wall and CPU time, closed disjuncts, the largest open bound, and the trace of the
// largest open bound every 10 s. With --threads 1 and a node budget the runs are deterministic, so
// two configurations compare by the bound each reaches after the same nodes and by their time.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "bounds/bounder.hpp"
#include "core/timer.hpp"
#include "verify/bab.hpp"

using namespace nnmip;

int main(int argc, char** argv) {
  CLI::App app{"bench_bab: branch and bound configurations under a node budget"};
  std::string data_dir = "../shared/data";
  std::string net_name = "256x4";
  std::string prop_name = "prop_7_0.05";
  long nodes = 20000;
  double time_limit = 600.0;
  int threads = 1;
  std::vector<int> warm = {0, 1};
  std::vector<int> spec_iterations = {20};
  std::vector<int> interm_iterations = {verify::BabOptions{}.interm_iterations};
  std::vector<int> fsb_candidates = {verify::BabOptions{}.fsb_candidates};
  std::vector<int> recompute = {verify::BabOptions{}.recompute_intermediate ? 1 : 0};
  app.add_option("data_dir", data_dir, "data directory (run from the repository root)");
  app.add_option("--net", net_name, "mnist_fc network (mnist-net_<name>.onnx)");
  app.add_option("--prop", prop_name, "VNN-LIB property (its first input box)");
  app.add_option("--nodes", nodes, "children bounded at most per run");
  app.add_option("--time-limit", time_limit, "seconds per run");
  app.add_option("--threads", threads, "bab workers");
  app.add_option("--warm", warm, "warm starts to compare (0 cold, 1 warm)")->delimiter(',');
  app.add_option("--spec-iterations", spec_iterations, "beta-CROWN steps per child to compare")
      ->delimiter(',');
  app.add_option("--interm-iterations", interm_iterations,
                 "alpha steps per re-bounded layer after a split, to compare")
      ->delimiter(',');
  app.add_option("--fsb-candidates", fsb_candidates, "FSB candidates per score, to compare")
      ->delimiter(',');
  app.add_option("--recompute", recompute,
                 "re-bound the layers after a split (1) or keep the parent's bounds (0), to "
                 "compare")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  const nn::Network net = bench::mnistFcNet(data_dir, net_name);
  const data::VnnlibProperty prop = bench::mnistFcProperty(data_dir, prop_name);
  const bounds::Box box(prop.input_boxes.front().lo, prop.input_boxes.front().hi);
  bounds::BoundsOptions bo;
  bo.method = bounds::Method::kAlpha;
  const bounds::BoundsResult root = bounds::computeBounds(net, box, bo);
  const std::vector<double> root_upper(prop.unsafe_disjuncts.size(),
                                       std::numeric_limits<double>::infinity());
  struct Config {
    int warm, spec_iterations, interm_iterations, fsb_candidates, recompute;
  };
  std::vector<Config> configs;
  for (const int w : warm)
    for (const int it : spec_iterations)
      for (const int ii : interm_iterations)
        for (const int fc : fsb_candidates)
          for (const int rc : recompute) configs.push_back({w, it, ii, fc, rc});
  for (const Config& cfg : configs) {
    verify::BabOptions o;
    o.interm_iterations = cfg.interm_iterations;
    o.fsb_candidates = cfg.fsb_candidates;
    o.recompute_intermediate = cfg.recompute == 1;
    o.threads = threads;
    o.time_limit_s = time_limit;
    o.max_nodes = nodes;
    o.warm_start = cfg.warm == 1;
    o.spec_iterations = cfg.spec_iterations;
    std::vector<std::string> trace;
    Callbacks cb;
    cb.on_progress = [&trace](const ProgressEvent& e) {
      trace.push_back(fmt::format("[{:.0f},{},{:.4g}]", e.elapsed_s, e.nodes, e.bound));
    };
    const double cpu0 = processCpuSeconds();
    const verify::BabResult r = verify::runBab(
        net, root.bounds.input, root.bounds, prop.unsafe_disjuncts, root_upper, o,
        [](const Eigen::VectorXd&) { return false; }, cb);
    double worst = -std::numeric_limits<double>::infinity();
    int closed = 0;
    for (size_t d = 0; d < r.closed.size(); ++d) {
      closed += r.closed[d];
      worst = std::max(worst, r.upper_bound[d]);
    }
    std::string tr = "[";
    for (size_t k = 0; k < trace.size(); ++k) tr += (k ? "," : "") + trace[k];
    std::printf(
        "%s\n",
        fmt::format("{{\"net\":\"mnist-net_{}\",\"prop\":\"{}\",\"threads\":{},"
                    "\"warm\":{},\"spec_iterations\":{},\"interm_iterations\":{},"
                    "\"fsb_candidates\":{},\"recompute\":{},\"outcome\":\"{}\","
                    "\"nodes\":{},\"wall_s\":{:.2f},\"cpu_s\":{:.2f},\"closed\":{},"
                    "\"disjuncts\":{},\"largest_open_bound\":{:.5g},\"closed_leaves\":{},"
                    "\"peak_queue\":{},\"peak_queue_mb\":{:.2f},"
                    "\"spec_s\":{:.2f},\"interm_s\":{:.2f},\"branch_s\":{:.2f},"
                    "\"trace\":{}]}}",
                    net_name, prop_name, threads, o.warm_start, o.spec_iterations,
                    o.interm_iterations, o.fsb_candidates, o.recompute_intermediate,
                    verify::babOutcomeName(r.outcome), r.stats.nodes, r.stats.wall_s,
                    processCpuSeconds() - cpu0, closed, r.closed.size(), worst, r.stats.closed_at,
                    r.stats.peak_queue, static_cast<double>(r.stats.peak_queue_bytes) / 1048576.0,
                    r.stats.spec_s, r.stats.interm_s, r.stats.branch_s, tr)
            .c_str());
    std::fflush(stdout);
  }
  return 0;
}
