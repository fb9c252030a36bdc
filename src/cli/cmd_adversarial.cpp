// nnmip adversarial: the thesis's verification problem PV (chapter 3): the largest change of a
// network's output over an input domain around a reference input (verify/pv.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "bounds/layer_bounds.hpp"
#include "cli/commands.hpp"
#include "cli/domain_spec.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "data/vnnlib.hpp"
#include "nn/onnx_io.hpp"
#include "verify/outputs.hpp"
#include "verify/pv.hpp"

namespace nnmip::cli {
namespace {

struct AdversarialArgs {
  std::string network;
  std::string domain;
  std::string reference;  // empty: the domain's REF, else the box centre
  std::string objective = "softmax-l1";
  std::string method = "lp";
  std::string bounds_domain = "query";
  double time_limit = 120.0;
  std::optional<double> bounds_time_limit;
  int threads = 1;
  int segments = 16;
  double tangent_step = 0.25;
  uint64_t seed = 1;
  bool no_attack = false;
  std::string json;
  std::string png_dir;
};

std::string probs(const Eigen::VectorXd& p) {
  std::string s;
  for (Eigen::Index i = 0; i < p.size(); ++i) s += fmt::format("{}{:.3f}", i ? " " : "", p[i]);
  return s;
}

void runAdversarial(const AdversarialArgs& a, GlobalOptions& g) {
  const Timer clock;
  checkOutputPath(a.json, "--json");
  checkOutputFolder(a.png_dir, "--png-dir");
  const nn::Network net = nn::readOnnx(a.network);
  const int n = net.inputSize();
  const DomainSpec spec = parseDomainSpec(a.domain, n, g);
  Eigen::VectorXd x0 = spec.reference ? *spec.reference : spec.box.center();
  if (!a.reference.empty()) x0 = readReference(a.reference, g);
  if (x0.size() != n) {
    fail(ErrorKind::kInvalidInput, "reference has {} values, the network {} inputs", x0.size(), n);
  }

  verify::PvOptions o;
  o.objective = verify::parsePvObjective(a.objective);
  const bool img = a.method == "milp-img";
  o.bounds.method = bounds::parseMethod(img ? "milp" : a.method);
  o.bounds.solver.threads = a.threads;
  o.bounds.alpha.threads = a.threads;
  if (a.bounds_domain == "full" && !img) {
    // The thesis's full input space: [0,1]^n, widened to contain the query box.
    o.bounds_box = encode::Box(spec.box.lo.cwiseMin(0.0), spec.box.hi.cwiseMax(1.0));
  } else if (a.bounds_domain != "query" && a.bounds_domain != "full") {
    fail(ErrorKind::kUsage, "--bounds-domain '{}': expected full or query", a.bounds_domain);
  }
  o.time_limit_s = a.time_limit;
  o.bounds_time_limit_s = a.bounds_time_limit;
  o.attack.seed = a.seed;
  o.run_attack = !a.no_attack;
  o.pwl.segments = a.segments;
  o.pwl.tangent_step = a.tangent_step;
  Callbacks cb;
  if (g.verbosity >= 2) {
    cb.on_log = [&clock](Level, std::string_view line) {
      logLine(clock, "info", std::string(line));
    };
  }
  const verify::PvResult r = verify::solvePv(net, encode::Domain(spec.box), x0, o, cb);

  if (!a.png_dir.empty() && r.x.size() == n) {
    // verify/outputs draws reference (the box centre), counterexample and difference: a box
    // of the single point x0 makes x0 the reference.
    data::VnnlibProperty prop;
    prop.num_inputs = n;
    const std::vector<double> ref(x0.data(), x0.data() + n);
    prop.input_boxes.push_back({ref, ref});
    verify::Result shown;
    shown.status = verify::Status::kSat;
    shown.counterexample = verify::Counterexample{};
    shown.counterexample->x.assign(r.x.data(), r.x.data() + n);
    for (auto p : verify::writeImagePngs(a.png_dir, prop, shown)) {
      if (p.filename() == "counterexample.png") {
        const std::filesystem::path found = p.parent_path() / "found.png";
        std::filesystem::rename(p, found);
        p = found;
      }
      if (g.verbosity >= 1) logLine(clock, "info", fmt::format("wrote {}", p.string()));
    }
  }

  // The JSON last: a failed PNG leaves no report that claims a finished run.
  if (!a.json.empty()) {
    nlohmann::json doc = r;
    doc["network"] = a.network;
    doc["domain"] = a.domain;
    doc["method"] = a.method;
    doc["bounds_domain"] = img ? "query" : a.bounds_domain;
    doc["time_limit_s"] = a.time_limit;
    doc["attack"] = !a.no_attack;
    doc["bounds_time_limit_s"] =
        a.bounds_time_limit ? nlohmann::json(*a.bounds_time_limit) : nlohmann::json(nullptr);
    doc["tool"] = toolInfo();
    writeJsonFile(a.json, doc);
  }
  Table t({"<input", "class", "p_ref_class", "p_found_class", "<probabilities"});
  t.addRow({"reference", std::to_string(r.class0), fmt::format("{:.4f}", r.p0[r.class0]),
            fmt::format("{:.4f}", r.p0[r.found_class]), probs(r.p0)});
  if (r.x.size() == n) {
    t.addRow({"found (" + r.found_by + ")", std::to_string(r.found_class),
              fmt::format("{:.4f}", r.p[r.class0]), fmt::format("{:.4f}", r.p[r.found_class]),
              probs(r.p)});
  }
  t.print();
  std::string milp = "-";
  for (const auto& m : r.milps) {
    milp = fmt::format("{}{} ({} bin, {} nodes, {:.1f}s)", milp == "-" ? "" : milp + "; ",
                       m.termination, m.binaries, m.nodes, m.wall_s);
  }
  Table s({"<objective", "value", "bound", "gap", "time_s", "<bounds", "<milp"});
  s.addRow({std::string(verify::pvObjectiveName(r.objective)), fmt::format("{:.6g}", r.value),
            fmt::format("{:.6g}", r.bound), fmt::format("{:.2f}%", 100.0 * r.gap),
            fmt::format("{:.1f}", r.wall_s),
            fmt::format("{} over {} {:.1f}s", r.bounds_method, r.bounds_over, r.bounds_s), milp});
  s.print();
  std::printf(
      "value: exact objective at the found input; bound: valid upper bound (MILP dual bound); "
      "gap = (bound - value) / max(|value|, 1e-10)%s\n",
      r.objective == verify::PvObjective::kSoftmaxL1
          ? fmt::format("; softmax PWL error <= {:.2e} per class a priori, {:.2e} at the MILP "
                        "point",
                        r.approx_error, r.observed_error)
                .c_str()
          : "");
}

}  // namespace

void addAdversarialCommands(CLI::App& app, GlobalOptions& g) {
  auto aa = std::make_shared<AdversarialArgs>();
  CLI::App* c = app.add_subcommand(
      "adversarial",
      "the thesis's PV: the largest change of the output over a domain around a reference "
      "(exact value at the input found, valid upper bound, gap)");
  c->add_option("network", aa->network, "network (.onnx)")->required();
  c->add_option("--domain", aa->domain, kDomainHelp)->required();
  c->add_option("--reference", aa->reference,
                "reference input x0 (MNIST test index or text file; default: the domain's REF, "
                "else the box centre)");
  c->add_option("--objective", aa->objective,
                "softmax-l1: ||softmax(z(x)) - softmax(z(x0))||_1 (a sound PWL over-approximation"
                " of softmax; a network without a softmax layer gets softmax applied to its "
                "outputs) | logit-l1: ||z(x) - z(x0)||_1 (exact) | margin: max_j z_j - z_c, c = "
                "class of x0 (exact)")
      ->check(CLI::IsMember({"softmax-l1", "logit-l1", "margin"}))
      ->capture_default_str();
  c->add_option("--method", aa->method,
                "bound tier of the big-M constants: naive|interval|symbolic|alpha|lp|milp, or "
                "milp-img (milp over the query domain, whatever --bounds-domain says)")
      ->check(CLI::IsMember({"naive", "interval", "symbolic", "alpha", "lp", "milp", "milp-img"}))
      ->capture_default_str();
  c->add_option("--bounds-domain", aa->bounds_domain,
                "full: bounds over [0,1]^n (the thesis) | query: over the domain")
      ->check(CLI::IsMember({"full", "query"}))
      ->capture_default_str();
  addTimeLimitOption(*c, aa->time_limit,
                     "seconds for everything (bounds <= half, attack <= a tenth, MILPs the rest;"
                     " with --bounds-time-limit: for attack and MILPs after the bounds)");
  c->add_option("--bounds-time-limit", aa->bounds_time_limit,
                "seconds for the bound tier alone (replaces its half share of --time-limit)")
      ->check(positiveReal(kMaxSeconds));
  c->add_option("--threads", aa->threads, "threads of the bound tiers (1 to 256)")
      ->check(intRange(1, kMaxThreads))
      ->capture_default_str();
  c->add_option("--segments", aa->segments,
                "softmax-l1: chord pieces of 1/p per class (1 to 10000)")
      ->check(intRange(1, 10000))
      ->capture_default_str();
  c->add_option("--tangent-step", aa->tangent_step,
                "softmax-l1: spacing of the exp tangents (0.001 to 10)")
      ->check(realRange(0.001, 10.0))
      ->capture_default_str();
  c->add_option("--seed", aa->seed, "attack seed")->check(seedValue())->capture_default_str();
  c->add_flag("--no-attack", aa->no_attack,
              "no attack before the MILP: the value comes from the box centre and the MILP's "
              "incumbents alone (the thesis's setting)");
  c->add_option("--json", aa->json, "JSON report");
  c->add_option("--png-dir", aa->png_dir,
                "reference.png, found.png and difference.png (square image inputs); created when "
                "missing");
  c->callback([aa, &g] { runAdversarial(*aa, g); });
}

}  // namespace nnmip::cli
