// `bounds` (thesis §2.3.2-2.3.4, Figures 2.4-2.15): per network of `nets` and rounding radius
// eps, the bound tiers over the thesis's input space [0,1]^784 (symbolic, alpha, lp, milp; lp and
// milp on the thesis's pure chain from interval bounds), the relative gap
// |B_lp - B_milp| / (|B_milp| + 1e-10) per layer and side (bounds::compareBounds), wall and CPU
// time per tier and layer, and how many neurons the milp tier tightened beyond the lp value.
// Plus the time-limit study (§2.3.4): the 200x5 L1/L2 2e-4 nets at eps 0.04 under total limits
// 20..90 (minutes; small: seconds on the 8x5 stand-in).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bounds/bounder.hpp"
#include "bounds/layer_bounds.hpp"
#include "core/json_number.hpp"
#include "core/timer.hpp"
#include "experiments/campaigns.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"

namespace nnmip::experiments {
namespace {

using nlohmann::json;

struct Tier {
  const char* name;
  bounds::Method method;
};
const Tier kTiers[] = {{"symbolic", bounds::Method::kSymbolic},
                       {"alpha", bounds::Method::kAlpha},
                       {"lp", bounds::Method::kLp},
                       {"milp", bounds::Method::kMilp}};

std::vector<double> sweepEps(Scale s) {
  return s == Scale::kSmall ? std::vector<double>{0.0, 4e-2, 1e-1}
                            : std::vector<double>{0.0, 1e-4, 1e-3, 1e-2, 4e-2, 1e-1};
}
// Total limit of one sweep job's milp tier (seconds).
double sweepLimit(Scale s) { return s == Scale::kSmall ? 10.0 : 3600.0; }
std::vector<double> studyLimits(Scale s) {
  std::vector<double> v;
  for (int m = 20; m <= 90; m += 10) v.push_back(s == Scale::kSmall ? m : 60.0 * m);
  return v;
}

json layerBoundsJson(const bounds::NetworkBounds& b) {
  json out = json::array();
  for (const auto& l : b.layers) {
    out.push_back({{"lo", jsonVector(l.lo)}, {"hi", jsonVector(l.hi)}});
  }
  return out;
}

bounds::NetworkBounds boundsFromJson(const json& layers) {
  bounds::NetworkBounds b;
  for (const json& l : layers) {
    const auto lo = l.at("lo").get<std::vector<double>>();
    const auto hi = l.at("hi").get<std::vector<double>>();
    bounds::LayerBounds lb;
    lb.lo = Eigen::Map<const Eigen::VectorXd>(lo.data(), static_cast<long>(lo.size()));
    lb.hi = Eigen::Map<const Eigen::VectorXd>(hi.data(), static_cast<long>(hi.size()));
    b.layers.push_back(lb);
  }
  return b;
}

json gapJson(const std::vector<bounds::LayerGap>& gaps) {
  json out = json::array();
  for (const auto& g : gaps) {
    out.push_back({{"layer", g.layer + 1},
                   {"mean_lo", g.mean_lo},
                   {"max_lo", g.max_lo},
                   {"mean_hi", g.mean_hi},
                   {"max_hi", g.max_hi}});
  }
  return out;
}

double meanOver(const json& gaps, const char* field) {
  double s = 0;
  int n = 0;
  for (const json& g : gaps) {
    s += g.at(field).get<double>();
    ++n;
  }
  return n ? s / n : NAN;
}

class BoundsCampaign : public Campaign {
 public:
  std::string name() const override { return "bounds"; }
  std::string title() const override {
    return "bounds: LP against MILP activation bounds (thesis §2.3.2-2.3.4, Figures 2.4-2.15)";
  }
  std::vector<std::string> dependencies() const override { return {"nets"}; }
  std::optional<std::set<std::string>> neededJobs(const std::string&, const std::vector<Job>& jobs,
                                                  const CampaignContext& ctx) const override {
    return netsJobsReadBy(jobs, ctx, {"file"});
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    std::vector<Job> out;
    const bool small = ctx.scale == Scale::kSmall;
    for (const NetSpec& n : thesisNets(ctx.scale)) {
      if (n.side) continue;
      // small: the unregularised and the 2e-4 nets of each architecture; paper: the whole grid.
      if (small && n.reg != "none" && n.lambda != "2e-4") continue;
      for (double eps : sweepEps(ctx.scale)) {
        Job j;
        j.id = fmt::format("bounds|sweep|{}|eps{:g}|T{:g}", n.name(), eps, sweepLimit(ctx.scale));
        j.spec = {{"study", "sweep"},
                  {"name", n.name()},
                  {"arch", n.arch},
                  {"paper_arch", n.paper_arch},
                  {"reg", n.reg},
                  {"lambda", n.lambda},
                  {"depth", n.depth()},
                  {"eps", eps},
                  {"time_limit_s", sweepLimit(ctx.scale)},
                  {"file", netPath(ctx, n).string()}};
        j.cost_weight = sweepLimit(ctx.scale);
        out.push_back(j);
      }
    }
    for (const NetSpec& n : thesisNets(ctx.scale)) {
      if (n.side || n.paper_arch != "200x5" || n.reg == "none" || n.lambda != "2e-4") continue;
      for (double t : studyLimits(ctx.scale)) {
        Job j;
        j.id = fmt::format("bounds|time|{}|eps0.04|T{:g}", n.name(), t);
        j.spec = {{"study", "time"},    {"name", n.name()},
                  {"arch", n.arch},     {"paper_arch", n.paper_arch},
                  {"reg", n.reg},       {"lambda", n.lambda},
                  {"depth", n.depth()}, {"eps", 0.04},
                  {"time_limit_s", t},  {"file", netPath(ctx, n).string()}};
        j.cost_weight = t;
        out.push_back(j);
      }
    }
    return out;
  }

