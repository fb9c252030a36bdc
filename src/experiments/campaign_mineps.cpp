// `mineps` (thesis §4.3.2, Figures 4.8-4.10; issue 22): the 15x2 L1 2e-4 network of `nets`
// against its global prunings.
//
//   mineps   per (pruning level, digit, role order): the smallest L-inf eps <= 1 around the
//            digit's reference (the first test image the original network classifies
//            correctly) at which N1 keeps the label and N2 does not, both by margin 1e-4; the
//            forward order has N1 = the original, N2 = the pruned copy, `swap` the reverse. The
//            thesis's 40 levels 5%, 7.25%, ..., 92.75%.
//   flips    maxflip of the original against its pruned copy at every tenth level on the linf
//            0.05 ball of each reference (results the thesis omitted).
//   certify  compare::certifyPrune at radius 0.01 and 0.05 on the references, one job per
//            (radius, level): the certify-prune curve.
// Small scale: the small 15x2 of `nets` (3 epochs), digits 0, 1 and 8, every tenth level
// (5%, 27.5%, 50%, 72.5%) and 92.75%, short limits.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "bounds/box.hpp"
#include "compare/compare.hpp"
#include "core/error.hpp"
#include "encode/domain.hpp"
#include "experiments/campaigns.hpp"
#include "experiments/compare_campaign.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The thesis's levels: 5 + 2.25 i, i = 0..39.
double levelAt(int i) { return 5.0 + 2.25 * i; }
std::string levelId(double level) { return fmt::format("p{:g}", level); }

struct MinepsLimits {
  double mineps_s, bounds_s, flips_s, certify_s;
};
// Paper: 60 s per MILP; mineps runs up to 9 MILPs (one per wrong class), so 540 s together.
MinepsLimits minepsLimits(Scale s) {
  return s == Scale::kSmall ? MinepsLimits{6, 2, 3, 2} : MinepsLimits{540, 60, 60, 60};
}

std::vector<int> digitsAt(Scale s) {
  return s == Scale::kSmall ? std::vector<int>{0, 1, 8}
                            : std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
}
// Indices i of the levels: mineps and certify every level (small: every tenth and the last),
// flips every tenth (small: 5% and 50%).
std::vector<int> levelIndices(Scale s, bool flips) {
  if (flips) return s == Scale::kSmall ? std::vector<int>{0, 20} : std::vector<int>{0, 10, 20, 30};
  if (s == Scale::kSmall) return {0, 10, 20, 30, 39};
  std::vector<int> out;
  for (int i = 0; i < 40; ++i) out.push_back(i);
  return out;
}

NetSpec net15x2(Scale scale) {
  for (const NetSpec& n : thesisNets(scale)) {
    if (n.arch == "15x2") return n;
  }
  fail(ErrorKind::kInternal, "no 15x2 network in the grid");
}

