#include "experiments/main_run.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/step_net.hpp"
#include "bounds/bounder.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_number.hpp"
#include "core/rng.hpp"
#include "core/version.hpp"
#include "data/csv_io.hpp"
#include "data/mnist.hpp"
#include "data/synthetic.hpp"
#include "data/vnnlib.hpp"
#include "encode/domain.hpp"
#include "experiments/report.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"
#include "verify/engine.hpp"
#include "verify/outputs.hpp"
#include "verify/pv.hpp"
#include "verify/result.hpp"

namespace nnmip::experiments {
namespace {

const char* const kMnistFcNets[] = {"mnist-net_256x2", "mnist-net_256x4", "mnist-net_256x6"};
// Test accuracies VNN-COMP states for the mnist_fc networks.
const double kStatedAccuracy[] = {0.9808, 0.9764, 0.9689};

ModelRow describe(const nn::Network& net, const std::string& name) {
  ModelRow row;
  row.name = name;
  row.sizes = net.sizes();
  row.parameters = net.parameterCount();
  row.relus = net.hiddenReluCount();
  return row;
}

// Breast Cancer Wisconsin when the data directory has it, else the random data set.
data::Split bdnnSplit(const std::optional<std::filesystem::path>& data_dir, std::string& name) {
  if (data_dir) {
    const auto path = *data_dir / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data";
    if (std::filesystem::exists(path)) {
      name = "bcw";
      return data::shuffleSplit(data::readBreastCancerWisconsin(path), 0.8, 1);
    }
  }
  name = "random";
  return data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
}

// The reference point of the tour without data: the first test point of the random data set.
Eigen::VectorXd syntheticReference() {
  const data::Split split = data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
  return split.test.X.row(0).transpose();
}

// "The class predicted at x stays the predicted class" over the box x0 +- radius in [0,1]^n:
// unsafe when some other output reaches it (Y_c - Y_j <= 0).
data::VnnlibProperty robustnessProperty(const nn::Network& net, const Eigen::VectorXd& x0,
                                        double radius) {
  data::VnnlibProperty p;
  p.num_inputs = static_cast<int>(x0.size());
  p.num_outputs = net.outputSize();
  for (int i = 0; i < x0.size(); ++i) {
    p.input_lo.push_back(std::max(0.0, x0[i] - radius));
    p.input_hi.push_back(std::min(1.0, x0[i] + radius));
  }
  p.input_boxes.push_back({p.input_lo, p.input_hi});
  const Eigen::VectorXd y = nn::forward(net, x0);
  int c = 0;
  y.maxCoeff(&c);
  for (int j = 0; j < p.num_outputs; ++j) {
    if (j == c) continue;
    data::LinearAtom a;
    a.coef.assign(static_cast<size_t>(p.num_outputs), 0.0);
    a.coef[static_cast<size_t>(c)] = 1.0;
    a.coef[static_cast<size_t>(j)] = -1.0;
    p.unsafe_disjuncts.push_back({a});
  }
  return p;
}

}  // namespace

void to_json(nlohmann::json& j, const VerifyRow& r) {
  j = {{"property", r.property},
       {"result", r.result},
       {"reason", r.reason},
       {"seconds", r.seconds},
       {"pngs", r.pngs}};
}
void to_json(nlohmann::json& j, const VerifyPhase& p) {
  j = {{"network", p.network}, {"rows", p.rows}};
}
void to_json(nlohmann::json& j, const PvPhase& p) {
  j = {{"network", p.network},
       {"domain", p.domain},
       {"tier", p.tier},
       {"objective", p.objective},
       {"value", jsonNumber(p.value)},
       {"bound", jsonNumber(p.bound)},
       {"gap", jsonNumber(p.gap)},
       {"seconds", p.seconds},
       {"found_by", p.found_by},
       {"pngs", p.pngs}};
}

void to_json(nlohmann::json& j, const ModelRow& r) {
  j = {{"name", r.name}, {"sizes", r.sizes}, {"parameters", r.parameters}, {"relus", r.relus}};
  if (!std::isnan(r.train_accuracy)) {
    j["train_accuracy"] = r.train_accuracy;
    j["test_accuracy"] = jsonNumber(r.accuracy);
  } else {
    j["accuracy"] = jsonNumber(r.accuracy);
    j["stated_accuracy"] = jsonNumber(r.stated_accuracy);
  }
}

void to_json(nlohmann::json& j, const ModelsPhase& p) {
  j = {{"dataset", p.dataset}, {"test_samples", p.test_samples}, {"networks", p.networks}};
}

void to_json(nlohmann::json& j, const BoundsRow& r) {
  const bounds::LayerStats& s = r.stats;
  j = {{"method", r.method},
       {"layer", s.layer + 1},
       {"mean_width", s.mean_width},
       {"max_width", s.max_width},
       {"stable_active", s.stable_active},
       {"stable_inactive", s.stable_inactive},
       {"unstable", s.unstable},
       {"lps", s.lps},
       {"time_s", s.time_s}};
}

void to_json(nlohmann::json& j, const BoundsPhase& p) {
  j = {{"network", p.network}, {"domain", p.domain}, {"layers", p.layers}};
}

void to_json(nlohmann::json& j, const BdnnRow& r) {
  j = {{"method", r.method},
       {"d1", r.d1},
       {"train_points", r.train_points},
       {"train_acc", jsonNumber(r.train_accuracy)},
       {"test_acc", jsonNumber(r.test_accuracy)},
       {"status", r.status},
       {"gap", jsonNumber(r.gap)},
       {"time_s", r.seconds}};
}

void to_json(nlohmann::json& j, const BdnnPhase& p) {
  j = {{"dataset", p.dataset}, {"rows", p.rows}};
}

MainRun::MainRun(MainRunOptions options, Callbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {
  std::filesystem::create_directories(options_.out_dir);
  summary_["schema"] = "nnmip.run/1";
  summary_["tool"] = toolInfo();
  summary_["data_dir"] = options_.data_dir ? options_.data_dir->string() : "";
}

void MainRun::finishPhase(const std::string& name, nlohmann::json result) {
  result["elapsed_s"] = clock_.seconds();
  summary_["phases"][name] = std::move(result);
  writeFileAtomic(summaryPath(), summary_.dump(2) + "\n");
}

void MainRun::log(const std::string& message) const { callbacks_.log(Level::kInfo, message); }

// Without data: the Bah & Kurtz random set, a 2x20 ReLU network trained on 80% of it.
ModelsPhase MainRun::trainSyntheticModel() {
  const data::Split split = data::shuffleSplit(data::makeRandomOverlap(100, 200, 1), 0.8, 1);
  Rng rng(1);
  nn::Network net = train::makeMlp(100, {20, 20}, 2, true, rng);
  train::TrainOptions options;
  options.epochs = 60;
  options.batch_size = 16;
  log("models: training a 100-20-20-2 ReLU network on the random data set");
  Timer timer;
  train::train(net, split.train, nullptr, options);
  net.name = "relu_random_20x2";
  ModelRow row = describe(net, net.name);
  row.train_accuracy = train::evaluateAccuracy(net, split.train);
  row.accuracy = train::evaluateAccuracy(net, split.test);
  row.seconds = timer.seconds();
  nn::writeOnnx(net, (options_.out_dir / "relu_random_20x2.onnx").string());
  bounds_net_ = net;
  bounds_net_name_ = net.name;
  ModelsPhase phase{"random", split.test.size(), {row}};
  finishPhase("models", phase);
  return phase;
}

ModelsPhase MainRun::runModels() {
  if (!options_.data_dir) return trainSyntheticModel();
  const std::filesystem::path onnx_dir = *options_.data_dir / "vnncomp" / "mnist_fc" / "onnx";
  log("models: reading MNIST test set");
  const data::Dataset test = data::readMnist(*options_.data_dir, false);
  ModelsPhase phase;
  phase.dataset = "mnist-test";
  phase.test_samples = test.size();
  for (size_t i = 0; i < std::size(kMnistFcNets); ++i) {
    const auto path = onnx_dir / (std::string(kMnistFcNets[i]) + ".onnx");
    if (!std::filesystem::exists(path)) {
      log(fmt::format("models: {} not found, skipped", path.string()));
      continue;
    }
    Timer timer;
    const nn::Network net = nn::readOnnx(path.string());
    ModelRow row = describe(net, kMnistFcNets[i]);
    row.accuracy = data::accuracy(nn::predictClasses(net, test.X), test.y);
    row.stated_accuracy = kStatedAccuracy[i];
    row.seconds = timer.seconds();
    phase.networks.push_back(row);
    if (i == 0) {
      bounds_net_ = net;
      bounds_net_name_ = kMnistFcNets[i];
    }
  }
  finishPhase("models", phase);
  return phase;
}

std::optional<BoundsPhase> MainRun::runBounds() {
  if (!bounds_net_) return std::nullopt;
  const nn::Network& net = *bounds_net_;
  bounds::Box box = bounds::Box::uniform(net.inputSize(), 0.0, 1.0);
  BoundsPhase phase;
  phase.network = bounds_net_name_;
  phase.domain = fmt::format("[0,1]^{}", net.inputSize());
  if (options_.data_dir) {
    const auto prop = *options_.data_dir / "vnncomp" / "mnist_fc" / "vnnlib" / "prop_0_0.03.vnnlib";
    if (std::filesystem::exists(prop)) {
      const data::VnnlibProperty p = data::readVnnlib(prop.string());
      box = bounds::Box(p.input_lo, p.input_hi, prop.string());
      phase.domain = "box of prop_0_0.03.vnnlib";
    }
  }
  for (bounds::Method method : {bounds::Method::kNaive, bounds::Method::kInterval,
                                bounds::Method::kSymbolic, bounds::Method::kLp}) {
    bounds::BoundsOptions bo;
    bo.method = method;
    bo.solver.threads = options_.threads;
    log(fmt::format("bounds: {} on {}", bounds::methodName(method), bounds_net_name_));
    const bounds::BoundsResult r = bounds::computeBounds(net, box, bo);
    for (const bounds::LayerStats& s : r.stats) {
      if (s.relu) phase.layers.push_back({bounds::methodName(method), s});
    }
  }
  finishPhase("bounds", phase);
  return phase;
}

// The Bah & Kurtz comparison in small: the heuristic (d1 = 25, learned and zero thresholds),
// the ReLU baseline (25 units, no bias, Adam), and the exact MILP on a 40-point training
// subset (d1 = 3) under a time limit, reporting its dual bound and gap and checking the MILP's
// error count against a forward pass.
BdnnPhase MainRun::runBdnn() {
  BdnnPhase phase;
  const data::Split split = bdnnSplit(options_.data_dir, phase.dataset);
  const std::string& name = phase.dataset;
  for (bdnn::ThresholdMode mode : {bdnn::ThresholdMode::kLayer, bdnn::ThresholdMode::kZero}) {
    bdnn::BdnnOptions o;
    o.hidden = {25};
    o.threshold = mode;
    bdnn::HeuristicOptions ho;
    ho.time_limit_s = 20.0;
    const std::string label = mode == bdnn::ThresholdMode::kZero ? "BDNN0 heur." : "BDNN heur.";
    log(fmt::format("bdnn: {} on {}", label, name));
    const bdnn::HeuristicResult h = bdnn::trainHeuristic(split.train, o, ho);
    phase.rows.push_back({label, 25, split.train.size(), h.train_eval.accuracy,
                          bdnn::evaluate(h.net, split.test, o.margin).accuracy, "heuristic",
                          kNoValue, h.wall_s});
  }
  {
    log(fmt::format("bdnn: ReLU baseline on {}", name));
    Timer timer;
    Rng rng(1);
    nn::Network relu = train::makeMlp(split.train.features(), {25}, 2, /*bias=*/false, rng);
    train::TrainOptions to;
    to.epochs = 100;
    to.batch_size = 32;
    to.train_bias = false;
    train::train(relu, split.train, nullptr, to);
    phase.rows.push_back(
        {"ReLU (no bias)", 25, split.train.size(), train::evaluateAccuracy(relu, split.train),
         train::evaluateAccuracy(relu, split.test), "adam 100 ep", kNoValue, timer.seconds()});
  }
  {
    const data::Dataset subset = split.train.head(40);
    bdnn::BdnnOptions o;
    o.hidden = {3};
    log(fmt::format("bdnn: exact MILP on {} points ({} s limit)", subset.size(),
                    options_.milp_time_limit_s));
    bdnn::ExactOptions ex = bdnn::exactWithLimit(options_.milp_time_limit_s);
    ex.start = bdnn::constantClassifier(subset, o);
    const bdnn::ExactResult r = bdnn::trainExact(subset, o, ex);
    std::string status(mip::terminationName(r.termination));
    if (r.limit != mip::Limit::kNone) status += fmt::format("/{}", mip::limitName(r.limit));
    if (r.has_solution && !r.forward_check_ok) status += " (forward check FAILED)";
    phase.rows.push_back(
        {"BDNN MILP", 3, subset.size(), r.has_solution ? r.train_eval.accuracy : kNoValue,
         r.has_solution ? bdnn::evaluate(r.net, split.test, o.margin).accuracy : kNoValue, status,
         r.gap, r.wall_s});
  }
  finishPhase("bdnn", phase);
  return phase;
}

}  // namespace nnmip::experiments

namespace nnmip::experiments {

std::optional<VerifyPhase> MainRun::runVerify() {
  if (!bounds_net_) return std::nullopt;
  const nn::Network& net = *bounds_net_;
  VerifyPhase phase;
  phase.network = bounds_net_name_;
  std::vector<std::pair<std::string, data::VnnlibProperty>> props;
  const auto dir = options_.data_dir ? *options_.data_dir / "vnncomp" / "mnist_fc" / "vnnlib"
                                     : std::filesystem::path();
  if (options_.data_dir && std::filesystem::exists(dir / "prop_0_0.03.vnnlib")) {
    for (const char* name : {"prop_0_0.03", "prop_0_0.05"}) {
      props.emplace_back(name, data::readVnnlib((dir / (std::string(name) + ".vnnlib")).string()));
    }
  } else {
    const Eigen::VectorXd x0 = syntheticReference();
    for (double r : {0.01, 0.3}) {
      props.emplace_back(fmt::format("robust_point0_r{:g}", r), robustnessProperty(net, x0, r));
    }
  }
  for (const auto& [name, prop] : props) {
    log(fmt::format("verify: {} on {}", name, bounds_net_name_));
    verify::VerifyOptions vo;
    vo.time_limit_s = options_.milp_time_limit_s;
    vo.threads = options_.threads;
    Timer t;
    const verify::Result r = verify::verifyWithEngine(verify::EngineChoice{}, net, prop, vo);
    VerifyRow row;
    row.property = name;
    row.result = verify::statusName(r.status);
    row.reason = r.reason;
    row.seconds = t.seconds();
    for (const auto& png : verify::writeImagePngs(options_.out_dir / ("verify_" + name), prop, r)) {
      row.pngs.push_back(std::filesystem::relative(png, options_.out_dir).string());
    }
    phase.rows.push_back(row);
  }
  finishPhase("verify", phase);
  return phase;
}

std::optional<PvPhase> MainRun::runPv() {
  if (!bounds_net_) return std::nullopt;
  const nn::Network& net = *bounds_net_;
  PvPhase phase;
  phase.network = bounds_net_name_;
  Eigen::VectorXd x0;
  bounds::Box box;
  if (options_.data_dir && std::filesystem::exists(*options_.data_dir / "mnist") &&
      net.inputSize() == 784) {
    x0 = data::readMnist(*options_.data_dir, false).X.row(0).transpose();
    box = bounds::neighboursBox(x0, 28, 28, bounds::NeighboursParams{});
    phase.domain = "neighbours of MNIST test image 0 (eps 0.18)";
  } else {
    x0 = syntheticReference();
    box = bounds::Box((x0.array() - 0.1).max(0.0).matrix(), (x0.array() + 0.1).min(1.0).matrix());
    phase.domain = "box of +-0.1 around the first random-set test point";
  }
  log(fmt::format("pv: softmax-l1, symbolic tier, {} s, on {}", options_.milp_time_limit_s,
                  bounds_net_name_));
  verify::PvOptions o;
  o.objective = verify::PvObjective::kSoftmaxL1;
  o.bounds.method = bounds::Method::kSymbolic;
  o.time_limit_s = options_.milp_time_limit_s;
  Timer t;
  const verify::PvResult r = verify::solvePv(net, encode::Domain(box), x0, o);
  phase.value = r.value;
  phase.bound = r.bound;
  phase.gap = r.gap;
  phase.found_by = r.found_by;
  phase.seconds = t.seconds();
  // reference.png (x0), found.png and difference.png, as `nnmip adversarial --png-dir`.
  data::VnnlibProperty shown_prop;
  shown_prop.num_inputs = static_cast<int>(x0.size());
  const std::vector<double> ref(x0.data(), x0.data() + x0.size());
  shown_prop.input_boxes.push_back({ref, ref});
  verify::Result shown;
  shown.status = verify::Status::kSat;
  shown.counterexample = verify::Counterexample{};
  shown.counterexample->x.assign(r.x.data(), r.x.data() + r.x.size());
  for (auto png : verify::writeImagePngs(options_.out_dir / "pv", shown_prop, shown)) {
    if (png.filename() == "counterexample.png") {
      const auto found = png.parent_path() / "found.png";
      std::filesystem::rename(png, found);
      png = found;
    }
    phase.pngs.push_back(std::filesystem::relative(png, options_.out_dir).string());
  }
  finishPhase("pv", phase);
  return phase;
}

std::filesystem::path MainRun::writeReport() const {
  Report rep(options_.out_dir, "nnmip run: the main job");
  rep.addText(fmt::format("Phases in `run.json` ({:.1f} s so far); data directory: {}.",
                          clock_.seconds(),
                          options_.data_dir ? options_.data_dir->string() : "none (made-up data)"));
  const nlohmann::json& ph = summary_.contains("phases") ? summary_["phases"] : nlohmann::json();
  auto cell = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string("-") : v.dump();
  };
  if (ph.contains("models")) {
    Table t;
    t.header = {"network", "parameters", "test accuracy", "stated"};
    for (const auto& r : ph["models"]["networks"]) {
      t.add({cell(r["name"]), cell(r["parameters"]),
             cell(r.contains("accuracy") ? r["accuracy"] : r["test_accuracy"]),
             cell(r.value("stated_accuracy", nlohmann::json()))});
    }
    rep.addTable("models", "run_models", t);
  }
  if (ph.contains("bounds")) {
    Table t;
    t.header = {"method", "layer", "mean width", "unstable", "time s"};
    std::map<std::string, PlotSeries> series;
    for (const auto& r : ph["bounds"]["layers"]) {
      t.add({cell(r["method"]), cell(r["layer"]), cell(r["mean_width"]), cell(r["unstable"]),
             cell(r["time_s"])});
      PlotSeries& s = series[r["method"].get<std::string>()];
      s.title = r["method"].get<std::string>();
      s.x.push_back(r["layer"].get<double>());
      s.y.push_back(r["mean_width"].get<double>());
    }
    rep.addTable("bounds (" + cell(ph["bounds"]["domain"]) + ")", "run_bounds", t);
    Plot p("run_bound_widths", "Mean bound width per hidden layer and tier", "layer",
           "mean width (hi - lo)");
    p.logy = true;
    for (auto& [m, s] : series) p.series.push_back(s);
    rep.addPlot(p, "Bound tiers on " + cell(ph["bounds"]["network"]));
  }
  if (ph.contains("bdnn")) {
    Table t;
    t.header = {"method", "d1", "test accuracy", "status", "gap"};
    for (const auto& r : ph["bdnn"]["rows"]) {
      t.add({cell(r["method"]), cell(r["d1"]), cell(r["test_acc"]), cell(r["status"]),
             cell(r.value("gap", nlohmann::json()))});
    }
    rep.addTable("bdnn (" + cell(ph["bdnn"]["dataset"]) + ")", "run_bdnn", t);
  }
  if (ph.contains("verify")) {
    Table t;
    t.header = {"property", "result", "seconds", "reason"};
    std::string pngs;
    for (const auto& r : ph["verify"]["rows"]) {
      t.add({cell(r["property"]), cell(r["result"]), cell(r["seconds"]), cell(r["reason"])});
      for (const auto& f : r["pngs"])
        pngs += fmt::format("![{}]({}) ", f.get<std::string>(), f.get<std::string>());
    }
    rep.addTable("verify (" + cell(ph["verify"]["network"]) + ")", "run_verify", t);
    if (!pngs.empty()) rep.addText(pngs);
  }
  if (ph.contains("pv")) {
    const auto& r = ph["pv"];
    Table t;
    t.header = {"network", "domain", "tier", "value", "bound", "gap", "seconds"};
    t.add({cell(r["network"]), cell(r["domain"]), cell(r["tier"]), cell(r["value"]),
           cell(r["bound"]), cell(r["gap"]), cell(r["seconds"])});
    rep.addTable("pv (softmax-l1)", "run_pv", t);
    std::string pngs;
    for (const auto& f : r["pngs"])
      pngs += fmt::format("![{}]({}) ", f.get<std::string>(), f.get<std::string>());
    if (!pngs.empty()) rep.addText(pngs);
  }
  return rep.write();
}

}  // namespace nnmip::experiments
