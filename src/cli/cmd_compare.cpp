// nnmip compare: two networks over one input domain (thesis chapter 4): maxdiff, maxdiff-logit,
// maxout, maxflip, mineps (compare/compare.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "bounds/layer_bounds.hpp"
#include "cli/commands.hpp"
#include "cli/datasets.hpp"
#include "cli/domain_spec.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "compare/compare.hpp"
#include "core/error.hpp"
#include "core/json_number.hpp"
#include "data/vnnlib.hpp"
#include "experiments/campaign.hpp"
#include "experiments/compare_campaign.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "verify/outputs.hpp"

namespace nnmip::cli {
namespace {

struct CompareArgs {
  std::string net_a, net_b;
  std::string comparator = "maxdiff-logit";
  std::string classes;  // maxout: "C1,C2" or "all"
  std::string domain;   // required except for mineps (default: the eps_max ball)
  std::string reference;
  int class0 = -1;
  std::string method = "alpha";
  std::string bounds_domain = "query";
  double time_limit = 60.0;
  std::optional<double> bounds_time_limit;
  double eps_max = 1.0;
  std::string mineps_form = "per-class";
  double margin = 1e-4;
  std::string p2_side = "upper";
  int threads = 1;
  uint64_t seed = 1;
  bool swap = false;
  bool no_attack = false;
  bool no_diff_bounds = false;
  std::vector<std::string> cbc_opts;
  std::string json;
  std::string png_dir;
};

std::string fmtNum(double v, const char* spec = "{:.6g}") {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format(fmt::runtime(spec), v);
}

// Validates the options that CLI11 cannot (finite, ranges): one line, exit 2.
void validate(const CompareArgs& a) {
  auto bad = [](const std::string& what) { fail(ErrorKind::kUsage, "compare: {}", what); };
  if (!std::isfinite(a.margin) || a.margin < 0.0)
    bad(fmt::format("--margin {} (need >= 0)", a.margin));
  if (!std::isfinite(a.eps_max) || a.eps_max <= 0.0 || a.eps_max > 1.0) {
    bad(fmt::format("--eps-max {} (need 0 < E <= 1)", a.eps_max));
  }
  if (a.threads < 1) bad(fmt::format("--threads {} (need >= 1)", a.threads));
  if (a.comparator != "mineps" && a.domain.empty()) bad("--domain is required");
  if (a.comparator == "maxout" && a.classes.empty()) bad("maxout needs --classes C1,C2 or all");
  if (a.comparator != "maxout" && !a.classes.empty()) bad("--classes is for maxout");
}

void runCompare(CompareArgs args, GlobalOptions& g) {
  if (args.net_a.empty() || args.net_b.empty()) {
    fail(ErrorKind::kUsage, "compare: network_a and network_b are required (or `compare table`)");
  }
  validate(args);
  const Timer clock;
  if (args.swap) std::swap(args.net_a, args.net_b);
  const nn::Network a = nn::readOnnx(args.net_a);
  const nn::Network b = nn::readOnnx(args.net_b);
  const int n = a.inputSize();
  if (b.inputSize() != n) {
    fail(ErrorKind::kInvalidInput, "{} reads {} inputs, {} reads {}", args.net_a, n, args.net_b,
         b.inputSize());
  }
  compare::CompareOptions o;
  o.comparator = compare::parseComparator(args.comparator);
  const bool mineps = o.comparator == compare::Comparator::kMinEps;

  std::optional<DomainSpec> spec;
  if (!args.domain.empty()) spec = parseDomainSpec(args.domain, n, g);
  Eigen::VectorXd x0;
  if (!args.reference.empty()) {
    x0 = readReference(args.reference, g);
  } else if (spec && spec->reference) {
    x0 = *spec->reference;
  } else if (spec) {
    x0 = spec->box.center();
  }
  if (mineps && x0.size() == 0) fail(ErrorKind::kUsage, "compare: mineps needs --reference");
  if (x0.size() != 0 && x0.size() != n) {
    fail(ErrorKind::kInvalidInput, "reference has {} values, the networks {} inputs", x0.size(), n);
  }
  encode::Box box;
  if (mineps) {
    // The eps_max ball around x0, clipped to [0, 1] (and to --domain when given).
    box = encode::Box((x0.array() - args.eps_max).max(0.0).matrix(),
                      (x0.array() + args.eps_max).min(1.0).matrix());
    if (spec) box = encode::intersect(box, spec->box);
  } else {
    box = spec->box;
  }

  const bool img = args.method == "milp-img";
  o.bounds.method = bounds::parseMethod(img ? "milp" : args.method);
  o.bounds.solver.threads = args.threads;
  o.bounds.alpha.threads = args.threads;
  if (args.bounds_domain == "full" && !img) {
    o.bounds_box = encode::Box(box.lo.cwiseMin(0.0), box.hi.cwiseMax(1.0));
  }
  o.time_limit_s = args.time_limit;
  o.bounds_time_limit_s = args.bounds_time_limit;
  o.attack.seed = args.seed;
  o.run_attack = !args.no_attack;
  o.mip_backend_options = parseKeyValues(args.cbc_opts, "--cbc-opt");
  o.margin = args.margin;
  o.eps_max = args.eps_max;
  o.mineps_form = compare::parseMinEpsForm(args.mineps_form);
  o.class0 = args.class0;
  o.diff_bounds = !args.no_diff_bounds;
  o.p2_sides = args.p2_side == "lower"  ? encode::SoftmaxSides::kLower
               : args.p2_side == "both" ? encode::SoftmaxSides::kBoth
                                        : encode::SoftmaxSides::kUpper;
  Callbacks cb;
  if (g.verbosity >= 2) {
    cb.on_log = [&clock](Level, std::string_view line) {
      logLine(clock, "info", std::string(line));
    };
  }
  const encode::Domain domain(box);

  // maxout: one pair, or every ordered pair (a K1 x K2 table).
  std::vector<std::pair<int, int>> pairs;
  if (o.comparator == compare::Comparator::kMaxOut) {
    if (args.classes == "all") {
      for (int c1 = 0; c1 < a.outputSize(); ++c1) {
        for (int c2 = 0; c2 < b.outputSize(); ++c2) {
          if (c1 != c2) pairs.push_back({c1, c2});
        }
      }
    } else {
      const std::vector<std::string> parts = splitComma(args.classes);
      if (parts.size() != 2) {
        fail(ErrorKind::kUsage, "compare: --classes '{}': expected C1,C2 or all", args.classes);
      }
      pairs.push_back({static_cast<int>(parseNumber(parts[0], "--classes C1")),
                       static_cast<int>(parseNumber(parts[1], "--classes C2"))});
    }
  } else {
    pairs.push_back({-1, -1});
  }

  nlohmann::json runs = nlohmann::json::array();
  std::vector<compare::CompareResult> results;
  for (const auto& [c1, c2] : pairs) {
    o.class1 = c1;
    o.class2 = c2;
    results.push_back(compare::compareNetworks(a, b, domain, x0, o, cb));
    if (g.verbosity >= 1 && pairs.size() > 1) {
      logLine(clock, "info", fmt::format("maxout {},{}: {}", c1, c2, results.back().status));
    }
    runs.push_back(results.back());
  }

  if (!args.json.empty()) {
    nlohmann::json doc;
    doc["schema"] = "nnmip.compare/1";
    doc["network_a"] = args.net_a;
    doc["network_b"] = args.net_b;
    doc["comparator"] = args.comparator;
    doc["domain"] = args.domain;
    doc["method"] = args.method;
    doc["bounds_domain"] = img ? "query" : args.bounds_domain;
    doc["time_limit_s"] = args.time_limit;
    doc["margin"] = args.margin;
    doc["swap"] = args.swap;
    doc["attack"] = !args.no_attack;
    doc["diff_bounds"] = !args.no_diff_bounds;
    if (mineps) {
      doc["eps_max"] = args.eps_max;
      doc["mineps_form"] = args.mineps_form;
    }
    doc["results"] = runs;
    doc["tool"] = toolInfo();
    writeJsonFile(args.json, doc);
  }

  if (pairs.size() > 1) {
    // The K1 x K2 table: I impossible (proved), F found, ? open.
    std::vector<std::string> cols{"<C1\\C2"};
    for (int c2 = 0; c2 < b.outputSize(); ++c2) cols.push_back(std::to_string(c2));
    Table t(cols);
    int counts[3] = {0, 0, 0};
    size_t i = 0;
    for (int c1 = 0; c1 < a.outputSize(); ++c1) {
      std::vector<std::string> row{std::to_string(c1)};
      for (int c2 = 0; c2 < b.outputSize(); ++c2) {
        if (c1 == c2) {
          row.push_back(".");
          continue;
        }
        const std::string& s = results[i++].status;
        const int idx = s == "impossible" ? 0 : s == "found" ? 1 : 2;
        ++counts[idx];
        row.push_back(idx == 0 ? "I" : idx == 1 ? "F" : "?");
      }
      t.addRow(row);
    }
    t.print();
    std::printf("maxout: %d pairs proved impossible (I), %d with an input found (F), %d open (?)\n",
                counts[0], counts[1], counts[2]);
    return;
  }

  const compare::CompareResult& r = results.front();
  if (!args.png_dir.empty() && r.x.size() == n) {
    data::VnnlibProperty prop;
    prop.num_inputs = n;
    const Eigen::VectorXd ref = x0.size() == n ? x0 : box.center();
    const std::vector<double> rv(ref.data(), ref.data() + n);
    prop.input_boxes.push_back({rv, rv});
    verify::Result shown;
    shown.status = verify::Status::kSat;
    shown.counterexample = verify::Counterexample{};
    shown.counterexample->x.assign(r.x.data(), r.x.data() + n);
    for (auto p : verify::writeImagePngs(args.png_dir, prop, shown)) {
      if (p.filename() == "counterexample.png") {
        const std::filesystem::path found = p.parent_path() / "found.png";
        std::filesystem::rename(p, found);
        p = found;
      }
      if (g.verbosity >= 1) logLine(clock, "info", fmt::format("wrote {}", p.string()));
    }
  }
  if (r.x.size() == n) {
    Table t({"<input", "n1_class", "n1_p", "n2_class", "n2_p", "f32_classes"});
    auto row = [&](const std::string& name, const compare::NetEval& e1,
                   const compare::NetEval& e2) {
      t.addRow({name, std::to_string(e1.cls), fmt::format("{:.4f}", e1.probs[e1.cls]),
                std::to_string(e2.cls), fmt::format("{:.4f}", e2.probs[e2.cls]),
                fmt::format("{}/{}", e1.cls32, e2.cls32)});
    };
    row("found (" + r.found_by + ")", r.n1, r.n2);
    t.print();
  }
  std::string milp = "-";
  for (const auto& m : r.milps) {
    milp = fmt::format("{}{} ({} bin, {} nodes, {:.1f}s)", milp == "-" ? "" : milp + "; ",
                       m.termination, m.binaries, m.nodes, m.wall_s);
  }
  Table s({"<comparator", "value", "bound", "gap", "<status", "time_s", "<bounds", "<milp"});
  s.addRow({args.comparator, fmtNum(r.value), fmtNum(r.bound),
            std::isfinite(r.gap) ? fmt::format("{:.2f}%", 100.0 * r.gap) : "-", r.status,
            fmt::format("{:.1f}", r.wall_s),
            fmt::format("{} over {} {:.1f}s", r.bounds_method, r.bounds_over, r.bounds_s), milp});
  s.print();
  std::printf(
      "value: exact objective at the found input; bound: valid bound from the MILPs' "
      "dual bounds (%s); gap = |bound - value| / max(|value|, 1e-10)\n",
      mineps ? "a lower bound of the smallest eps" : "an upper bound of the maximum");
}

struct CertifyArgs {
  std::string network;
  std::string images = "3,2,1,18,4,8,11,0,61,7";  // MNIST test indices
  double radius = 0.01;
  std::string levels = "5:92.75:2.25";
  std::optional<double> max_diff;
  std::string method = "alpha";
  double time_limit = 60.0;
  int threads = 1;
  std::string output;
  std::string json;
};

// "a:b:s" -> a, a+s, ..., <= b (+1e-9); or a comma list.
std::vector<double> parseLevels(const std::string& spec) {
  std::vector<double> out;
  const std::vector<std::string> parts = [&] {
    std::vector<std::string> p;
    size_t start = 0;
    for (size_t i = 0; i <= spec.size(); ++i) {
      if (i == spec.size() || spec[i] == ':') {
        p.push_back(spec.substr(start, i - start));
        start = i + 1;
      }
    }
    return p;
  }();
  if (parts.size() == 3) {
    const double a = parseNumber(parts[0], "--levels start");
    const double b = parseNumber(parts[1], "--levels end");
    const double st = parseNumber(parts[2], "--levels step");
    if (!(st > 0) || !(a <= b) || a < 0 || b > 100) {
      fail(ErrorKind::kUsage, "certify-prune: --levels '{}': need 0 <= A <= B <= 100, step > 0",
           spec);
    }
    for (int i = 0; a + st * i <= b + 1e-9; ++i) out.push_back(a + st * i);
  } else {
    for (const std::string& t : splitComma(spec)) {
      const double v = parseNumber(t, "--levels");
      if (!(v >= 0 && v <= 100))
        fail(ErrorKind::kUsage, "certify-prune: level {} not in 0..100", v);
      out.push_back(v);
    }
  }
  return out;
}

void runCertify(const CertifyArgs& a, GlobalOptions& g) {
  if (!std::isfinite(a.radius) || a.radius <= 0.0 || a.radius > 1.0) {
    fail(ErrorKind::kUsage, "certify-prune: --radius {} (need 0 < r <= 1)", a.radius);
  }
  if (a.max_diff && (!std::isfinite(*a.max_diff) || *a.max_diff < 0.0)) {
    fail(ErrorKind::kUsage, "certify-prune: --max-diff {} (need >= 0)", *a.max_diff);
  }
  const std::vector<double> levels = parseLevels(a.levels);
  const Timer clock;
  const nn::Network net = nn::readOnnx(a.network);
  DatasetRequest req;
  req.data_dir = g.data_dir;
  const data::Dataset test = loadDataset(req);
  if (test.X.cols() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "{} reads {} inputs, MNIST has {}", a.network, net.inputSize(),
         test.X.cols());
  }
  std::vector<int> idx;
  for (const std::string& t : splitComma(a.images)) {
    const double v = parseNumber(t, "--images");
    if (v < 0 || v >= test.size() || v != std::floor(v)) {
      fail(ErrorKind::kUsage, "certify-prune: image {} not a test index", t);
    }
    idx.push_back(static_cast<int>(v));
  }
  Eigen::MatrixXd images(static_cast<Eigen::Index>(idx.size()), test.X.cols());
  std::vector<int> labels;
  for (size_t i = 0; i < idx.size(); ++i) {
    images.row(static_cast<Eigen::Index>(i)) = test.X.row(idx[i]);
    labels.push_back(test.y[static_cast<size_t>(idx[i])]);
  }
  compare::CertifyPruneOptions o;
  o.levels = levels;
  o.radius = a.radius;
  o.max_diff = a.max_diff;
  o.compare.bounds.method = bounds::parseMethod(a.method);
  o.compare.bounds.solver.threads = a.threads;
  o.compare.bounds.alpha.threads = a.threads;
  o.compare.time_limit_s = a.time_limit;
  Table t({"prune_%", a.max_diff ? "max_diff_bound" : "certified_radius", "certified", "test_acc",
           "<statuses"});
  const auto on_level = [&](const compare::CertifyLevel& lv) {
    if (g.verbosity >= 1) {
      logLine(clock, "info",
              fmt::format("level {:.2f}%: {}/{} certified", lv.percent, lv.certified, lv.total));
    }
  };
  const std::vector<compare::CertifyLevel> res =
      compare::certifyPrune(net, images, labels, test.X, test.y, o, on_level);
  const compare::CertifyLevel* best = nullptr;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& lv : res) {
    std::string st;
    for (const auto& s : lv.statuses) st += (st.empty() ? "" : ",") + s;
    t.addRow({fmt::format("{:.2f}", lv.percent),
              a.max_diff ? fmtNum(lv.worst) : (lv.all ? fmt::format("> {}", a.radius) : "-"),
              fmt::format("{}/{}", lv.certified, lv.total), fmt::format("{:.4f}", lv.accuracy),
              st});
    if (lv.all && (!best || lv.percent > best->percent)) best = &lv;
    rows.push_back({{"percent", lv.percent},
                    {"certified", lv.certified},
                    {"total", lv.total},
                    {"all", lv.all},
                    {"accuracy", lv.accuracy},
                    {"worst_bound", jsonNumber(lv.worst)},
                    {"statuses", lv.statuses}});
  }
  t.print();
  if (best) {
    std::printf("largest certified level: %.2f%% (test accuracy %.4f)\n", best->percent,
                best->accuracy);
    if (!a.output.empty()) {
      nn::Network pruned = net;
      nn::pruneByPercent(pruned, best->percent, nn::PruneScope::kGlobal);
      nn::writeOnnx(pruned, a.output);
      std::printf("wrote %s\n", a.output.c_str());
    }
  } else {
    std::printf("no level certified on every reference\n");
  }
  if (!a.json.empty()) {
    nlohmann::json doc;
    doc["schema"] = "nnmip.certify_prune/1";
    doc["network"] = a.network;
    doc["images"] = idx;
    doc["radius"] = a.radius;
    doc["mode"] = a.max_diff ? "max-diff" : "radius";
    if (a.max_diff) doc["max_diff"] = *a.max_diff;
    doc["levels"] = rows;
    doc["largest_certified"] = best ? nlohmann::json(best->percent) : nlohmann::json();
    doc["tool"] = toolInfo();
    writeJsonFile(a.json, doc);
  }
}

