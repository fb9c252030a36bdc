// `pv` (thesis chapter 3, Figures 3.3-3.5): the largest output change (PV) around reference
// images, per bound tier: the L1 2e-4 networks of `nets` rounded at eps 0.04, ten references
// (the first MNIST test image of each class), the neighbours domain (eps 0.18), tiers naive, lp,
// milp over [0,1]^784, milp-img (milp over the reference domain), symbolic and alpha (over the
// reference domain), with and without the attack; objective softmax-l1 (margin as a second
// objective at paper scale). What `scripts/pv_study.sh thesis` does, as jobs; its result files
// under results/pv/ import as finished jobs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "bounds/box.hpp"
#include "encode/domain.hpp"
#include "experiments/campaigns.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "verify/pv.hpp"

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kTiers = {"naive", "lp", "milp", "milp-img", "symbolic", "alpha"};

struct PvLimits {
  double bounds_s, milp_s;
};
PvLimits limitsFor(Scale s) { return s == Scale::kSmall ? PvLimits{5, 5} : PvLimits{120, 120}; }

// Where scripts/pv_study.sh wrote its runs: beside the campaign root (results/experiments ->
// results/pv).
fs::path pvStudyDir(const CampaignContext& ctx) {
  fs::path root = ctx.root;
  if (!root.has_filename()) root = root.parent_path();  // "results/experiments/"
  return root.parent_path() / "pv";
}

// The name pv_study.sh gave the rounded network: mnist_200x5_l1_2e-4_sum_s1_eps0.04.
std::string studyNetName(const NetSpec& n) {
  return fmt::format("mnist_{}_{}_{}_{}_s{}_eps0.04", n.arch, n.reg, n.lambda, n.lambda_scale,
                     n.seed);
}

class PvCampaign : public Campaign {
 public:
  std::string name() const override { return "pv"; }
  std::string title() const override {
    return "pv: largest output change per bound tier (thesis chapter 3, Figures 3.3-3.5)";
  }
  std::vector<std::string> dependencies() const override { return {"nets"}; }
  std::optional<std::set<std::string>> neededJobs(const std::string&, const std::vector<Job>& jobs,
                                                  const CampaignContext& ctx) const override {
    return netsJobsReadBy(jobs, ctx, {"file"});
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    const bool small = ctx.scale == Scale::kSmall;
    const PvLimits lim = limitsFor(ctx.scale);
    std::vector<Job> out;
    std::vector<std::string> objectives = {"softmax-l1"};
    if (!small) objectives.push_back("margin");
    for (const NetSpec& n : thesisNets(ctx.scale)) {
      if (n.side || n.reg != "l1" || n.lambda != "2e-4") continue;
      if (small && n.paper_arch != "200x5" && n.paper_arch != "800x2") continue;
      const std::vector<int> refs =
          small ? std::vector<int>{3, 2} : kFirstOfClassRefs;  // small: classes 0 and 1
      for (const std::string& objective : objectives) {
        for (const bool attack : {false, true}) {
          // margin runs: with the attack only (the study's 50 margin runs).
          if (objective == "margin" && !attack) continue;
          for (int ref : refs) {
            for (const std::string& tier : kTiers) {
              Job j;
              j.id = fmt::format("pv|{}|{}|{}|ref{}|{}", studyNetName(n), objective,
                                 attack ? "attack" : "no-attack", ref, tier);
              j.spec = {{"name", n.name()},
                        {"study_name", studyNetName(n)},
                        {"arch", n.arch},
                        {"paper_arch", n.paper_arch},
                        {"objective", objective},
                        {"attack", attack},
                        {"ref", ref},
                        {"tier", tier},
                        {"bounds_limit_s", lim.bounds_s},
                        {"time_limit_s", lim.milp_s},
                        {"file", netPath(ctx, n).string()}};
              j.cost_weight = lim.bounds_s + lim.milp_s;
              out.push_back(j);
            }
          }
        }
      }
    }
    return out;
  }

