// `compare` (thesis §4.3.1, Tables 4.2-4.7 and the maxout table; issue 22): two networks in one
// MILP through compare::compareNetworks.
//
//   thesis  the pairs 800x2/200x5, 800x2/100x10, 200x5/100x10 (the L1 2e-4 `sum` networks of
//           `nets`, each pruned to 90% of its weights, global), maxdiff in probabilities, domains
//           box [0,1]^784, linf delta 0.05 and neighbours eps 0.05 around the first test image of
//           each class, bound tiers lp (the thesis) and alpha over the query domain, with and
//           without the attack. One job per (pair, domain, reference, tier, attack).
//   maxout  800x2 vs 200x5 (90% pruned): every ordered class pair over [0,1]^784, and over each
//           linf 0.05 reference domain C1 = the reference's label against every C2. One job per
//           (domain, C1, C2).
// Small scale: the 16x2, 8x5, 8x10 stand-ins of `nets`, references of classes 0 and 1, alpha
// only, short limits; maxout only on the reference domains.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bounds/box.hpp"
#include "compare/compare.hpp"
#include "core/error.hpp"
#include "encode/domain.hpp"
#include "experiments/campaigns.hpp"
#include "experiments/compare_campaign.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {

namespace fs = std::filesystem;
using nlohmann::json;

json compareSummary(const json& d) {
  json out = {{"status", d.value("status", "")},
              {"value", numberOr(d, "value", NAN)},
              {"bound", numberOr(d, "bound", NAN)},
              {"gap", numberOr(d, "gap", NAN)},
              {"proven", d.value("proven", false)},
              {"found_by", d.value("found_by", "")},
              {"value_f32", numberOr(d, "value_f32", NAN)},
              {"attack_value", numberOr(d, "attack_value", NAN)},
              {"trivial_bound", numberOr(d, "trivial_bound", NAN)},
              {"bounds_method", d.value("bounds_method", "")},
              {"bounds_over", d.value("bounds_over", "")},
              {"stack_binaries", d.value("stack_binaries", 0)},
              {"bounds_s", numberOr(d, "bounds_s", NAN)},
              {"attack_s", numberOr(d, "attack_s", NAN)},
              {"milp_s", numberOr(d, "milp_s", NAN)},
              {"compare_wall_s", numberOr(d, "wall_s", NAN)}};
  for (const char* net : {"n1", "n2"}) {
    if (!d.contains(net)) continue;
    const json& e = d.at(net);
    const int cls = e.value("class", -1);
    out[std::string(net) + "_class"] = cls;
    out[std::string(net) + "_class_f32"] = e.value("class_f32", -1);
    const json& p = e.value("probabilities", json::array());
    out[std::string(net) + "_p"] =
        cls >= 0 && static_cast<size_t>(cls) < p.size() && p[cls].is_number() ? p[cls] : json();
  }
  for (const char* c : {"class0", "class1", "class2"}) {
    if (d.contains(c)) out[c] = d.at(c);
  }
  std::string term;
  for (const json& m : d.value("milps", json::array())) {
    term += (term.empty() ? "" : "; ") + m.value("label", std::string()) + ": " +
            m.value("termination", std::string());
  }
  out["milps"] = d.value("milps", json::array()).size();
  out["terminations"] = term;
  // The found input and the reference, for the report's pictures (square image inputs only).
  for (const char* key : {"x", "x0"}) {
    const std::vector<double> v = imageOf(d, key);
    const auto side = static_cast<size_t>(std::lround(std::sqrt(static_cast<double>(v.size()))));
    if (side >= 2 && side * side == v.size()) out[key] = imageJson(v);
  }
  return out;
}

std::string campaignOfCompareKind(const std::string& kind) {
  if (kind == "thesis" || kind == "maxout") return "compare";
  if (kind == "mineps" || kind == "flips" || kind == "certify") return "mineps";
  fail(ErrorKind::kUsage, "table kind '{}': one of thesis, maxout, mineps, flips, certify", kind);
}