class MinepsCampaign : public Campaign {
 public:
  std::string name() const override { return "mineps"; }
  std::string title() const override {
    return "mineps: smallest perturbation that separates a network from its pruned copy "
           "(thesis §4.3.2, Figures 4.8-4.10), maxflip, certify-prune";
  }
  std::vector<std::string> dependencies() const override { return {"nets"}; }
  std::optional<std::set<std::string>> neededJobs(const std::string&, const std::vector<Job>& jobs,
                                                  const CampaignContext& ctx) const override {
    return netsJobsReadBy(jobs, ctx, {"file"});
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    const MinepsLimits lim = minepsLimits(ctx.scale);
    const NetSpec n = net15x2(ctx.scale);
    const json base = {{"scale", scaleName(ctx.scale)},
                       {"net", n.name()},
                       {"file", netPath(ctx, n).string()},
                       {"margin", 1e-4},
                       {"eps_max", 1.0}};
    std::vector<Job> out;
    for (int i : levelIndices(ctx.scale, false)) {
      const double level = levelAt(i);
      for (int d : digitsAt(ctx.scale)) {
        for (const char* order : {"forward", "swap"}) {
          Job j;
          j.id = fmt::format("mineps|mineps|{}|{}|digit{}|{}", n.name(), levelId(level), d, order);
          j.spec = base;
          j.spec.update({{"kind", "mineps"},
                         {"level", level},
                         {"digit", d},
                         {"order", order},
                         {"time_limit_s", lim.mineps_s},
                         {"bounds_limit_s", lim.bounds_s}});
          j.cost_weight = lim.mineps_s;
          out.push_back(j);
        }
      }
    }
    for (int i : levelIndices(ctx.scale, true)) {
      const double level = levelAt(i);
      for (int d : digitsAt(ctx.scale)) {
        Job j;
        j.id = fmt::format("mineps|flips|{}|{}|digit{}|linf0.05", n.name(), levelId(level), d);
        j.spec = base;
        j.spec.update({{"kind", "flips"},
                       {"level", level},
                       {"digit", d},
                       {"delta", 0.05},
                       {"time_limit_s", lim.flips_s}});
        j.cost_weight = lim.flips_s;
        out.push_back(j);
      }
    }
    for (const double radius : {0.01, 0.05}) {
      for (int i : levelIndices(ctx.scale, false)) {
        const double level = levelAt(i);
        Job j;
        j.id = fmt::format("mineps|certify|{}|r{:g}|{}", n.name(), radius, levelId(level));
        j.spec = base;
        j.spec.update({{"kind", "certify"},
                       {"level", level},
                       {"radius", radius},
                       {"digits", digitsAt(ctx.scale)},
                       {"time_limit_s", lim.certify_s}});
        j.cost_weight = lim.certify_s * static_cast<double>(digitsAt(ctx.scale).size());
        out.push_back(j);
      }
    }
    return out;
  }

  void prepare(const CampaignContext& ctx) override { test_.load(ctx); }

  // The digit's reference: the first test image the original network classifies correctly.
  int reference(const std::string& file, const nn::Network& net, int digit) {
    std::lock_guard<std::mutex> lock(refs_mutex_);
    auto& refs = refs_[file];
    if (refs.empty()) {
      const std::vector<int> pred = nn::predictClasses(net, test_.get().X);
      refs.assign(10, -1);
      for (size_t i = 0; i < pred.size(); ++i) {
        const int y = test_.get().y[i];
        if (y >= 0 && y < 10 && refs[static_cast<size_t>(y)] < 0 && pred[i] == y)
          refs[static_cast<size_t>(y)] = static_cast<int>(i);
      }
    }
    const int r = refs[static_cast<size_t>(digit)];
    NNMIP_CHECK(r >= 0, "the network classifies no test image of digit {} correctly", digit);
    return r;
  }