  // <pv dir>/<study net>/[<objective>/][attack/]ref<R>_<tier>.json from pv_study.sh, where the
  // pv dir is the campaign root's sibling `pv` (-o results/experiments: results/pv, where
  // pv_study.sh wrote). A file that does not parse is not imported (the job runs).
  std::optional<json> imported(const Job& job, const CampaignContext& ctx) override {
    if (ctx.scale != Scale::kPaper) return std::nullopt;
    const json& s = job.spec;
    fs::path dir = pvStudyDir(ctx) / s.at("study_name").get<std::string>();
    if (s.at("objective") != "softmax-l1") dir /= s.at("objective").get<std::string>();
    const std::string file =
        fmt::format("ref{}_{}.json", s.at("ref").get<int>(), s.at("tier").get<std::string>());
    // With the attack pv_study.sh wrote into attack/ or attack_t<MILP seconds>/ (the first found).
    std::vector<fs::path> candidates;
    if (!s.at("attack").get<bool>()) {
      candidates.push_back(dir / file);
    } else if (fs::is_directory(dir)) {
      candidates.push_back(dir / "attack" / file);
      std::vector<fs::path> timed;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory() && e.path().filename().string().rfind("attack_t", 0) == 0)
          timed.push_back(e.path() / file);
      }
      std::sort(timed.begin(), timed.end());
      candidates.insert(candidates.end(), timed.begin(), timed.end());
    }
    fs::path p;
    for (const fs::path& c : candidates) {
      if (fs::exists(c)) {
        p = c;
        break;
      }
    }
    if (p.empty()) return std::nullopt;
    std::ifstream in(p);
    json d;
    try {
      d = json::parse(in);
    } catch (const json::exception&) {
      return std::nullopt;
    }
    json r = summary(d);
    r["imported_from"] = p.string();
    return r;
  }

  void prepare(const CampaignContext& ctx) override { test_.load(ctx); }

  static json summary(const json& d) {
    return {
        {"value", numberOr(d, "value", NAN)},       {"bound", numberOr(d, "bound", NAN)},
        {"gap", numberOr(d, "gap", NAN)},           {"proven", d.value("proven", false)},
        {"found_by", d.value("found_by", "")},      {"bounds_s", numberOr(d, "bounds_s", NAN)},
        {"attack_s", numberOr(d, "attack_s", NAN)}, {"milp_s", numberOr(d, "milp_s", NAN)},
        {"pv_wall_s", numberOr(d, "wall_s", NAN)},  {"bounds_over", d.value("bounds_over", "")}};
  }

  json run(const Job& job, const CampaignContext&) override {
    const json& s = job.spec;
    nn::Network net = nn::readOnnx(s.at("file").get<std::string>());
    nn::roundWeights(net, 0.04);  // the thesis verifies its networks rounded at eps = 0.04
    const int ref = s.at("ref");
    const Eigen::VectorXd img = test_.get().X.row(ref).transpose();
    bounds::NeighboursParams np;
    np.eps = 0.18;
    const bounds::Box box = bounds::neighboursBox(img, 28, 28, np);
    verify::PvOptions o;
    o.objective = verify::parsePvObjective(s.at("objective").get<std::string>());
    const std::string tier = s.at("tier");
    const bool img_tier = tier == "milp-img";
    o.bounds.method = bounds::parseMethod(img_tier ? "milp" : tier);
    if (tier == "naive" || tier == "lp" || tier == "milp") {
      o.bounds_box = encode::Box(box.lo.cwiseMin(0.0), box.hi.cwiseMax(1.0));  // [0,1]^784
    }
    o.bounds_time_limit_s = s.at("bounds_limit_s").get<double>();
    o.time_limit_s = s.at("time_limit_s").get<double>();
    o.run_attack = s.at("attack").get<bool>();
    const verify::PvResult r = verify::solvePv(net, encode::Domain(box), img, o);
    json d = r;
    json out = summary(d);
    out["class"] = r.class0;
    out["found_class"] = r.found_class;
    return out;
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override;

 private:
  MnistTestSet test_;
};