namespace {

// The L1 2e-4 `sum` network of the grid standing for `paper_arch` (15x2: the mineps side row).
NetSpec l1Net(Scale scale, const std::string& paper_arch) {
  for (const NetSpec& n : thesisNets(scale)) {
    if (n.paper_arch == paper_arch && n.reg == "l1" && n.lambda == "2e-4" &&
        n.lambda_scale == "sum")
      return n;
  }
  fail(ErrorKind::kInternal, "no L1 2e-4 network for {}", paper_arch);
}

struct CompareLimits {
  double thesis_s, maxout_s;
};
CompareLimits compareLimits(Scale s) {
  return s == Scale::kSmall ? CompareLimits{3, 3} : CompareLimits{120, 60};
}

const std::vector<std::pair<std::string, std::string>> kPairs = {
    {"800x2", "200x5"}, {"800x2", "100x10"}, {"200x5", "100x10"}};

// "box", "linf" or "neighbours" around test image `ref` with radius `delta`.
encode::Box domainBox(const std::string& type, const Eigen::VectorXd& img, double delta) {
  const int n = static_cast<int>(img.size());
  if (type == "box") return encode::Box(Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n));
  if (type == "linf") return bounds::linfBall(img, delta);
  bounds::NeighboursParams np;
  np.eps = delta;
  const bounds::Box b = bounds::neighboursBox(img, 28, 28, np);
  return encode::Box(b.lo, b.hi);
}

std::string domainId(const std::string& type, int ref, double delta) {
  return type == "box" ? std::string("box") : fmt::format("{}_ref{}_{:g}", type, ref, delta);
}

class CompareCampaign : public Campaign {
 public:
  std::string name() const override { return "compare"; }
  std::string title() const override {
    return "compare: two networks in one MILP (thesis §4.3.1, Tables 4.2-4.7; maxout)";
  }
  std::vector<std::string> dependencies() const override { return {"nets"}; }
  std::optional<std::set<std::string>> neededJobs(const std::string&, const std::vector<Job>& jobs,
                                                  const CampaignContext& ctx) const override {
    return netsJobsReadBy(jobs, ctx, {"file_a", "file_b"});
  }

  std::vector<Job> jobs(const CampaignContext& ctx) const override {
    const bool small = ctx.scale == Scale::kSmall;
    const CompareLimits lim = compareLimits(ctx.scale);
    std::vector<Job> out;
    const std::vector<int> classes =
        small ? std::vector<int>{0, 1} : std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const std::vector<std::string> tiers =
        small ? std::vector<std::string>{"alpha"} : std::vector<std::string>{"lp", "alpha"};
    auto base = [&](const std::string& kind, const NetSpec& a, const NetSpec& b) {
      return json{{"kind", kind},
                  {"scale", scaleName(ctx.scale)},
                  {"a", a.arch},
                  {"b", b.arch},
                  {"paper_a", a.paper_arch},
                  {"paper_b", b.paper_arch},
                  {"file_a", netPath(ctx, a).string()},
                  {"file_b", netPath(ctx, b).string()},
                  {"prune_percent", 90.0}};
    };
    for (const auto& [pa, pb] : kPairs) {
      const NetSpec a = l1Net(ctx.scale, pa), b = l1Net(ctx.scale, pb);
      std::vector<std::pair<std::string, int>> domains = {{"box", -1}};
      for (int c : classes) {
        domains.push_back({"linf", c});
        domains.push_back({"neighbours", c});
      }
      for (const auto& [type, cls] : domains) {
        const int ref = cls >= 0 ? kFirstOfClassRefs[static_cast<size_t>(cls)] : -1;
        for (const std::string& tier : tiers) {
          for (const bool attack : {true, false}) {
            Job j;
            j.id = fmt::format("compare|thesis|{}_{}|{}|{}|{}", a.arch, b.arch,
                               domainId(type, ref, 0.05), tier, attack ? "attack" : "no-attack");
            j.spec = base("thesis", a, b);
            j.spec.update({{"domain", type},
                           {"ref", ref},
                           {"label", cls},
                           {"delta", 0.05},
                           {"tier", tier},
                           {"attack", attack},
                           {"time_limit_s", lim.thesis_s}});
            j.cost_weight = lim.thesis_s;
            out.push_back(j);
          }
        }
      }
    }
    // maxout on the first pair.
    const NetSpec a = l1Net(ctx.scale, "800x2"), b = l1Net(ctx.scale, "200x5");
    std::vector<std::pair<std::string, int>> domains;
    if (!small) domains.push_back({"box", -1});
    for (int c : classes) domains.push_back({"linf", c});
    for (const auto& [type, cls] : domains) {
      const int ref = cls >= 0 ? kFirstOfClassRefs[static_cast<size_t>(cls)] : -1;
      for (int c1 = 0; c1 < 10; ++c1) {
        if (cls >= 0 && c1 != cls) continue;  // C1 = the reference's label
        for (int c2 = 0; c2 < 10; ++c2) {
          if (c2 == c1) continue;
          Job j;
          j.id = fmt::format("compare|maxout|{}_{}|{}|c{}_c{}", a.arch, b.arch,
                             domainId(type, ref, 0.05), c1, c2);
          j.spec = base("maxout", a, b);
          j.spec.update({{"domain", type},
                         {"ref", ref},
                         {"label", cls},
                         {"delta", 0.05},
                         {"tier", "alpha"},
                         {"attack", true},
                         {"class1", c1},
                         {"class2", c2},
                         {"time_limit_s", lim.maxout_s}});
          j.cost_weight = lim.maxout_s;
          out.push_back(j);
        }
      }
    }
    return out;
  }

