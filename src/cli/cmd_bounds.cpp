// nnmip bounds | export-mps: activation bounds of a network over an input domain, and the
// big-M model of a network written as MPS/LP.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "bounds/bounder.hpp"
#include "bounds/bounds_io.hpp"
#include "bounds/box.hpp"
#include "cli/commands.hpp"
#include "cli/datasets.hpp"
#include "cli/domain_spec.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "data/vnnlib.hpp"
#include "encode/bigm.hpp"
#include "encode/compact.hpp"
#include "mip/solver.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip::cli {
namespace {

std::string fmtNum(double v) { return fmt::format("{:.4g}", v); }

bool isMethodName(const std::string& m) {
  for (const char* name : {"naive", "interval", "symbolic", "alpha", "lp", "milp"}) {
    if (m == name) return true;
  }
  return false;
}

void printStats(const std::string& method, const std::vector<bounds::LayerStats>& stats,
                double wall_s) {
  fmt::print("method: {}  (wall {:.3f} s)\n", method, wall_s);
  Table t({"layer", "neurons", "mean_width", "max_width", "active", "inactive", "unstable", "LPs",
           "MILPs", "failed", "simplex_iters", "time_s"});
  for (const auto& s : stats) {
    t.addRow({s.logits ? fmt::format("{} (logits)", s.layer + 1) : std::to_string(s.layer + 1),
              std::to_string(s.size), fmtNum(s.mean_width), fmtNum(s.max_width),
              s.relu ? std::to_string(s.stable_active) : "-",
              s.relu ? std::to_string(s.stable_inactive) : "-",
              s.relu ? std::to_string(s.unstable) : "-", std::to_string(s.lps),
              std::to_string(s.milps), std::to_string(s.failed), std::to_string(s.lp_iterations),
              fmt::format("{:.3f}", s.time_s)});
  }
  t.print();
}

struct BoundsArgs {
  std::string network;
  std::string method = "symbolic";
  std::string domain = "box:0,1";
  std::string bounds_domain = "query";
  int threads = 1;
  std::optional<double> time_limit;  // none: no limit
  std::string output;
  std::string compare;
  std::string lp_backend = "clp";
  int milp_max_binaries = 0;
  std::string stable_form = "composed";
  bool pure = false;
  int alpha_iterations = bounds::AlphaOptions{}.iterations;
};

bounds::Box boundsBox(const BoundsArgs& a, const bounds::Box& query, int n) {
  if (a.bounds_domain == "full") return bounds::Box::uniform(n, 0.0, 1.0);
  if (a.bounds_domain == "query") return query;
  fail(ErrorKind::kUsage, "--bounds-domain must be full or query, got '{}'", a.bounds_domain);
}

void runBounds(const BoundsArgs& a, GlobalOptions& g) {
  // Options and the output path first: nothing is computed for a run that cannot finish.
  std::vector<std::string> methods = {a.method};
  if (!a.compare.empty()) {
    methods = splitComma(a.compare);
    if (methods.size() != 2) fail(ErrorKind::kUsage, "--compare expects two methods, e.g. lp,milp");
  }
  for (const std::string& m : methods) {
    if (!isMethodName(m)) {
      fail(ErrorKind::kUsage, "{} '{}': expected naive, interval, symbolic, alpha, lp or milp",
           a.compare.empty() ? "--method" : "--compare", m);
    }
  }
  checkOutputPath(a.output, "-o");
  const nn::Network net = nn::readOnnx(a.network);
  const bounds::Box query = parseDomain(a.domain, net.inputSize(), g);
  const bounds::Box box = boundsBox(a, query, net.inputSize());
  const std::string domain_desc =
      a.bounds_domain == "full" ? fmt::format("full [0,1]^{} (query {})", net.inputSize(), a.domain)
                                : a.domain;
  const Timer clock;
  std::vector<bounds::BoundsResult> results;
  for (const std::string& m : methods) {
    bounds::BoundsOptions o;
    o.method = bounds::parseMethod(m);
    o.symbolic_seed = !a.pure;
    o.solver.threads = a.threads;
    o.solver.lp_backend = a.lp_backend;
    o.solver.max_binaries = a.milp_max_binaries;
    o.solver.stable_form = encode::parseStableForm(a.stable_form);
    o.alpha.threads = a.threads;
    o.alpha.iterations = a.alpha_iterations;
    o.solver.time_limit_s = a.time_limit;
    o.alpha.time_limit_s = o.solver.time_limit_s;
    Callbacks cb;
    if (g.verbosity >= 2) {
      cb.on_progress = [&](const ProgressEvent& e) {
        logLine(clock, "info", fmt::format("{} ({}/{})", e.phase, e.done, e.total));
      };
    }
    results.push_back(bounds::computeBounds(net, box, o, cb));
    printStats(m, results.back().stats, results.back().wall_s);
  }
  if (results.size() == 2) {
    fmt::print("relative gap |B_{0} - B_{1}| / (|B_{1}| + 1e-10)\n", methods[0], methods[1]);
    Table t({"layer", "mean_gap_lo", "max_gap_lo", "mean_gap_hi", "max_gap_hi"});
    for (const auto& gp : bounds::compareBounds(results[0].bounds, results[1].bounds)) {
      t.addRow({std::to_string(gp.layer + 1), fmtNum(gp.mean_lo), fmtNum(gp.max_lo),
                fmtNum(gp.mean_hi), fmtNum(gp.max_hi)});
    }
    t.print();
  }
  if (!a.output.empty()) {
    const bounds::BoundsResult& r = results.back();
    bounds::writeBoundsJson(a.output, net, r.bounds, domain_desc, r.stats);
    if (g.verbosity >= 1) logLine(clock, "info", fmt::format("bounds written to {}", a.output));
  }
}

struct ExportArgs {
  std::string network;
  std::string domain = "box:0,1";
  std::string bounds_file;
  std::string method = "symbolic";
  std::string output;
  std::string objective;
  bool relax = false;
  bool output_rows = false;  // the VNN-LIB property's output constraints as rows
  bool logits = false;       // objective and output rows mean the logits of a softmax network
};

// The VNN-LIB property's output constraints (one conjunction) as rows over the outputs.
std::vector<encode::LinearRow> propertyOutputRows(const std::string& domain_spec, int outputs) {
  const std::string prefix = "vnnlib:";
  if (domain_spec.rfind(prefix, 0) != 0) {
    fail(ErrorKind::kUsage, "--output-rows needs --domain vnnlib:FILE");
  }
  const std::string file = domain_spec.substr(prefix.size());
  const data::VnnlibProperty p = data::readVnnlib(file);
  if (p.num_outputs != outputs) {
    fail(ErrorKind::kInvalidInput, "{}: {} outputs declared but the network has {}", file,
         p.num_outputs, outputs);
  }
  if (p.unsafe_disjuncts.size() != 1) {
    fail(ErrorKind::kUnsupported,
         "{}: --output-rows takes one conjunction of output constraints, "
         "the property has {} disjuncts",
         file, p.unsafe_disjuncts.size());
  }
  std::vector<encode::LinearRow> rows;
  for (const data::LinearAtom& atom : p.unsafe_disjuncts[0]) {
    encode::LinearRow r;
    r.coef = Eigen::Map<const Eigen::VectorXd>(atom.coef.data(),
                                               static_cast<Eigen::Index>(atom.coef.size()));
    r.hi = atom.rhs;
    rows.push_back(std::move(r));
  }
  return rows;
}

void runExport(const ExportArgs& a, GlobalOptions& g) {
  if (!isMethodName(a.method)) {
    fail(ErrorKind::kUsage, "--method '{}': expected naive, interval, symbolic, alpha, lp or milp",
         a.method);
  }
  checkOutputFile(a.output, "-o");
  {
    std::string ext = std::filesystem::path(a.output).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".mps" && ext != ".lp") {
      fail(ErrorKind::kUsage, "-o {}: expected a file name ending in .mps or .lp", a.output);
    }
  }
  if (!a.bounds_file.empty()) checkInputFile(a.bounds_file, kMaxTextInputBytes);
  const nn::Network net = nn::readOnnx(a.network);
  const bounds::Box query = parseDomain(a.domain, net.inputSize(), g);
  bounds::NetworkBounds nb;
  if (!a.bounds_file.empty()) {
    nb = bounds::readBoundsJson(a.bounds_file, net);
    if (!nb.input.contains(query.lo) || !nb.input.contains(query.hi)) {
      fail(ErrorKind::kInvalidInput,
           "{}: its bounds hold on a domain that does not contain the query domain '{}'",
           a.bounds_file, a.domain);
    }
  } else {
    bounds::BoundsOptions o;
    o.method = bounds::parseMethod(a.method);
    nb = bounds::computeBounds(net, query, o).bounds;
  }
  const bool softmax = net.layer(net.numLayers() - 1).activation == nn::Activation::kSoftmax;
  encode::Domain domain(query);
  domain.outputs_are_logits = a.logits;
  if (a.output_rows) domain.output_rows = propertyOutputRows(a.domain, net.outputSize());
  domain.validate(net, a.network);
  mip::Model model;
  encode::EncodeOptions eo;
  eo.relax = a.relax;
  const encode::EncodedNetwork enc = encode::encodeNetwork(model, net, domain, nb, eo);
  if (!a.objective.empty()) {
    if (softmax && !a.logits) {
      fail(ErrorKind::kUnsupported,
           "{}: the network ends in softmax; an output objective would "
           "be on its logits, not its probabilities (pass --logits to mean the logits)",
           a.network);
    }
    const size_t colon = a.objective.find(':');
    const std::string sense = a.objective.substr(0, colon);
    const std::string index = colon == std::string::npos ? "" : a.objective.substr(colon + 1);
    int k = -1;
    const auto [p, ec] = std::from_chars(index.data(), index.data() + index.size(), k);
    if (ec != std::errc() || p != index.data() + index.size()) k = -1;
    if ((sense != "max" && sense != "min") || k < 0 || k >= net.outputSize()) {
      fail(ErrorKind::kUsage, "--objective expects max:K or min:K with 0 <= K < {}",
           net.outputSize());
    }
    model.setObjective(sense == "max" ? mip::Sense::kMaximize : mip::Sense::kMinimize,
                       {{enc.outputs[static_cast<size_t>(k)], 1.0}});
  }
  mip::writeModelFile(model, a.output);
  if (g.verbosity >= 1) {
    fmt::print(stderr, "wrote {}: {} columns ({} binaries), {} rows\n", a.output, model.numVars(),
               model.numIntegerVars(), model.numRows());
  }
}

}  // namespace