  json run(const Job& job, const CampaignContext&) override {
    const json& s = job.spec;
    const std::string file = s.at("file");
    const nn::Network net = nn::readOnnx(file);
    nn::Network pruned = net;
    const double level = s.at("level");
    nn::pruneByPercent(pruned, level, nn::PruneScope::kGlobal);
    json out;
    out["pruned_accuracy"] = train::evaluateAccuracy(pruned, test_.get());
    const std::string kind = s.at("kind");
    compare::CompareOptions o;
    o.bounds.method = bounds::parseMethod("alpha");
    o.margin = s.at("margin");
    if (kind == "certify") {
      std::vector<int> idx, labels;
      for (const json& d : s.at("digits")) {
        idx.push_back(reference(file, net, d.get<int>()));
        labels.push_back(d.get<int>());
      }
      Eigen::MatrixXd images(static_cast<Eigen::Index>(idx.size()), test_.get().X.cols());
      for (size_t i = 0; i < idx.size(); ++i)
        images.row(static_cast<Eigen::Index>(i)) = test_.get().X.row(idx[i]);
      compare::CertifyPruneOptions c;
      c.levels = {level};
      c.radius = s.at("radius");
      c.compare = o;
      c.compare.time_limit_s = s.at("time_limit_s").get<double>();
      // The accuracy is the pruned_accuracy above: no test set passed twice.
      const std::vector<compare::CertifyLevel> res =
          compare::certifyPrune(net, images, labels, Eigen::MatrixXd(), {}, c);
      NNMIP_CHECK(res.size() == 1, "certifyPrune gave {} levels for one", res.size());
      out["certified"] = res[0].certified;
      out["total"] = res[0].total;
      out["all"] = res[0].all;
      out["statuses"] = res[0].statuses;
      out["references"] = idx;
      return out;
    }
    const int digit = s.at("digit");
    const int ref = reference(file, net, digit);
    const Eigen::VectorXd x0 = test_.get().X.row(ref).transpose();
    encode::Box box;
    if (kind == "flips") {
      const double delta = s.at("delta");
      box = bounds::linfBall(x0, delta);
      o.comparator = compare::Comparator::kMaxFlip;
      o.time_limit_s = s.at("time_limit_s").get<double>();
      const compare::CompareResult r =
          compare::compareNetworks(net, pruned, encode::Domain(box), x0, o);
      json sum = compareSummary(json(r));
      sum.update(out);
      sum["ref"] = ref;
      return sum;
    }
    const double eps_max = s.at("eps_max");
    box = bounds::linfBall(x0, eps_max);
    o.comparator = compare::Comparator::kMinEps;
    o.class0 = digit;
    o.eps_max = eps_max;
    o.time_limit_s = s.at("time_limit_s").get<double>();
    o.bounds_time_limit_s = s.at("bounds_limit_s").get<double>();
    const bool swap = s.at("order") == "swap";
    const compare::CompareResult r =
        swap ? compare::compareNetworks(pruned, net, encode::Domain(box), x0, o)
             : compare::compareNetworks(net, pruned, encode::Domain(box), x0, o);
    json sum = compareSummary(json(r));
    sum.update(out);
    sum["ref"] = ref;
    return sum;
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override;

 private:
  MnistTestSet test_;
  std::mutex refs_mutex_;  // guards refs_
  std::map<std::string, std::vector<int>> refs_;
};

std::string yesNo(bool b) { return b ? "yes" : "no"; }

Table minepsTable(const std::vector<json>& rows) {
  Table t;
  t.header = {"level %",           "digit",      "ref",          "order",
              "eps found",         "dual bound", "status",       "proved optimal",
              "proved infeasible", "found by",   "pruned acc %", "MILPs"};
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "mineps") continue;
    const std::string st = r.value("status", "");
    t.add({fmt::format("{:g}", s.at("level").get<double>()),
           std::to_string(s.at("digit").get<int>()), std::to_string(r.value("ref", -1)),
           s.at("order"), num(numberOr(r, "value", NAN)), num(numberOr(r, "bound", NAN)), st,
           yesNo(st == "proved"), yesNo(st == "infeasible"), r.value("found_by", ""),
           pct(numberOr(r, "pruned_accuracy", NAN), 2), std::to_string(r.value("milps", 0))});
  }
  return t;
}

Table flipsTable(const std::vector<json>& rows) {
  Table t;
  t.header = {"level %", "digit",  "ref",      "flips found",
              "bound",   "status", "found by", "pruned acc %"};
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "flips") continue;
    t.add({fmt::format("{:g}", s.at("level").get<double>()),
           std::to_string(s.at("digit").get<int>()), std::to_string(r.value("ref", -1)),
           num(numberOr(r, "value", NAN)), num(numberOr(r, "bound", NAN)), r.value("status", ""),
           r.value("found_by", ""), pct(numberOr(r, "pruned_accuracy", NAN), 2)});
  }
  return t;
}