  void prepare(const CampaignContext& ctx) override { test_.load(ctx); }

  json run(const Job& job, const CampaignContext&) override {
    const json& s = job.spec;
    nn::Network a = nn::readOnnx(s.at("file_a").get<std::string>());
    nn::Network b = nn::readOnnx(s.at("file_b").get<std::string>());
    // The thesis compares the networks pruned to 90% (global); bounds are computed on exactly
    // the networks encoded.
    const double pct = s.at("prune_percent");
    nn::pruneByPercent(a, pct, nn::PruneScope::kGlobal);
    nn::pruneByPercent(b, pct, nn::PruneScope::kGlobal);
    const int ref = s.at("ref");
    const std::string type = s.at("domain");
    const Eigen::VectorXd img = ref >= 0 ? Eigen::VectorXd(test_.get().X.row(ref).transpose())
                                         : Eigen::VectorXd::Constant(a.inputSize(), 0.5);
    const encode::Box box = domainBox(type, img, s.at("delta").get<double>());
    compare::CompareOptions o;
    const bool maxout = s.at("kind") == "maxout";
    o.comparator = maxout ? compare::Comparator::kMaxOut : compare::Comparator::kMaxDiff;
    o.bounds.method = bounds::parseMethod(s.at("tier").get<std::string>());
    o.time_limit_s = s.at("time_limit_s").get<double>();
    o.run_attack = s.at("attack").get<bool>();
    if (maxout) {
      o.class1 = s.at("class1");
      o.class2 = s.at("class2");
    }
    const compare::CompareResult r =
        compare::compareNetworks(a, b, encode::Domain(box), ref >= 0 ? img : box.center(), o);
    json out = compareSummary(json(r));
    out["true_label"] = ref >= 0 ? test_.get().y[static_cast<size_t>(ref)] : -1;
    // The test accuracy of the networks encoded: a pruning that breaks one decides what a row
    // can say about the pair.
    out["n1_pruned_accuracy"] = train::evaluateAccuracy(a, test_.get());
    out["n2_pruned_accuracy"] = train::evaluateAccuracy(b, test_.get());
    return out;
  }

  void report(const CampaignContext& ctx, const std::vector<json>& rows,
              Report& rep) const override;

 private:
  MnistTestSet test_;
};

std::string cls(const json& r, const char* key) {
  const int c = r.value(key, -1);
  return c >= 0 ? std::to_string(c) : std::string("-");
}