// nnmip compare table: the tables of the `compare` and `mineps` campaigns from their job stores.
void runCompareTable(const std::string& kind, const std::string& root) {
  experiments::CampaignContext ctx;
  ctx.root = root;
  const std::string campaign = experiments::campaignOfCompareKind(kind);
  const std::vector<nlohmann::json> rows = experiments::storedCampaignRows(campaign, ctx);
  std::printf("%zu stored jobs in %s\n", rows.size(),
              (ctx.dir(campaign) / "jobs.jsonl").string().c_str());
  for (const experiments::NamedTable& nt : experiments::compareTables(kind, rows)) {
    std::printf("\n%s\n", nt.heading.c_str());
    std::vector<std::string> cols = nt.table.header;
    if (!cols.empty()) cols[0] = "<" + cols[0];
    Table t(cols);
    for (const auto& r : nt.table.rows) t.addRow(r);
    t.print();
  }
}

}  // namespace

void addCompareCommands(CLI::App& app, GlobalOptions& g) {
  auto ca = std::make_shared<CompareArgs>();
  CLI::App* c = app.add_subcommand(
      "compare",
      "two networks over one input domain (thesis chapter 4): the largest difference of their "
      "outputs (maxdiff, maxdiff-logit), disagreement (maxout), neuron flips (maxflip), the "
      "smallest perturbation that separates them (mineps); exact value, valid bound, gap");
  c->add_option("network_a", ca->net_a, "N1 (.onnx)");
  c->add_option("network_b", ca->net_b, "N2 (.onnx)");
  c->add_option("--comparator", ca->comparator,
                "maxdiff: ||p1 - p2||_1 of the probabilities (sound PWL softmax) | maxdiff-logit: "
                "||z1 - z2||_1 (exact) | maxout: N1 picks C1, N2 picks C2 (--classes) | maxflip: "
                "hidden neurons in different states (same architecture) | mineps: smallest "
                "L-inf eps around --reference where N1 keeps its class and N2 does not")
      ->check(CLI::IsMember({"maxdiff", "maxdiff-logit", "maxout", "maxflip", "mineps"}))
      ->capture_default_str();
  c->add_option("--classes", ca->classes, "maxout: C1,C2 or all (every ordered pair: a table)");
  c->add_option("--domain", ca->domain,
                std::string(kDomainHelp) + " (mineps: optional, intersected with the ball)");
  c->add_option("--reference", ca->reference,
                "reference input x0 (MNIST test index or text file; default: the domain's REF)");
  c->add_option("--class0", ca->class0, "mineps: the reference's label (default: N1's class)");
  c->add_option("--method", ca->method,
                "bound tier of the stack: naive|interval|symbolic|alpha|lp|milp|milp-img")
      ->check(CLI::IsMember({"naive", "interval", "symbolic", "alpha", "lp", "milp", "milp-img"}))
      ->capture_default_str();
  c->add_option("--bounds-domain", ca->bounds_domain,
                "full: bounds over [0,1]^n (the thesis) | query: over the domain")
      ->check(CLI::IsMember({"full", "query"}))
      ->capture_default_str();
  addTimeLimitOption(*c, ca->time_limit,
                     "seconds for the MILPs together (the bounds get half of it unless "
                     "--bounds-time-limit, the attack a tenth)");
  c->add_option("--bounds-time-limit", ca->bounds_time_limit, "seconds for the bound tier")
      ->check(CLI::PositiveNumber);
  c->add_option("--eps-max", ca->eps_max, "mineps: largest eps (1: all of [0,1]^n)")
      ->capture_default_str();
  c->add_option("--mineps-form", ca->mineps_form,
                "mineps: one MILP per wrong class of N2 (per-class) or the thesis's single MILP "
                "with a binary per class (single)")
      ->check(CLI::IsMember({"per-class", "single"}))
      ->capture_default_str();
  c->add_option("--margin", ca->margin, "delta of maxout, maxflip and mineps")
      ->capture_default_str();
  c->add_option("--p2-side", ca->p2_side, "maxdiff: softmax rows of p2: upper|lower|both")
      ->check(CLI::IsMember({"upper", "lower", "both"}))
      ->capture_default_str();
  c->add_option("--threads", ca->threads, "threads of the bound tiers")->capture_default_str();
  c->add_option("--seed", ca->seed, "attack seed")->capture_default_str();
  c->add_flag("--swap", ca->swap, "exchange the roles of the two networks");
  c->add_flag("--no-attack", ca->no_attack,
              "no attack: incumbents from the MILP alone (the thesis's setting)");
  c->add_flag("--no-diff-bounds", ca->no_diff_bounds,
              "maxdiff-logit: ranges of z1 - z2 from the two networks' own bounds only");
  c->add_option("--cbc-opt", ca->cbc_opts,
                "CBC option key=value for the comparator's MILPs (e.g. cuts=off), repeatable");
  c->add_option("--json", ca->json, "JSON report");
  c->add_option("--png-dir", ca->png_dir,
                "reference.png, found.png and difference.png (square image inputs)");
  auto kind = std::make_shared<std::string>("thesis");
  auto root = std::make_shared<std::string>("results/experiments");
  CLI::App* tbl = c->add_subcommand(
      "table",
      "print the tables of the `compare` campaign (kinds thesis: Tables 4.2-4.7, maxout: the "
      "10x10 table) or the `mineps` campaign (mineps: Figures 4.8-4.10, flips, certify) from its "
      "job store (nnmip experiment compare|mineps -o DIR)");
  tbl->add_option("--kind", *kind, "thesis | maxout | mineps | flips | certify")
      ->check(CLI::IsMember({"thesis", "maxout", "mineps", "flips", "certify"}))
      ->capture_default_str();
  tbl->add_option("-o,--out", *root, "root folder of the experiments (DIR of nnmip experiment)")
      ->capture_default_str();
  tbl->callback([kind, root] { runCompareTable(*kind, *root); });
  c->callback([ca, tbl, &g] {
    if (tbl->parsed()) return;
    runCompare(*ca, g);
  });

  auto cp = std::make_shared<CertifyArgs>();
  CLI::App* p = app.add_subcommand(
      "certify-prune",
      "prunes to each global level and certifies, on every reference image, that the pruned "
      "network keeps the original's class on the L-inf ball of --radius (weak mineps "
      "infeasible: a proof, never an incumbent), or with --max-diff that maxdiff <= d there; "
      "names the largest certified level (the whole grid is scanned)");
  p->add_option("network", cp->network, "network (.onnx)")->required();
  p->add_option("--images", cp->images, "MNIST test indices of the references")
      ->capture_default_str();
  p->add_option("--radius", cp->radius, "L-inf radius around each reference")
      ->capture_default_str();
  p->add_option("--levels", cp->levels, "global pruning percentages: A:B:STEP or a list")
      ->capture_default_str();
  p->add_option("--max-diff", cp->max_diff, "certify maxdiff (probabilities) <= D instead");
  p->add_option("--method", cp->method, "bound tier: naive|interval|symbolic|alpha|lp|milp")
      ->check(CLI::IsMember({"naive", "interval", "symbolic", "alpha", "lp", "milp"}))
      ->capture_default_str();
  addTimeLimitOption(*p, cp->time_limit, "seconds of MILPs per reference and level");
  p->add_option("--threads", cp->threads, "threads of the bound tiers")->capture_default_str();
  p->add_option("-o,--output", cp->output, "write the largest certified pruning here");
  p->add_option("--json", cp->json, "JSON report");
  p->callback([cp, &g] { runCertify(*cp, g); });
}

}  // namespace nnmip::cli