Table certifyTable(const std::vector<json>& rows) {
  Table t;
  t.header = {"radius", "level %", "certified", "all", "pruned acc %", "statuses"};
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "certify") continue;
    std::string st;
    for (const json& x : r.value("statuses", json::array()))
      st += (st.empty() ? "" : ",") + x.get<std::string>();
    t.add({fmt::format("{:g}", s.at("radius").get<double>()),
           fmt::format("{:g}", s.at("level").get<double>()),
           fmt::format("{}/{}", r.value("certified", 0), r.value("total", 0)),
           yesNo(r.value("all", false)), pct(numberOr(r, "pruned_accuracy", NAN), 2), st});
  }
  return t;
}

// Per digit: (level, field) of the mineps rows of one order, in [lo, hi].
Plot minepsPlot(const std::vector<json>& rows, const std::string& name, const std::string& title,
                const std::string& order, const char* field, double lo, double hi) {
  Plot p{name, title, "pruned weights (%, global)",
         std::string(field) == "value" ? "eps found" : "dual bound of eps"};
  p.style = PlotStyle::kLines;
  std::map<int, PlotSeries> by_digit;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "mineps" || s.at("order") != order) continue;
    const double level = s.at("level");
    if (level < lo - 1e-9 || level > hi + 1e-9) continue;
    PlotSeries& ser = by_digit[s.at("digit").get<int>()];
    ser.title = fmt::format("digit {}", s.at("digit").get<int>());
    ser.x.push_back(level);
    ser.y.push_back(numberOr(r, field, NAN));
  }
  for (auto& [d, ser] : by_digit) p.series.push_back(ser);
  return p;
}

// Figure 4.8's inputs: per digit two rows (the input found at each level, and found - reference),
// the reference in the first column. Order `order` of the roles.
data::ImageGrid minepsGrid(const std::vector<json>& rows, const std::string& order) {
  std::vector<double> levels;
  std::map<int, std::map<double, const json*>> by_digit;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "mineps" || s.at("order") != order) continue;
    const double level = s.at("level");
    if (std::find(levels.begin(), levels.end(), level) == levels.end()) levels.push_back(level);
    by_digit[s.at("digit").get<int>()][level] = &r;
  }
  std::sort(levels.begin(), levels.end());
  data::ImageGrid g;
  g.zoom = 2;
  g.cols = static_cast<int>(levels.size()) + 1;
  for (const auto& [digit, at] : by_digit) {
    std::vector<double> x0;
    for (const auto& [level, r] : at) {
      if (x0.empty()) x0 = imageOf(*r, "x0");
    }
    g.row_scale.push_back(data::ImageGrid::Scale::kGrey);
    g.row_scale.push_back(data::ImageGrid::Scale::kSigned);
    std::vector<std::vector<double>> found(levels.size() + 1), diff(levels.size() + 1);
    std::vector<std::string> found_label(levels.size() + 1), diff_label(levels.size() + 1);
    found[0] = x0;
    found_label[0] = std::to_string(digit);
    for (size_t i = 0; i < levels.size(); ++i) {
      const auto it = at.find(levels[i]);
      if (it == at.end()) continue;
      std::vector<double> x = imageOf(*it->second, "x");
      diff[i + 1] = imageDifference(x, x0);
      if (diff[i + 1].empty()) continue;  // no input, or no reference to draw it against
      found[i + 1] = std::move(x);
      found_label[i + 1] = num(numberOr(*it->second, "value", NAN), 3);
      diff_label[i + 1] = fmt::format("{:g}", levels[i]);
    }
    for (auto* v : {&found, &diff}) g.cells.insert(g.cells.end(), v->begin(), v->end());
    for (auto* v : {&found_label, &diff_label})
      g.labels.insert(g.labels.end(), v->begin(), v->end());
    g.rows += 2;
  }
  return g;
}

}  // namespace

std::vector<NamedTable> minepsTables(const std::string& kind, const std::vector<json>& rows) {
  if (kind == "mineps") {
    return {{"Figures 4.8-4.10 as a table: mineps per level, digit and role order", "mineps",
             minepsTable(rows)}};
  }
  if (kind == "flips") {
    return {{"maxflip: the original against its pruned copy, linf 0.05 around each reference",
             "flips", flipsTable(rows)}};
  }
  return {{"certify-prune: weak mineps infeasible on every reference's ball", "certify",
           certifyTable(rows)}};
}