// "800x2/200x5": the thesis's names of a pair (the small stand-ins keep them).
std::string pairOf(const json& spec) {
  return spec.at("paper_a").get<std::string>() + "/" + spec.at("paper_b").get<std::string>();
}

// Tables 4.2-4.7: one row per job.
Table thesisRuns(const std::vector<json>& rows) {
  Table t;
  t.header = {"pair",     "domain", "real class", "tier",  "attack", "N1 class", "N1 p",
              "N2 class", "N2 p",   "L1 diff",    "bound", "gap %",  "found by", "status"};
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "thesis") continue;
    t.add({pairOf(s), s.at("domain"),
           s.at("label").get<int>() >= 0 ? std::to_string(s.at("label").get<int>())
                                         : std::string("-"),
           s.at("tier"), s.at("attack").get<bool>() ? "yes" : "no", cls(r, "n1_class"),
           num(numberOr(r, "n1_p", NAN), 3), cls(r, "n2_class"), num(numberOr(r, "n2_p", NAN), 3),
           num(numberOr(r, "value", NAN), 4), num(numberOr(r, "bound", NAN), 4),
           pct(numberOr(r, "gap", NAN)), r.value("found_by", ""), r.value("status", "")});
  }
  return t;
}

// Per pair: the test accuracy of the two pruned networks (from the first row that has it; rows
// stored before the field existed have none).
Table prunedAccuracyTable(const std::vector<json>& rows) {
  Table t;
  t.header = {"pair", "prune %", "N1 test accuracy %", "N2 test accuracy %"};
  std::set<std::string> seen;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "thesis" || !r.contains("n1_pruned_accuracy")) continue;
    if (!seen.insert(pairOf(s)).second) continue;
    t.add({pairOf(s), num(s.at("prune_percent").get<double>(), 3),
           pct(numberOr(r, "n1_pruned_accuracy", NAN), 2),
           pct(numberOr(r, "n2_pruned_accuracy", NAN), 2)});
  }
  return t;
}

// Per pair and domain type: over the references, the best input found (largest L1 difference
// over the tiers and attack settings): how many references have a network wrong there, both
// wrong, the largest both-right difference, and the wrong classes.
struct PairCounts {
  int refs = 0, some_wrong = 0, both_wrong = 0, wrong_89 = 0, wrong = 0;
  double largest_both_right = NAN, largest_bound = NAN;
  int n1_wrong = 0, n2_wrong = 0;
};

// Per "pair|type|ref" of the thesis jobs (the box domain has ref -1): the row with the largest
// value over the tiers and attack settings, and the smallest valid bound.
struct BestRows {
  std::map<std::string, const json*> best;
  std::map<std::string, double> bound;
};

BestRows bestThesisRows(const std::vector<json>& rows) {
  BestRows out;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "thesis") continue;
    const std::string key = pairOf(s) + "|" + s.at("domain").get<std::string>() + "|" +
                            std::to_string(s.at("ref").get<int>());
    const double v = numberOr(r, "value", NAN);
    if (std::isfinite(v) && (!out.best.count(key) || v > numberOr(*out.best[key], "value", -1)))
      out.best[key] = &r;
    const double bd = numberOr(r, "bound", NAN);
    if (std::isfinite(bd))
      out.bound[key] = out.bound.count(key) ? std::min(out.bound[key], bd) : bd;
  }
  return out;
}

std::map<std::string, PairCounts> thesisCounts(const std::vector<json>& rows) {
  const BestRows b = bestThesisRows(rows);
  std::map<std::string, PairCounts> out;
  for (const auto& [key, r] : b.best) {
    if (r->at("spec").at("ref").get<int>() < 0) continue;  // the box: no reference label
    const std::string group = key.substr(0, key.rfind('|'));
    PairCounts& c = out[group];
    ++c.refs;
    const int label = r->at("spec").at("label");
    const int c1 = r->value("n1_class", -1), c2 = r->value("n2_class", -1);
    const bool w1 = c1 != label, w2 = c2 != label;
    c.n1_wrong += w1;
    c.n2_wrong += w2;
    c.some_wrong += w1 || w2;
    c.both_wrong += w1 && w2;
    for (const int cc : {w1 ? c1 : -1, w2 ? c2 : -1}) {
      if (cc < 0) continue;
      ++c.wrong;
      c.wrong_89 += cc == 8 || cc == 9;
    }
    if (!w1 && !w2) {
      const double v = numberOr(*r, "value", NAN);
      c.largest_both_right =
          std::isfinite(c.largest_both_right) ? std::max(c.largest_both_right, v) : v;
    }
    if (const auto it = b.bound.find(key); it != b.bound.end()) {
      c.largest_bound =
          std::isfinite(c.largest_bound) ? std::max(c.largest_bound, it->second) : it->second;
    }
  }
  return out;
}