void addBoundsCommands(CLI::App& app, GlobalOptions& g) {
  auto ba = std::make_shared<BoundsArgs>();
  CLI::App* b = app.add_subcommand("bounds", "activation bounds of every neuron over a domain");
  b->add_option("network", ba->network, "network (.onnx)")->required();
  b->add_option("--method", ba->method, "naive|interval|symbolic|alpha|lp|milp (default symbolic)");
  b->add_option("--alpha-iterations", ba->alpha_iterations,
                "alpha: gradient steps on the relaxation slopes per layer (default 50, at most "
                "100000)")
      ->check(intRange(0, 100000));
  b->add_option("--domain", ba->domain, kDomainHelp);
  b->add_option("--bounds-domain", ba->bounds_domain,
                "domain the bounds are computed over: query (--domain, default) or full "
                "([0,1]^n, as the thesis)");
  b->add_option("--threads", ba->threads, "worker threads (each its own LP/MILP; 1 to 256)")
      ->check(intRange(1, kMaxThreads));
  addTimeLimitOption(*b, ba->time_limit,
                     "total seconds for lp/milp, spread over layers growing with depth "
                     "(default: no limit)");
  b->add_option("-o,--output", ba->output, "write the bounds as JSON (its folder must exist)");
  b->add_option("--compare", ba->compare, "two methods, e.g. lp,milp: both tables and the gap");
  b->add_option("--lp-backend", ba->lp_backend,
                "clp (default: restart per objective on wide LPs, warm otherwise), clp-warm, "
                "clp-restart, or clp-cold (rebuild per solve)")
      ->check(CLI::IsMember({"clp", "clp-warm", "clp-restart", "clp-cold"}));
  b->add_option("--milp-max-binaries", ba->milp_max_binaries,
                "milp: partial MILPs, each neuron's keeping the binaries of the K earlier "
                "neurons whose relaxation loosens it most (between lp and milp; default 0: the "
                "full MILP)")
      ->check(intRange(0, std::numeric_limits<int>::max()));
  b->add_option("--stable-form", ba->stable_form,
                "lp/milp: stably active neurons in the models: composed (substituted back to "
                "the inputs; the default), columns (a column each: sparse rows on deep nets, LP "
                "bounds can only tighten) or sparser (the one with fewer nonzeros)")
      ->check(CLI::IsMember({"composed", "columns", "sparser"}));
  b->add_flag("--pure", ba->pure, "lp/milp seeded with interval bounds only (no symbolic)");
  b->callback([ba, &g] { runBounds(*ba, g); });

  auto ea = std::make_shared<ExportArgs>();
  CLI::App* e = app.add_subcommand("export-mps", "write the big-M model of a network (MPS/LP)");
  e->add_option("network", ea->network, "network (.onnx)")->required();
  e->add_option("--domain", ea->domain, kDomainHelp);
  e->add_option("--bounds", ea->bounds_file, "bounds file from `nnmip bounds -o` (checked)");
  e->add_option("--method", ea->method, "bounds method when no --bounds (default symbolic)");
  e->add_option("--objective", ea->objective, "max:K or min:K on output K (default none)");
  e->add_flag("--relax", ea->relax, "write the LP relaxation (binaries continuous)");
  e->add_flag("--output-rows", ea->output_rows,
              "with --domain vnnlib:FILE, the property's output constraints as rows");
  e->add_flag("--logits", ea->logits,
              "on a softmax-ended network, the objective and output rows mean its logits");
  e->add_option("-o,--output", ea->output, "model.mps or model.lp")->required();
  e->callback([ea, &g] { runExport(*ea, g); });
}

}  // namespace nnmip::cli