void PvCampaign::report(const CampaignContext& ctx, const std::vector<json>& rows,
                        Report& rep) const {
  const PvLimits lim = limitsFor(ctx.scale);
  rep.addText(fmt::format(
      "L1 2e-4 networks (`sum`) rounded at eps 0.04; neighbours domain (eps 0.18, 3x3 mean, zero "
      "padding 2) around the first test image of each class{}; bounds {} s, then attack + MILP "
      "{} s. naive, lp and milp bound over [0,1]^784; milp-img, symbolic and alpha over the "
      "reference domain. Gap = (bound - value) / |value|.",
      ctx.scale == Scale::kSmall ? " (small: the 8x5 and 16x2 stand-ins, classes 0 and 1)" : "",
      lim.bounds_s, lim.milp_s));
  Table t;
  t.header = {"network", "objective", "attack",   "ref",     "tier",    "value",
              "bound",   "gap %",     "bounds s", "total s", "found by"};
  for (const json& r : rows) {
    const json& s = r.at("spec");
    t.add({s.at("arch"), s.at("objective"), s.at("attack").get<bool>() ? "yes" : "no",
           std::to_string(s.at("ref").get<int>()), s.at("tier"), num(numberOr(r, "value", NAN)),
           num(numberOr(r, "bound", NAN)), pct(numberOr(r, "gap", NAN)),
           num(numberOr(r, "bounds_s", NAN), 3), num(numberOr(r, "pv_wall_s", NAN), 3),
           r.value("found_by", "")});
  }
  rep.addTable("Runs", "pv_runs", t);
  const std::vector<double> thresholds = {0.01, 0.03, 0.05, 0.075};
  // Figure 3.3: share within each threshold per tier, softmax-l1, with and without attack.
  Table t33;
  t33.header = {"network", "attack", "tier", "runs", "<= 1%", "<= 3%", "<= 5%", "<= 7.5%"};
  std::map<std::string, std::string> share_text;
  for (const bool attack : {false, true}) {
    Plot p{std::string("fig3_3_within_gap_") + (attack ? "attack" : "no_attack"),
           std::string("Fig. 3.3: share of instances within a gap, per tier (") +
               (attack ? "with" : "without") + " attack)",
           "gap threshold (%)", "instances within (%)"};
    for (const std::string& a : specValuesInOrder(rows, "arch")) {
      for (const std::string& tier : kTiers) {
        std::vector<double> gaps;
        for (const json& r : rows) {
          const json& s = r.at("spec");
          if (s.at("arch") == a && s.at("tier") == tier && s.at("attack").get<bool>() == attack &&
              s.at("objective") == "softmax-l1")
            gaps.push_back(numberOr(r, "gap", NAN));
        }
        if (gaps.empty()) continue;
        std::vector<std::string> row = {a, attack ? "yes" : "no", tier,
                                        std::to_string(gaps.size())};
        PlotSeries ser;
        ser.title = a + " " + tier;
        for (double th : thresholds) {
          const double share = static_cast<double>(std::count_if(
                                   gaps.begin(), gaps.end(), [th](double g) { return g <= th; })) /
                               static_cast<double>(gaps.size());
          row.push_back(pct(share, 0));
          ser.x.push_back(100 * th);
          ser.y.push_back(100 * share);
        }
        share_text[a + "|" + (attack ? "a" : "n") + "|" + tier] =
            row[4] + "% within 1%, " + row[7] + "% within 7.5%";
        t33.add(row);
        p.series.push_back(ser);
      }
    }
    rep.addPlot(p, std::string("Figure 3.3: share of instances whose gap is within 1/3/5/7.5%, ") +
                       (attack ? "with" : "without") + " the attack");
  }
  rep.addTable("Figure 3.3: instances within a gap (softmax-l1)", "pv_fig3_3", t33);
  // Figure 3.4: within 0-5% per architecture, over all tiers.
  Plot p34{"fig3_4_within_by_arch", "Fig. 3.4: instances within a gap, per architecture",
           "gap threshold (%)", "instances within (%)"};
  std::map<std::string, std::vector<double>> by_arch;
  for (const json& r : rows)
    if (r.at("spec").at("objective") == "softmax-l1")
      by_arch[r.at("spec").at("arch")].push_back(numberOr(r, "gap", NAN));
  for (const auto& [a, gaps] : by_arch) {
    PlotSeries ser;
    ser.title = a;
    for (int k = 0; k <= 10; ++k) {
      const double th = 0.005 * k;
      ser.x.push_back(100 * th);
      ser.y.push_back(100.0 *
                      std::count_if(gaps.begin(), gaps.end(), [th](double g) { return g <= th; }) /
                      gaps.size());
    }
    p34.series.push_back(ser);
  }
  rep.addPlot(p34, "Figure 3.4: share of instances within a gap of 0-5%, per architecture");
  // Figure 3.5: bound time per tier (box plots).
  Plot p35{"fig3_5_bound_time", "Fig. 3.5: bound time per tier", "tier", "bound seconds"};
  p35.style = PlotStyle::kBoxes;
  p35.logy = true;
  std::map<std::string, double> median_time;
  for (const std::string& tier : kTiers) {
    PlotSeries ser;
    ser.title = tier;
    for (const json& r : rows) {
      if (r.at("spec").at("tier") == tier) {
        ser.x.push_back(ser.x.size());
        ser.y.push_back(std::max(1e-3, numberOr(r, "bounds_s", 0.0)));
      }
    }
    std::vector<double> v = ser.y;
    std::sort(v.begin(), v.end());
    median_time[tier] = v.empty() ? NAN : v[v.size() / 2];
    p35.series.push_back(ser);
  }
  rep.addPlot(p35, "Figure 3.5: distribution of the bound time per tier (all runs)");
  std::vector<std::pair<std::string, double>> order(median_time.begin(), median_time.end());
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.second < b.second; });
  std::string order_text;
  for (const auto& [tier, m] : order)
    order_text += fmt::format("{}{} {}", order_text.empty() ? "" : " < ", tier, num(m, 2));
  auto shareOf = [&](const std::string& key) {
    return share_text.count(key) ? share_text[key] : std::string("not run");
  };
  const std::string a200 = ctx.scale == Scale::kSmall ? "8x5" : "200x5";
  const std::string a800 = ctx.scale == Scale::kSmall ? "16x2" : "800x2";
  rep.addComparisons(
      "Document / ours",
      {{"thesis §3.3, Fig. 3.3", "most LP and IP+img instances within 1%; naive the worst",
        "lp (" + a200 + ", no attack): " + shareOf(a200 + "|n|lp") + "; milp-img: " +
            shareOf(a200 + "|n|milp-img") + "; naive: " + shareOf(a200 + "|n|naive")},
       {"docs/results_pv.md (200x5, milp-img... per tier)",
        "200x5: 0% within 1% without the attack; 40% within 1% and 50% within 7.5% with it",
        a200 + " lp with attack: " + shareOf(a200 + "|a|lp") +
            "; milp-img with attack: " + shareOf(a200 + "|a|milp-img")},
       {"docs/results_pv.md (800x2)", "800x2: 0% without the attack, 20% with it",
        a800 + " lp: no attack " + shareOf(a800 + "|n|lp") + "; attack " + shareOf(a800 + "|a|lp")},
       {"thesis §3.3, Fig. 3.5", "LP the second fastest tier; IP+img variable",
        "median bound seconds: " + order_text}});
}

}  // namespace

std::unique_ptr<Campaign> makePvCampaign() { return std::make_unique<PvCampaign>(); }

}  // namespace nnmip::experiments
