// `verify`: the VNN-COMP mnist_fc benchmark (instances.csv: 256x2, 256x4, 256x6; 90 instances)
// as one job per instance, one binary, answers checked against the published expected.csv
// where it has the instance.
#include <fmt/format.h>

#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "data/vnnlib.hpp"
#include "experiments/campaigns.hpp"
#include "nn/onnx_io.hpp"
#include "verify/engine.hpp"
#include "verify/result.hpp"
#include "verify/vnncomp.hpp"

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Small: the first 5 properties of 256x2 at both radii, 15 s each.
constexpr double kSmallLimit = 15.0;

fs::path benchDir(const CampaignContext& ctx) { return ctx.dataDir() / "vnncomp" / "mnist_fc"; }

// expected.csv of the VNN-COMP 2022 results (256x2 only): "onnx\nvnnlib" -> sat/unsat.
std::map<std::string, std::string> expectedAnswers(const CampaignContext& ctx) {
  std::map<std::string, std::string> out;
  std::ifstream in(ctx.dataDir() / "mnist_fc_vnncomp2022_results_256x2" / "expected.csv");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string onnx, vnnlib, timeout, expected;
    std::getline(ss, onnx, ',');
    std::getline(ss, vnnlib, ',');
    std::getline(ss, timeout, ',');
    std::getline(ss, expected, ',');
    if (onnx != "onnx") out[onnx + "\n" + vnnlib] = expected;
  }
  return out;
}

class VerifyCampaign : public Campaign {
 public:
  std::string name() const override { return "verify"; }
  std::string title() const override {
    return "verify: VNN-COMP mnist_fc, one job per instance, one binary";
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    std::vector<Job> out;
    if (!ctx.data_dir) return out;
    const auto instances = verify::readInstances(benchDir(ctx) / "instances.csv");
    const bool small = ctx.scale == Scale::kSmall;
    for (const verify::Instance& inst : instances) {
      if (small) {
        const std::string v = fs::path(inst.vnnlib).stem().string();  // prop_K_EPS
        const int k = std::stoi(v.substr(5, v.find('_', 5) - 5));
        if (inst.onnx.find("256x2") == std::string::npos || k >= 5) continue;
      }
      Job j;
      const double limit = small ? std::min(kSmallLimit, inst.timeout_s) : inst.timeout_s;
      j.id = fmt::format("verify|{}|{}|T{:g}", inst.onnx, inst.vnnlib, limit);
      j.spec = {{"onnx", inst.onnx},
                {"vnnlib", inst.vnnlib},
                {"network", fs::path(inst.onnx).stem().string()},
                {"time_limit_s", limit},
                {"onnx_path", inst.onnx_path.string()},
                {"vnnlib_path", inst.vnnlib_path.string()}};
      j.cost_weight = limit;
      out.push_back(j);
    }
    return out;
  }

  json run(const Job& job, const CampaignContext&) override {
    const json& s = job.spec;
    const nn::Network net = nn::readOnnx(s.at("onnx_path").get<std::string>());
    const data::VnnlibProperty prop = data::readVnnlib(s.at("vnnlib_path").get<std::string>());
    verify::VerifyOptions vo;
    vo.time_limit_s = s.at("time_limit_s").get<double>();
    vo.threads = 1;  // jobs run side by side instead
    const verify::Result r = verify::verifyWithEngine(verify::EngineChoice{}, net, prop, vo);
    return {{"result", verify::statusName(r.status)}, {"reason", r.reason}};
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override {
    const auto expected =
        ctx.data_dir ? expectedAnswers(ctx) : std::map<std::string, std::string>{};
    rep.addText(fmt::format(
        "The relu engine (default options, 1 thread) on every instance of "
        "`vnncomp/mnist_fc/instances.csv`{}; the answer is checked against "
        "`mnist_fc_vnncomp2022_results_256x2/expected.csv` where it lists the instance (256x2 "
        "only).",
        ctx.scale == Scale::kSmall ? " (small: prop_0..4 of 256x2 at both radii, 15 s each)"
                                   : " under its own timeout"));
    Table t;
    t.header = {"network", "property", "result", "expected", "agrees", "wall s", "reason"};
    std::map<std::string, std::array<int, 4>> per_net;  // solved, total, checked, wrong
    for (const json& r : rows) {
      const json& s = r.at("spec");
      const std::string res = r.at("result");
      const auto it =
          expected.find(s.at("onnx").get<std::string>() + "\n" + s.at("vnnlib").get<std::string>());
      const std::string exp = it == expected.end() ? "" : it->second;
      const bool solved = res == "sat" || res == "unsat";
      std::string agrees = "-";
      auto& c = per_net[s.at("network")];
      ++c[1];
      c[0] += solved;
      if (!exp.empty() && solved) {
        agrees = res == exp ? "yes" : "NO";
        ++c[2];
        c[3] += res != exp;
      }
      std::string reason = r.value("reason", "");
      if (reason.size() > 80) reason = reason.substr(0, 77) + "...";
      t.add({s.at("network"), fs::path(s.at("vnnlib").get<std::string>()).stem().string(), res,
             exp.empty() ? "-" : exp, agrees, num(r.at("wall_s"), 3), reason});
    }
    rep.addTable("Instances", "verify_instances", t);
    Table ts;
    ts.header = {"network", "solved", "instances", "checked against expected", "wrong"};
    int solved = 0, total = 0;
    for (const auto& [net, c] : per_net) {
      ts.add({net, std::to_string(c[0]), std::to_string(c[1]), std::to_string(c[2]),
              std::to_string(c[3])});
      solved += c[0];
      total += c[1];
    }
    rep.addTable("Solved per network (this run, one binary)", "verify_solved", ts);
    Plot p{"verify_times", "mnist_fc: wall time per instance", "instance (job order)",
           "wall seconds"};
    p.style = PlotStyle::kPoints;
    p.logy = true;
    std::map<std::string, PlotSeries> by;
    int k = 0;
    for (const json& r : rows) {
      PlotSeries& ser = by[r.at("result").get<std::string>()];
      ser.title = r.at("result");
      ser.x.push_back(k++);
      ser.y.push_back(std::max(1e-3, r.at("wall_s").get<double>()));
    }
    for (auto& [res, ser] : by) p.series.push_back(ser);
    rep.addPlot(p, "Wall time of each instance, coloured by the answer");
    rep.addComparisons("Document / ours",
                       {{"docs/results_verify.md (one run of da082bc, 2 threads per instance)",
                         "70 of 90 mnist_fc instances solved",
                         fmt::format("{} of {} solved in this run ({} scale)", solved, total,
                                     scaleName(ctx.scale))}});
  }
};

}  // namespace

std::unique_ptr<Campaign> makeVerifyCampaign() { return std::make_unique<VerifyCampaign>(); }

}  // namespace nnmip::experiments