Table thesisCountTable(const std::vector<json>& rows) {
  Table t;
  t.header = {"pair / domain", "references", "a network wrong", "both wrong",
              "N1 wrong",      "N2 wrong",   "wrong as 8 or 9", "largest both-right L1",
              "largest bound"};
  for (const auto& [group, c] : thesisCounts(rows)) {
    t.add({group, std::to_string(c.refs), std::to_string(c.some_wrong),
           std::to_string(c.both_wrong), std::to_string(c.n1_wrong), std::to_string(c.n2_wrong),
           fmt::format("{} of {}", c.wrong_89, c.wrong), num(c.largest_both_right, 3),
           num(c.largest_bound, 3)});
  }
  return t;
}

// The maxout 10x10 tables: per domain, I proved impossible, F input found, ? open, . C1 = C2,
// blank not run.
std::vector<NamedTable> maxoutTables(const std::vector<json>& rows) {
  std::map<std::string, std::map<std::pair<int, int>, std::string>> cells;
  std::vector<std::string> order;
  for (const json& r : rows) {
    const json& s = r.at("spec");
    if (s.at("kind") != "maxout") continue;
    const std::string d = s.at("domain") == "box"
                              ? std::string("box [0,1]^784")
                              : "linf 0.05 references (row C1 = the reference's label)";
    if (std::find(order.begin(), order.end(), d) == order.end()) order.push_back(d);
    const std::string st = r.value("status", "");
    cells[d][{s.at("class1").get<int>(), s.at("class2").get<int>()}] = st == "impossible" ? "I"
                                                                       : st == "found"    ? "F"
                                                                                          : "?";
  }
  std::vector<NamedTable> out;
  Table counts;
  counts.header = {"domain", "pairs run", "proved impossible (I)", "input found (F)", "open (?)"};
  for (const std::string& d : order) {
    Table t;
    t.header = {"C1 \\ C2"};
    for (int c2 = 0; c2 < 10; ++c2) t.header.push_back(std::to_string(c2));
    int n[3] = {0, 0, 0};
    for (int c1 = 0; c1 < 10; ++c1) {
      std::vector<std::string> row = {std::to_string(c1)};
      bool any = false;
      for (int c2 = 0; c2 < 10; ++c2) {
        auto it = cells[d].find({c1, c2});
        if (c1 == c2) {
          row.push_back(".");
        } else if (it == cells[d].end()) {
          row.push_back("");
        } else {
          any = true;
          row.push_back(it->second);
          ++n[it->second == "I" ? 0 : it->second == "F" ? 1 : 2];
        }
      }
      if (any) t.add(row);
    }
    counts.add({d, std::to_string(n[0] + n[1] + n[2]), std::to_string(n[0]), std::to_string(n[1]),
                std::to_string(n[2])});
    out.push_back({"maxout 10x10: " + d, d.rfind("box", 0) == 0 ? "maxout_box" : "maxout_linf", t});
  }
  out.push_back({"maxout counts", "maxout_counts", counts});
  return out;
}

// "N1 class, N2 class, value" under a found input.
std::string foundLabel(const json& r) {
  return fmt::format("{} {} {:.2f}", r.value("n1_class", -1), r.value("n2_class", -1),
                     numberOr(r, "value", NAN));
}

