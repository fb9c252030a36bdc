// `pruning` (thesis §2.3.1, Figures 2.1-2.3): the Rounder on every network of `nets` at
// eps in {1e-4, 1e-3, 1e-2, 4e-2, 1e-1}: share of weights at zero (per layer and total) and test
// accuracy. One job per network.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "experiments/campaigns.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Rows of the regular grid (no side rows) with their accuracy and zero shares per eps.
struct NetRow {
  std::string name, arch, paper_arch, reg, lambda;
  int depth = 0;
  double acc0 = NAN;
  std::vector<double> acc, zero;  // per kPruneEps
};

std::vector<NetRow> gridRows(const std::vector<json>& rows) {
  std::vector<NetRow> out;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("side").get<bool>()) continue;
    NetRow n;
    n.name = s.at("name");
    n.arch = s.at("arch");
    n.paper_arch = s.at("paper_arch");
    n.reg = s.at("reg");
    n.lambda = s.at("lambda");
    n.depth = s.at("depth");
    n.acc0 = r.at("acc0");
    for (const json& e : r.at("eps")) {
      n.acc.push_back(e.at("accuracy"));
      n.zero.push_back(e.at("zero_fraction"));
    }
    out.push_back(n);
  }
  return out;
}

// Mean over the rows that `keep` selects (and that reach eps index k) of field(row, k); NaN
// when there are none.
template <typename Keep, typename Field>
double meanAt(const std::vector<NetRow>& rows, size_t k, Keep keep, Field field) {
  double sum = 0;
  int n = 0;
  for (const NetRow& r : rows) {
    if (keep(r) && k < r.acc.size()) {
      sum += field(r, k);
      ++n;
    }
  }
  return n ? sum / n : NAN;
}

// meanAt per eps, leaving out the eps that no selected row reaches.
template <typename Keep, typename Field>
PlotSeries meanSeries(const std::string& title, const std::vector<NetRow>& rows, Keep keep,
                      Field field) {
  PlotSeries s;
  s.title = title;
  for (size_t k = 0; k < kPruneEps.size(); ++k) {
    const double mean = meanAt(rows, k, keep, field);
    if (std::isnan(mean)) continue;
    s.x.push_back(kPruneEps[k]);
    s.y.push_back(mean);
  }
  return s;
}

std::string regLabel(const std::string& reg) {
  return reg == "none" ? "none" : reg == "l1" ? "L1" : "L2";
}

class PruningCampaign : public Campaign {
 public:
  std::string name() const override { return "pruning"; }
  std::string title() const override {
    return "pruning: the Rounder on the thesis's networks (thesis §2.3.1, Figures 2.1-2.3)";
  }
  std::vector<std::string> dependencies() const override { return {"nets"}; }
  std::optional<std::set<std::string>> neededJobs(const std::string&, const std::vector<Job>& jobs,
                                                  const CampaignContext& ctx) const override {
    return netsJobsReadBy(jobs, ctx, {"file"});
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    std::vector<Job> out;
    for (const NetSpec& n : thesisNets(ctx.scale)) {
      Job j;
      j.id = "pruning|" + n.name();
      j.spec = {{"name", n.name()}, {"arch", n.arch},     {"paper_arch", n.paper_arch},
                {"reg", n.reg},     {"lambda", n.lambda}, {"lambda_scale", n.lambda_scale},
                {"side", n.side},   {"depth", n.depth()}, {"file", netPath(ctx, n).string()}};
      j.cost_weight = n.parameters() * 1e-6;  // 6 evaluations of the test set
      out.push_back(j);
    }
    return out;
  }

  void prepare(const CampaignContext& ctx) override { test_.load(ctx); }