  json run(const Job& job, const CampaignContext&) override {
    const json& s = job.spec;
    nn::Network net = nn::readOnnx(s.at("file").get<std::string>());
    const double eps = s.at("eps");
    const nn::PruneReport pr = nn::roundWeights(net, eps);
    const bounds::Box box = bounds::Box::uniform(net.inputSize(), 0.0, 1.0);
    json out;
    out["zero_fraction"] = pr.zeroFraction();
    std::map<std::string, bounds::BoundsResult> results;
    json tiers;
    for (const Tier& t : kTiers) {
      if (s.at("study") == "time" &&
          (t.method == bounds::Method::kSymbolic || t.method == bounds::Method::kAlpha))
        continue;
      bounds::BoundsOptions o;
      o.method = t.method;
      o.symbolic_seed = false;  // the thesis's chain: interval, then LP / MILP layer by layer
      o.solver.threads = 1;
      if (t.method == bounds::Method::kMilp || s.at("study") == "time") {
        o.solver.time_limit_s = s.at("time_limit_s").get<double>();
      }
      Timer wall;
      const double cpu0 = processCpuSeconds();
      bounds::BoundsResult r = bounds::computeBounds(net, box, o);
      json layers = json::array();
      for (const bounds::LayerStats& st : r.stats) {
        layers.push_back({{"layer", st.layer + 1},
                          {"time_s", st.time_s},
                          {"lps", st.lps},
                          {"milps", st.milps},
                          {"failed", st.failed},
                          {"unstable", st.unstable},
                          {"mean_width", st.mean_width}});
      }
      tiers[t.name] = {{"wall_s", wall.seconds()},
                       {"cpu_s", processCpuSeconds() - cpu0},
                       {"layers", layers},
                       {"bounds", layerBoundsJson(r.bounds)}};
      results[t.name] = std::move(r);
    }
    const bounds::NetworkBounds& milp = results.at("milp").bounds;
    json gaps;
    for (const auto& [name, r] : results) {
      if (name != "milp") gaps[name + "_vs_milp"] = gapJson(bounds::compareBounds(r.bounds, milp));
    }
    // Neurons (both sides) the milp tier left at the lp value against those it tightened.
    json tightened = json::array();
    const bounds::NetworkBounds& lp = results.at("lp").bounds;
    for (int l = 0; l < milp.numLayers(); ++l) {
      const auto& a = lp.layers[static_cast<size_t>(l)];
      const auto& b = milp.layers[static_cast<size_t>(l)];
      int tighter = 0, same = 0;
      for (int k = 0; k < a.size(); ++k) {
        for (const bool lo_side : {true, false}) {
          const double x = lo_side ? a.lo[k] : a.hi[k];
          const double y = lo_side ? b.lo[k] : b.hi[k];
          (std::abs(x - y) <= 1e-7 * (1.0 + std::abs(x)) ? same : tighter) += 1;
        }
      }
      tightened.push_back({{"layer", l + 1}, {"milp_tighter", tighter}, {"at_lp_value", same}});
    }
    out["tiers"] = tiers;
    out["gaps"] = gaps;
    out["milp_vs_lp"] = tightened;
    return out;
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override;
};

// Per-neuron best of a set of bound files (max of lows, min of highs).
bounds::NetworkBounds bestOf(const std::vector<bounds::NetworkBounds>& all) {
  bounds::NetworkBounds best = all.front();
  for (const auto& b : all) {
    for (size_t l = 0; l < best.layers.size(); ++l) {
      best.layers[l].lo = best.layers[l].lo.cwiseMax(b.layers[l].lo);
      best.layers[l].hi = best.layers[l].hi.cwiseMin(b.layers[l].hi);
    }
  }
  return best;
}

double meanGap(const bounds::NetworkBounds& a, const bounds::NetworkBounds& b, bool lo_side) {
  const auto gaps = bounds::compareBounds(a, b);
  double s = 0;
  for (const auto& g : gaps) s += lo_side ? g.mean_lo : g.mean_hi;
  return gaps.empty() ? NAN : s / static_cast<double>(gaps.size());
}

void BoundsCampaign::report(const CampaignContext& ctx, const std::vector<json>& rows,
                            Report& rep) const {
  rep.addText(fmt::format(
      "Input space [0,1]^784; each network rounded at eps, then the tiers symbolic, alpha, lp and "
      "milp (lp and milp from interval bounds, layer by layer, one thread; milp under a total "
      "limit of {} s per job split over layers by depth_growth 2). Gap: "
      "|B_tier - B_milp| / (|B_milp| + 1e-10), mean over the neurons of a layer, then over "
      "layers (`bounds::compareBounds`); layer 1 is exact for lp and milp (an affine map of the "
      "box), the last layer is the logits. Scale {}: {}.",
      sweepLimit(ctx.scale), scaleName(ctx.scale),
      ctx.scale == Scale::kSmall
          ? "32x1, 16x2, 8x5, 8x10 nets (none, L1 2e-4, L2 2e-4), eps 0, 0.04, 0.1; time study on "
            "the 8x5 L1/L2 2e-4 nets, 20..90 s"
          : "the 28 grid networks, eps 0, 1e-4, 1e-3, 1e-2, 0.04, 0.1; time study on the 200x5 "
            "L1/L2 2e-4 nets, 20..90 min"));
  std::vector<json> sweep, study;
  for (const json& r : rows) (r.at("spec").at("study") == "sweep" ? sweep : study).push_back(r);

  Table t;
  t.header = {"network",         "eps",          "zero %", "lp gap lo", "lp gap hi",
              "symbolic gap lo", "alpha gap lo", "lp s",   "milp s",    "milp tighter / at lp"};
  for (const json& r : sweep) {
    const json& s = r.at("spec");
    const json& g = r.at("gaps");
    int tighter = 0, same = 0;
    for (const json& m : r.at("milp_vs_lp")) {
      tighter += m.at("milp_tighter").get<int>();
      same += m.at("at_lp_value").get<int>();
    }
    t.add({s.at("name"), num(s.at("eps")), pct(r.at("zero_fraction")),
           num(meanOver(g.at("lp_vs_milp"), "mean_lo"), 3),
           num(meanOver(g.at("lp_vs_milp"), "mean_hi"), 3),
           num(meanOver(g.at("symbolic_vs_milp"), "mean_lo"), 3),
           num(meanOver(g.at("alpha_vs_milp"), "mean_lo"), 3),
           num(r.at("tiers").at("lp").at("wall_s"), 3),
           num(r.at("tiers").at("milp").at("wall_s"), 3), fmt::format("{} / {}", tighter, same)});
  }
  rep.addTable("Sweep: gap and time per network and eps", "bounds_sweep", t);

  // Gap per layer (lower bound, lp vs milp), mean over the nets of an architecture (Fig. 2.7).
  std::map<std::string, std::map<int, std::pair<double, int>>> by_arch_layer;
  std::map<std::string, std::map<int, std::pair<double, int>>> by_arch_layer_hi;
  const std::vector<std::string> archs = specValuesInOrder(sweep, "arch");
  for (const json& r : sweep) {
    const std::string a = r.at("spec").at("arch");
    for (const json& g : r.at("gaps").at("lp_vs_milp")) {
      auto& e = by_arch_layer[a][g.at("layer").get<int>()];
      e.first += g.at("mean_lo").get<double>();
      ++e.second;
      auto& h = by_arch_layer_hi[a][g.at("layer").get<int>()];
      h.first += g.at("mean_hi").get<double>();
      ++h.second;
    }
  }
  Table tl;
  tl.header = {"architecture", "layer", "mean lower-bound gap", "mean upper-bound gap", "jobs"};
  Plot p7{"fig2_7_gap_by_layer", "Fig. 2.7: lower-bound gap (lp vs milp) by layer", "layer",
          "mean relative gap of the lower bound"};
  for (const std::string& a : archs) {
    PlotSeries ser;
    ser.title = a;
    for (const auto& [layer, e] : by_arch_layer[a]) {
      const auto& h = by_arch_layer_hi[a][layer];
      tl.add({a, std::to_string(layer), num(e.first / e.second, 3), num(h.first / h.second, 3),
              std::to_string(e.second)});
      ser.x.push_back(layer);
      ser.y.push_back(e.first / e.second);
    }
    p7.series.push_back(ser);
  }
  rep.addTable("Gap per layer (lp vs milp, mean over the nets and eps of an architecture)",
               "bounds_gap_by_layer", tl);
  rep.addPlot(p7,
              "Figure 2.7: mean lower-bound gap of the LP against the MILP per layer (the "
              "last layer is the logits)");

  // Per eps, the mean of value(row) over the sweep rows whose spec `keep` selects.
  auto meanByEps = [&](const std::string& title, auto keep, auto value) {
    PlotSeries ser;
    ser.title = title;
    std::map<double, std::pair<double, int>> acc;
    for (const json& r : sweep) {
      if (!keep(r.at("spec"))) continue;
      auto& e = acc[r.at("spec").at("eps").get<double>()];
      e.first += value(r);
      ++e.second;
    }
    for (const auto& [eps, e] : acc) {
      ser.x.push_back(eps);
      ser.y.push_back(e.first / e.second);
    }
    return ser;
  };
  // Gap vs eps by regularisation (2.4) and by architecture (2.5) / regularised by arch (2.6).
  auto gapSeries = [&](const std::string& title, auto keep, const char* side) {
    return meanByEps(title, keep, [side](const json& r) {
      return meanOver(r.at("gaps").at("lp_vs_milp"), side);
    });
  };
  for (const char* side : {"mean_lo", "mean_hi"}) {
    const std::string sn = std::string(side) == "mean_lo" ? "lower" : "upper";
    Plot p4{"fig2_4_gap_by_reg_" + sn, "Fig. 2.4: LP gap (" + sn + " bounds) by regularisation",
            "eps", "mean relative gap"};
    for (const char* reg : {"none", "l1", "l2"}) {
      p4.series.push_back(gapSeries(
          reg, [reg](const json& s) { return s.at("reg") == reg; }, side));
    }
    rep.addPlot(p4, "Figure 2.4 (" + sn + " bounds): mean LP gap against eps per regularisation");
  }
  Plot p5{"fig2_5_gap_by_arch", "Fig. 2.5: LP gap (lower) by architecture, unregularised", "eps",
          "mean relative gap"};
  Plot p6{"fig2_6_gap_by_arch_reg", "Fig. 2.6: LP gap (lower) by architecture, regularised", "eps",
          "mean relative gap"};
  for (const std::string& a : archs) {
    p5.series.push_back(gapSeries(
        a, [a](const json& s) { return s.at("arch") == a && s.at("reg") == "none"; }, "mean_lo"));
    for (const char* reg : {"l1", "l2"}) {
      p6.series.push_back(gapSeries(
          a + " " + reg,
          [a, reg](const json& s) { return s.at("arch") == a && s.at("reg") == reg; }, "mean_lo"));
    }
  }
  rep.addPlot(p5, "Figure 2.5: LP gap by architecture (no regularisation)");
  rep.addPlot(p6, "Figure 2.6: LP gap by architecture, L1 and L2 networks");

  // Times (2.8-2.12): wall time of lp and milp against eps, by reg and by arch.
  auto timeSeries = [&](const std::string& title, auto keep, const char* tier) {
    return meanByEps(title, keep, [tier](const json& r) {
      return r.at("tiers").at(tier).at("wall_s").get<double>();
    });
  };
  Plot p8{"fig2_8_times", "Fig. 2.8: LP and MILP wall time by regularisation", "eps",
          "wall seconds (mean per network)"};
  p8.logy = true;
  for (const char* tier : {"lp", "milp"}) {
    for (const char* reg : {"none", "l1", "l2"}) {
      p8.series.push_back(timeSeries(
          std::string(tier) + " " + reg, [reg](const json& s) { return s.at("reg") == reg; },
          tier));
    }
  }
  rep.addPlot(p8, "Figure 2.8: LP and MILP wall time per network against eps");
  for (const char* reg : {"l1", "l2"}) {
    Plot p{std::string("fig2_") + (std::string(reg) == "l1" ? "9" : "10") + "_times_" + reg,
           std::string("Figs. 2.9/2.10: LP and MILP time by architecture, ") + reg, "eps",
           "wall seconds"};
    p.logy = true;
    for (const std::string& a : archs) {
      for (const char* tier : {"lp", "milp"}) {
        p.series.push_back(timeSeries(
            a + " " + tier,
            [a, reg](const json& s) { return s.at("arch") == a && s.at("reg") == reg; }, tier));
      }
    }
    rep.addPlot(p, std::string("Figure 2.") + (std::string(reg) == "l1" ? "9" : "10") +
                       ": LP and MILP time per architecture, " + reg + " networks");
  }
  for (const char* tier : {"lp", "milp"}) {
    Plot p{
        std::string("fig2_") + (std::string(tier) == "lp" ? "11" : "12") + "_" + tier + "_l1_vs_l2",
        std::string("Figs. 2.11/2.12: ") + tier + " time, L1 against L2", "eps", "wall seconds"};
    p.logy = true;
    for (const std::string& a : archs) {
      for (const char* reg : {"l1", "l2"}) {
        p.series.push_back(timeSeries(
            a + " " + reg,
            [a, reg](const json& s) { return s.at("arch") == a && s.at("reg") == reg; }, tier));
      }
    }
    rep.addPlot(p, std::string("Figure 2.") + (std::string(tier) == "lp" ? "11" : "12") + ": " +
                       tier + " time per architecture, L1 against L2");
  }

  // The time-limit study (2.13-2.15).
  std::vector<Comparison> cmp;
  std::map<std::string, std::vector<const json*>> by_net;
  for (const json& r : study) by_net[r.at("spec").at("name")].push_back(&r);
  Plot p13{"fig2_13_lp_vs_best_milp", "Fig. 2.13: LP bound against the best MILP bound",
           "total time limit (s)", "mean relative gap"};
  Plot p14{"fig2_14_lp_vs_best_lp", "Fig. 2.14: LP bound against the best LP bound",
           "total time limit (s)", "mean relative gap"};
  Plot p15{"fig2_15_milp_vs_best_milp", "Fig. 2.15: MILP bound against the best MILP bound",
           "total time limit (s)", "mean relative gap"};
  Table ts;
  ts.header = {"network",
               "limit s",
               "lp vs best milp (lo/hi)",
               "lp vs best lp (lo/hi)",
               "milp vs best milp (lo/hi)",
               "milp wall s"};
  double worst_ratio = 0.0;
  for (const auto& [name, list] : by_net) {
    std::vector<bounds::NetworkBounds> lps, milps;
    for (const json* r : list) {
      lps.push_back(boundsFromJson(r->at("tiers").at("lp").at("bounds")));
      milps.push_back(boundsFromJson(r->at("tiers").at("milp").at("bounds")));
    }
    const auto best_lp = bestOf(lps), best_milp = bestOf(milps);
    const std::string reg = list.front()->at("spec").at("reg");
    for (const bool lo : {true, false}) {
      PlotSeries a, b, c;
      a.title = b.title = c.title = reg + (lo ? " lower" : " upper");
      for (size_t i = 0; i < list.size(); ++i) {
        const double T = list[i]->at("spec").at("time_limit_s");
        a.x.push_back(T);
        a.y.push_back(meanGap(lps[i], best_milp, lo));
        b.x.push_back(T);
        b.y.push_back(meanGap(lps[i], best_lp, lo));
        c.x.push_back(T);
        c.y.push_back(meanGap(milps[i], best_milp, lo));
      }
      p13.series.push_back(a);
      p14.series.push_back(b);
      p15.series.push_back(c);
    }
    for (size_t i = 0; i < list.size(); ++i) {
      ts.add(
          {name, num(list[i]->at("spec").at("time_limit_s")),
           num(meanGap(lps[i], best_milp, true), 3) + " / " +
               num(meanGap(lps[i], best_milp, false), 3),
           num(meanGap(lps[i], best_lp, true), 3) + " / " + num(meanGap(lps[i], best_lp, false), 3),
           num(meanGap(milps[i], best_milp, true), 3) + " / " +
               num(meanGap(milps[i], best_milp, false), 3),
           num(list[i]->at("tiers").at("milp").at("wall_s"), 3)});
      // Bound magnitude ratio |B_lp| / |B_best_milp| over the hidden and output neurons.
      for (size_t l = 1; l < lps[i].layers.size(); ++l) {
        const auto& x = lps[i].layers[l];
        const auto& y = best_milp.layers[l];
        for (int k = 0; k < x.size(); ++k) {
          if (std::abs(y.hi[k]) > 1e-6)
            worst_ratio = std::max(worst_ratio, std::abs(x.hi[k] / y.hi[k]));
        }
      }
    }
  }
  if (!study.empty()) {
    rep.addTable("Time-limit study (eps 0.04)", "bounds_time_study", ts);
    rep.addPlot(p13, "Figure 2.13: LP bounds against the best MILP bound found, by time limit");
    rep.addPlot(p14, "Figure 2.14: LP bounds against the best LP bound found, by time limit");
    rep.addPlot(p15, "Figure 2.15: MILP bounds against the best MILP bound found, by time limit");
  }
  // Growth with depth: the deepest hidden layer's gap against the second layer's, per arch.
  std::string growth;
  for (const std::string& a : archs) {
    const auto& m = by_arch_layer[a];
    if (m.size() < 3) continue;
    const auto first = m.find(2), last = std::prev(std::prev(m.end()));
    if (first == m.end()) continue;
    growth += fmt::format("{}{}: layer 2 {} -> layer {} {}", growth.empty() ? "" : "; ", a,
                          num(first->second.first / first->second.second, 3), last->first,
                          num(last->second.first / last->second.second, 3));
  }
  cmp.push_back(
      {"thesis §2.3.2, Fig. 2.7",
       "the LP bound's quality deteriorates exponentially with the layer's depth",
       growth.empty() ? "no net with 2+ hidden layers" : "mean lower-bound gap " + growth});
  cmp.push_back({"thesis §2.3.2, Fig. 2.4",
                 "LP bounds get better with larger eps and more regularisation; unregularised nets "
                 "vary most",
                 [&] {
                   // Mean lower-bound gap per regularisation at the smallest and largest eps.
                   const std::vector<double> e = sweepEps(ctx.scale);
                   std::string text;
                   for (const char* reg : {"none", "l1", "l2"}) {
                     double a = 0, b = 0;
                     int na = 0, nb = 0;
                     for (const json& r : sweep) {
                       const json& sp = r.at("spec");
                       if (sp.at("reg") != reg) continue;
                       const double g = meanOver(r.at("gaps").at("lp_vs_milp"), "mean_lo");
                       if (sp.at("eps").get<double>() == e.front()) {
                         a += g;
                         ++na;
                       } else if (sp.at("eps").get<double>() == e.back()) {
                         b += g;
                         ++nb;
                       }
                     }
                     text += fmt::format("{}{}: {} at eps {:g} -> {} at eps {:g}",
                                         text.empty() ? "mean lower-bound gap, " : "; ", reg,
                                         num(na ? a / na : NAN, 3), e.front(),
                                         num(nb ? b / nb : NAN, 3), e.back());
                   }
                   return text;
                 }()});
  cmp.push_back(
      {"thesis §2.3.3, Fig. 2.8", "the MILP takes orders of magnitude longer than the LP", [&] {
         double lp = 0, milp = 0;
         for (const json& r : sweep) {
           lp += r.at("tiers").at("lp").at("wall_s").get<double>();
           milp += r.at("tiers").at("milp").at("wall_s").get<double>();
         }
         return fmt::format(
             "sweep totals: lp {:.1f} s, milp {:.1f} s (x{:.1f}; milp "
             "capped at {} s per job)",
             lp, milp, lp > 0 ? milp / lp : NAN, sweepLimit(ctx.scale));
       }()});
  cmp.push_back({"thesis §2.3.4, Figs. 2.14-2.15", "LP bounds are at most 2.4x the MILP's",
                 study.empty()
                     ? "time study not run"
                     : fmt::format("largest abs(upper LP bound) / abs(best upper MILP bound) "
                                   "over layers 2.. of the study: {:.2f}",
                                   worst_ratio)});
  rep.addComparisons("Document / ours", cmp);
}

}  // namespace

std::unique_ptr<Campaign> makeBoundsCampaign() { return std::make_unique<BoundsCampaign>(); }

}  // namespace nnmip::experiments