// Figures 4.2-4.7: per pair and domain type, the best input found around each reference (rows:
// reference, found, found - reference); the box domain's best input per pair in one more grid.
void thesisPictures(const std::vector<json>& rows, Report& rep) {
  const BestRows b = bestThesisRows(rows);
  std::map<std::string, std::map<int, const json*>> around;  // pair|type -> label -> best row
  for (const auto& [key, r] : b.best) {
    const json& s = r->at("spec");
    if (s.at("ref").get<int>() >= 0)
      around[pairOf(s) + "|" + s.at("domain").get<std::string>()][s.at("label").get<int>()] = r;
  }
  std::vector<std::string> pairs;  // the thesis's order
  for (const auto& [pa, pb] : kPairs) pairs.push_back(pa + "/" + pb);
  const char* figures[3][2] = {{"4_2", "4_3"}, {"4_4", "4_5"}, {"4_6", "4_7"}};
  for (size_t p = 0; p < pairs.size(); ++p) {
    for (int t = 0; t < 2; ++t) {
      const std::string type = t == 0 ? "linf" : "neighbours";
      const auto it = around.find(pairs[p] + "|" + type);
      if (it == around.end()) continue;
      data::ImageGrid g;
      g.rows = 3;
      g.cols = static_cast<int>(it->second.size());
      g.row_scale = {data::ImageGrid::Scale::kGrey, data::ImageGrid::Scale::kGrey,
                     data::ImageGrid::Scale::kSigned};
      g.cells.resize(static_cast<size_t>(3 * g.cols));
      g.labels.resize(g.cells.size());
      int c = 0;
      for (const auto& [label, r] : it->second) {
        const std::vector<double> x = imageOf(*r, "x"), x0 = imageOf(*r, "x0");
        const std::vector<double> d = imageDifference(x, x0);
        double max_abs = 0;
        for (double v : d) max_abs = std::max(max_abs, std::abs(v));
        g.cells[static_cast<size_t>(c)] = x0;
        g.labels[static_cast<size_t>(c)] = std::to_string(label);
        g.cells[static_cast<size_t>(g.cols + c)] = x;
        g.labels[static_cast<size_t>(g.cols + c)] = foundLabel(*r);
        g.cells[static_cast<size_t>(2 * g.cols + c)] = d;
        g.labels[static_cast<size_t>(2 * g.cols + c)] = d.empty() ? "" : num(max_abs, 2);
        ++c;
      }
      std::string pair_id = pairs[p];
      std::replace(pair_id.begin(), pair_id.end(), '/', '_');
      const std::string fig = figures[p][t];
      rep.addImageGrid(
          fmt::format("fig{}_{}_{}", fig, pair_id, type), g,
          fmt::format("Figure {}.{}: the best input per reference, {}, {} 0.05 (over the tiers "
                      "and attack settings). Rows: the reference (its label); the input found "
                      "(N1 class, N2 class, L1 difference); found - reference on blue-white-red, "
                      "magnified to its largest |difference| (printed)",
                      fig.substr(0, 1), fig.substr(2), pairs[p], type));
    }
  }
  data::ImageGrid g;
  g.rows = 1;
  g.row_scale = {data::ImageGrid::Scale::kGrey};
  for (const std::string& pair : pairs) {
    const auto it = b.best.find(pair + "|box|-1");
    if (it == b.best.end()) continue;
    g.cells.push_back(imageOf(*it->second, "x"));
    g.labels.push_back(foundLabel(*it->second));
    ++g.cols;
  }
  if (g.cols > 0) {
    rep.addImageGrid("box_best_inputs", g,
                     "Box [0,1]^784: the best input per pair (N1 class, N2 class, L1 difference), "
                     "pairs in the table's order");
  }
}