void MinepsCampaign::report(const CampaignContext& ctx, const std::vector<json>& rows,
                            Report& rep) const {
  const bool small = ctx.scale == Scale::kSmall;
  const MinepsLimits lim = minepsLimits(ctx.scale);
  rep.addText(fmt::format(
      "Network: the 15x2 L1 2e-4 `sum` network of `nets` ({}); N2 its global pruning "
      "(`pruneByPercent`, global scope) at each level. mineps: eps_max 1 (all of [0,1]^784), "
      "margin 1e-4, one MILP per wrong class of N2, {} s for the MILPs of one job together, "
      "alpha bounds over the eps_max ball ({} s); value = ||x - x0||_inf of an input that passes "
      "the class conditions, bound = the MILPs' dual bounds (a lower bound of the smallest eps, "
      "never an incumbent); status infeasible = no such input anywhere in [0,1]^784 (a proof). "
      "The printed (4.17) compares N1's C0 logit with N2's logits; it is read as N1's own. "
      "References: per digit the first test image the original classifies correctly{}.",
      small ? "small: 3 epochs on 20,000 images" : "50 epochs", lim.mineps_s, lim.bounds_s,
      small ? " (small: digits 0, 1, 8; levels 5, 27.5, 50, 72.5, 92.75)" : ""));
  for (const std::string kind : {"mineps", "flips", "certify"}) {
    for (const NamedTable& t : minepsTables(kind, rows)) rep.addTable(t.heading, t.csv, t.table);
  }
  rep.addPlot(minepsPlot(rows, "fig4_8_mineps", "Fig. 4.8: smallest eps found per pruning level",
                         "forward", "value", 0, 100),
              "Figure 4.8: eps found per pruning level and digit (N1 original, N2 pruned); a "
              "missing point is a level with no input found (proved infeasible or open, see the "
              "table)");
  rep.addPlot(minepsPlot(rows, "fig4_8_bound", "Fig. 4.8 (bounds): dual bound of eps per level",
                         "forward", "bound", 0, 100),
              "Dual bounds of the smallest eps (a lower bound; equal to eps where proved)");
  rep.addPlot(minepsPlot(rows, "fig4_9_mineps_60_70", "Fig. 4.9: eps found, 60-70% pruned",
                         "forward", "value", 60, 70),
              "Figure 4.9: the 60-70% range");
  rep.addPlot(minepsPlot(rows, "fig4_10_mineps_75_93", "Fig. 4.10: eps found, 75-93% pruned",
                         "forward", "value", 75, 93),
              "Figure 4.10: the 75-93% range");
  rep.addPlot(minepsPlot(rows, "fig4_8_mineps_swap", "eps found with the roles swapped", "swap",
                         "value", 0, 100),
              "The roles swapped (N1 pruned, N2 original): the thesis's trade-off remark");
  if (const data::ImageGrid g = minepsGrid(rows, "forward"); g.rows > 0) {
    rep.addImageGrid("fig4_8_inputs", g,
                     "The inputs behind Figure 4.8: per digit, the reference (first column, its "
                     "label) and the input found at each pruning level (eps found under it), then "
                     "found - reference on blue-white-red, magnified per cell (the level under "
                     "it); a blank cell: no input found at that level");
  }
  Plot pc{"certify_prune", "certify-prune: references certified per level",
          "pruned weights (%, global)", "references certified"};
  for (const double radius : {0.01, 0.05}) {
    PlotSeries ser;
    ser.title = fmt::format("radius {:g}", radius);
    for (const json& r : rows) {
      const json& s = r.at("spec");
      if (s.at("kind") != "certify" || std::abs(s.at("radius").get<double>() - radius) > 1e-12)
        continue;
      ser.x.push_back(s.at("level"));
      ser.y.push_back(r.value("certified", 0));
    }
    pc.series.push_back(ser);
  }
  rep.addPlot(pc,
              "certify-prune: how many references keep the original's class on their ball "
              "(weak mineps infeasible), per level and radius");
  // Document / ours.
  double lowest_found = NAN;
  int below20 = 0, below20_infeasible = 0, below20_open = 0;
  std::map<int, std::pair<double, int>> eps_by_digit;  // digit -> (sum, n) of eps found
  double flat_lo = NAN, flat_hi = NAN, acc_lo = NAN, acc_hi = NAN;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "mineps" || s.at("order") != "forward") continue;
    const double level = s.at("level"), v = numberOr(r, "value", NAN);
    const std::string st = r.value("status", "");
    if (std::isfinite(v)) {
      lowest_found = std::isfinite(lowest_found) ? std::min(lowest_found, level) : level;
      auto& e = eps_by_digit[s.at("digit").get<int>()];
      e.first += v;
      ++e.second;
    }
    if (level < 20) {
      ++below20;
      below20_infeasible += st == "infeasible";
      below20_open += st != "infeasible" && !std::isfinite(v);
    }
    if (level >= 60 && level <= 70 && std::isfinite(v)) {
      flat_lo = std::isfinite(flat_lo) ? std::min(flat_lo, v) : v;
      flat_hi = std::isfinite(flat_hi) ? std::max(flat_hi, v) : v;
    }
    if (level >= 60 && level <= 70) {
      const double a = numberOr(r, "pruned_accuracy", NAN);
      acc_lo = std::isfinite(acc_lo) ? std::min(acc_lo, a) : a;
      acc_hi = std::isfinite(acc_hi) ? std::max(acc_hi, a) : a;
    }
  }
  int largest_digit = -1;
  double largest_mean = -1;
  for (const auto& [d, e] : eps_by_digit) {
    if (e.first / e.second > largest_mean) {
      largest_mean = e.first / e.second;
      largest_digit = d;
    }
  }
  rep.addComparisons(
      "Document / ours (thesis §4.3.2, forward order)",
      {{"§4.3.2, Fig. 4.8",
        "no solution found below 20% pruning; could not tell \"none exists\" "
        "from \"the solver found none\" (4 h per MILP)",
        fmt::format("{} jobs below 20%: {} proved infeasible, {} open (no proof either way); "
                    "lowest level with an eps found: {}",
                    below20, below20_infeasible, below20_open,
                    std::isfinite(lowest_found) ? fmt::format("{:g}%", lowest_found)
                                                : std::string("none"))},
       {"§4.3.2, Fig. 4.8", "digit 8 needs the largest eps",
        largest_digit >= 0
            ? fmt::format("largest mean eps found: digit {} ({}){}", largest_digit,
                          num(largest_mean, 3), small ? " (small: digits 0, 1, 8 only)" : "")
            : std::string("no eps found")},
       {"§4.3.2, Fig. 4.9", "eps stays flat over 60-70% while the pruned accuracy rises",
        std::isfinite(flat_lo)
            ? fmt::format("eps found in 60-70%: {} to {}; pruned accuracy {}% to {}%",
                          num(flat_lo, 3), num(flat_hi, 3), pct(acc_lo, 2), pct(acc_hi, 2))
            : std::string("no eps found in 60-70%") +
                  (small ? " (small: only the 72.5% level is near)" : "")}});
  if (small) {
    rep.addText(
        "Small scale: a 15x2 network trained 3 epochs on 20,000 images, 3 digits, 5 levels and "
        "seconds per job; not the thesis's network, so the document's numbers are beside the "
        "shape of ours only. Paper scale has its own job list (`--dry-run --scale paper`).");
  }
}

std::unique_ptr<Campaign> makeMinepsCampaign() { return std::make_unique<MinepsCampaign>(); }

}  // namespace nnmip::experiments