  json run(const Job& job, const CampaignContext&) override {
    const nn::Network net = nn::readOnnx(job.spec.at("file").get<std::string>());
    json out;
    out["acc0"] = train::evaluateAccuracy(net, test_.get());
    json eps_rows = json::array();
    for (double eps : kPruneEps) {
      nn::Network rounded = net;
      const nn::PruneReport rep = nn::roundWeights(rounded, eps);
      json layers = json::array();
      for (const nn::LayerPruneStats& l : rep.layers) layers.push_back(l.zeroFraction());
      eps_rows.push_back({{"eps", eps},
                          {"accuracy", train::evaluateAccuracy(rounded, test_.get())},
                          {"zero_fraction", rep.zeroFraction()},
                          {"zeroed", rep.zeroed()},
                          {"total", rep.total()},
                          {"layer_zero_fraction", layers}});
    }
    out["eps"] = eps_rows;
    return out;
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override {
    rep.addText(fmt::format(
        "Every network of the `nets` campaign (scale {}) rounded by the thesis's Rounder "
        "(|w| <= eps set to 0, biases kept) at eps in {{1e-4, 1e-3, 1e-2, 4e-2, 1e-1}}; "
        "\"zeroed\" is the share of all weights that are zero after rounding; accuracy on the "
        "10,000 MNIST test images. Figures use the grid networks (`sum` convention); the side "
        "rows are in the table.",
        scaleName(ctx.scale)));
    Table t;
    t.header = {"network", "reg", "lambda", "acc eps=0 %"};
    for (double e : kPruneEps) {
      t.header.push_back(fmt::format("acc {:g} %", e));
      t.header.push_back(fmt::format("zero {:g} %", e));
    }
    t.header.push_back("zero 0.04 per layer %");
    for (const json& r : rows) {
      const json& s = r.at("spec");
      std::vector<std::string> row = {s.at("name"), s.at("reg"), s.at("lambda"),
                                      pct(r.at("acc0"), 2)};
      std::string layers;
      for (const json& e : r.at("eps")) {
        row.push_back(pct(e.at("accuracy"), 2));
        row.push_back(pct(e.at("zero_fraction")));
        if (std::abs(e.at("eps").get<double>() - 4e-2) < 1e-12) {
          for (const json& l : e.at("layer_zero_fraction"))
            layers += (layers.empty() ? "" : " ") + pct(l.get<double>(), 0);
        }
      }
      row.push_back(layers);
      t.add(row);
    }
    rep.addTable("Rounder sweep per network", "pruning", t);

    const std::vector<NetRow> g = gridRows(rows);
    auto all = [](const NetRow&) { return true; };
    auto acc = [](const NetRow& r, size_t k) { return 100.0 * r.acc[k]; };
    auto zero = [](const NetRow& r, size_t k) { return 100.0 * r.zero[k]; };
    auto drop = [](const NetRow& r, size_t k) { return 100.0 * (r.acc0 - r.acc[k]); };

    Plot p1{"fig2_1a_accuracy", "Fig. 2.1a: mean test accuracy of all networks vs eps", "eps",
            "test accuracy (%)", true};
    p1.series.push_back(meanSeries("all grid networks", g, all, acc));
    rep.addPlot(p1,
                "Figure 2.1a: mean accuracy over every grid network against the rounding "
                "radius eps");

    Plot p2{"fig2_1b_zeroed_by_lambda", "Fig. 2.1b: weights rounded by lambda", "eps",
            "weights at zero (%)", true};
    for (const char* l : {"0", "1e-4", "2e-4", "3e-4"}) {
      p2.series.push_back(meanSeries(
          std::string("lambda ") + l, g, [l](const NetRow& r) { return r.lambda == l; }, zero));
    }
    rep.addPlot(p2, "Figure 2.1b: share of weights at zero by lambda (L1 and L2 together)");

    Plot p3{"fig2_2a_zeroed_by_type", "Fig. 2.2a: weights rounded by regularisation", "eps",
            "weights at zero (%)", true};
    for (const char* reg : {"none", "l1", "l2"}) {
      p3.series.push_back(meanSeries(
          regLabel(reg), g, [reg](const NetRow& r) { return r.reg == reg; }, zero));
    }
    rep.addPlot(p3, "Figure 2.2a: share of weights at zero by regularisation type");

    Plot p4{"fig2_2b_zeroed_regularised", "Fig. 2.2b: regularised networks by lambda", "eps",
            "weights at zero (%)", true};
    for (const char* reg : {"l1", "l2"}) {
      for (const char* l : {"1e-4", "2e-4", "3e-4"}) {
        p4.series.push_back(meanSeries(
            regLabel(reg) + " " + l, g,
            [reg, l](const NetRow& r) { return r.reg == reg && r.lambda == l; }, zero));
      }
    }
    rep.addPlot(p4, "Figure 2.2b: regularised networks, share at zero per type and lambda");

    Plot p5{"fig2_3_accuracy_by_arch", "Fig. 2.3: accuracy by architecture and type", "eps",
            "test accuracy (%)", true};
    std::vector<std::string> archs;
    for (const NetRow& r : g)
      if (std::find(archs.begin(), archs.end(), r.arch) == archs.end()) archs.push_back(r.arch);
    for (const std::string& a : archs) {
      for (const char* reg : {"none", "l1", "l2"}) {
        p5.series.push_back(meanSeries(
            a + " " + regLabel(reg), g,
            [a, reg](const NetRow& r) { return r.arch == a && r.reg == reg; }, acc));
      }
    }
    rep.addPlot(p5, "Figure 2.3: accuracy per architecture and regularisation type");

    // Document / ours.
    const size_t k01 = 4, k004 = 3, k001 = 2;
    auto none = [](const NetRow& r) { return r.reg == "none"; };
    auto l1 = [](const NetRow& r) { return r.reg == "l1"; };
    auto l2 = [](const NetRow& r) { return r.reg == "l2"; };
    double max_drop_004 = -INFINITY, max_drop_01_none = -INFINITY;
    for (const NetRow& r : g) {
      for (size_t k = 0; k <= k004 && k < r.acc.size(); ++k)
        max_drop_004 = std::max(max_drop_004, drop(r, k));
      if (r.reg == "none" && r.acc.size() > k01)
        max_drop_01_none = std::max(max_drop_01_none, drop(r, k01));
    }
    std::string by_arch;
    for (const std::string& a : archs) {
      auto reg_a = [a](const NetRow& r) { return r.arch == a && r.reg != "none"; };
      by_arch +=
          fmt::format("{}{} {:.1f}", by_arch.empty() ? "" : ", ", a, meanAt(g, k01, reg_a, drop));
    }
    std::string by_lambda;
    for (const char* l : {"1e-4", "2e-4", "3e-4"}) {
      by_lambda += fmt::format("{}{} {:.1f}%", by_lambda.empty() ? "" : ", ", l,
                               meanAt(
                                   g, k001, [l](const NetRow& r) { return r.lambda == l; }, zero));
    }
    std::vector<Comparison> cmp = {
        {"thesis §2.3.1, Fig. 2.1a/b",
         "eps = 0.1 rounds about 60% of the weights of the unregularised nets, accuracy changes "
         "under 1 point",
         fmt::format("unregularised: {:.1f}% at zero at eps 0.1, mean drop {:.2f} points, largest "
                     "{:.2f}",
                     meanAt(g, k01, none, zero), meanAt(g, k01, none, drop), max_drop_01_none)},
        {"thesis §2.3.1, Fig. 2.1a", "accuracy practically unchanged for eps in [0, 0.04]",
         fmt::format("largest drop over all grid nets for eps <= 0.04: {:.2f} points (mean at "
                     "0.04: {:.2f})",
                     max_drop_004, meanAt(g, k004, all, drop))},
        {"thesis §2.3.1, Fig. 2.2a", "L1 rounds significantly more than L2 at the same eps",
         fmt::format("at eps 1e-2: L1 {:.1f}%, L2 {:.1f}%, none {:.1f}%; at 0.04: L1 {:.1f}%, L2 "
                     "{:.1f}%",
                     meanAt(g, k001, l1, zero), meanAt(g, k001, l2, zero),
                     meanAt(g, k001, none, zero), meanAt(g, k004, l1, zero),
                     meanAt(g, k004, l2, zero))},
        {"thesis §2.3.1, Fig. 2.2b", "more regularisation rounds more weights at the same eps",
         "at eps 1e-2, by lambda: " + by_lambda},
        {"thesis §2.3.1, Fig. 2.3",
         "deeper regularised nets lose accuracy faster; L2 nets faster than L1",
         fmt::format("drop at eps 0.1 (points), regularised, by arch: {}; L1 {:.1f} vs L2 {:.1f}",
                     by_arch, meanAt(g, k01, l1, drop), meanAt(g, k01, l2, drop))},
    };
    rep.addComparisons("Document / ours (the thesis's four statements)", cmp);
  }

 private:
  MnistTestSet test_;
};

}  // namespace

std::unique_ptr<Campaign> makePruningCampaign() { return std::make_unique<PruningCampaign>(); }

}  // namespace nnmip::experiments