void CompareCampaign::report(const CampaignContext& ctx, const std::vector<json>& rows,
                             Report& rep) const {
  const bool small = ctx.scale == Scale::kSmall;
  const CompareLimits lim = compareLimits(ctx.scale);
  rep.addText(fmt::format(
      "Networks: the L1 2e-4 `sum` networks of `nets` ({}), each pruned to 90% of its weights "
      "(global); bounds of the stack over the query domain, computed on exactly the pruned "
      "networks. maxdiff = ||p1 - p2||_1 through the softmax sandwich; value = the exact "
      "difference at the input found (double), bound = the MILP's dual bound (never an "
      "incumbent) + 1e-6 relative, gap = |bound - value| / max(|value|, 1e-10). References: the "
      "first test image of each class ({}); {} s per job (MILP; bounds get half of it, the "
      "attack a tenth), maxout {} s per class pair.",
      small ? "small: 16x2, 8x5 and 8x10 stand in for 800x2, 200x5 and 100x10"
            : "800x2, 200x5, "
              "100x10",
      small ? "small: classes 0 and 1, alpha tier only" : "classes 0-9", lim.thesis_s,
      lim.maxout_s));
  for (const char* kind : {"thesis", "maxout"}) {
    for (const NamedTable& t : compareTables(kind, rows)) {
      if (!t.table.rows.empty()) rep.addTable(t.heading, t.csv, t.table);  // e.g. maxout not run
    }
  }
  thesisPictures(rows, rep);
  // Document / ours.
  const auto counts = thesisCounts(rows);
  auto ours = [&](const std::string& pair, const std::string& type) {
    const std::string k = pair + "|" + type;
    const auto it = counts.find(k);
    if (it == counts.end()) return std::string("not run");
    const PairCounts& c = it->second;
    return fmt::format(
        "{} of {} references with a network wrong, {} both wrong, largest "
        "both-right difference {}, wrong as 8 or 9: {} of {}",
        c.some_wrong, c.refs, c.both_wrong, num(c.largest_both_right, 3), c.wrong_89, c.wrong);
  };
  rep.addComparisons(
      "Document / ours (thesis §4.3.1; ours: per reference the input with the largest L1 "
      "difference over tiers and attack settings)",
      {{"Table 4.2 (800x2/200x5, simple = linf 0.05)",
        "4 of 10 references with a network wrong; largest both-right difference 0.63",
        ours("800x2/200x5", "linf")},
       {"Table 4.3 (800x2/200x5, neighbours 0.05)", "10 of 10 with a network wrong, 2 both wrong",
        ours("800x2/200x5", "neighbours")},
       {"Table 4.4 (800x2/100x10, simple)",
        "5 of 10 with a network wrong; largest both-right 0.634", ours("800x2/100x10", "linf")},
       {"Table 4.5 (800x2/100x10, neighbours)", "10 of 10, 5 both wrong",
        ours("800x2/100x10", "neighbours")},
       {"Table 4.6 (200x5/100x10, simple)", "6 of 10 with a network wrong",
        ours("200x5/100x10", "linf")},
       {"Table 4.7 (200x5/100x10, neighbours)",
        "10 of 10, 4 both wrong; 10 of 14 wrong classifications an 8 or a 9",
        ours("200x5/100x10", "neighbours")}});
  if (small) {
    rep.addText(
        "Small scale: the pairs are narrow stand-ins trained 3 epochs; the counts above are "
        "over 2 references, not the thesis's 10, and are not comparable to the document's "
        "numbers beyond their shape.");
  }
}

}  // namespace

std::vector<NamedTable> minepsTables(const std::string& kind, const std::vector<json>& rows);

std::vector<NamedTable> compareTables(const std::string& kind, const std::vector<json>& rows) {
  if (kind == "thesis") {
    return {{"Tables 4.2-4.7: maxdiff (probabilities) per pair, domain, reference, tier and "
             "attack",
             "thesis_runs", thesisRuns(rows)},
            {"Tables 4.2-4.7: counts per pair and domain", "thesis_counts", thesisCountTable(rows)},
            {"The networks encoded: test accuracy after the pruning", "thesis_networks",
             prunedAccuracyTable(rows)}};
  }
  if (kind == "maxout") return maxoutTables(rows);
  campaignOfCompareKind(kind);  // throws for an unknown kind
  return minepsTables(kind, rows);
}

std::unique_ptr<Campaign> makeCompareCampaign() { return std::make_unique<CompareCampaign>(); }

}  // namespace nnmip::experiments
