// Binary-activation networks (Bah & Kurtz): nnmip.bdnn.train / predict / evaluate /
// perturbations over numpy arrays.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "bdnn/engine.hpp"
#include "bdnn/exact_trainer.hpp"
#include "bdnn/heuristic.hpp"
#include "bdnn/options.hpp"
#include "bdnn/robust.hpp"
#include "bdnn/step_net.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "mip/result.hpp"

namespace nnmip::python {

data::Dataset datasetFrom(const Eigen::MatrixXd& X, py::handle y, const std::string& name);
py::array_t<long long> classesTo(const std::vector<int>& y);

namespace {

using Mat = Eigen::MatrixXd;

bdnn::ThresholdMode parseThreshold(const std::string& s) {
  if (s == "learn" || s == "layer") return bdnn::ThresholdMode::kLayer;
  if (s == "neuron") return bdnn::ThresholdMode::kNeuron;
  if (s == "zero") return bdnn::ThresholdMode::kZero;
  fail(ErrorKind::kInvalidInput, "threshold '{}': expected learn, neuron or zero", s);
}

bdnn::WeightDomain parseWeights(const std::string& s) {
  if (s == "continuous") return bdnn::WeightDomain::kContinuous;
  if (s == "pm1") return bdnn::WeightDomain::kBinaryPm1;
  if (s == "01") return bdnn::WeightDomain::kBinary01;
  if (s == "ternary") return bdnn::WeightDomain::kTernary;
  fail(ErrorKind::kInvalidInput, "weights '{}': expected continuous, pm1, 01 or ternary", s);
}

py::dict evalDict(const bdnn::Evaluation& e) {
  py::dict d;
  d["points"] = e.points;
  d["errors"] = e.errors;
  d["band_points"] = e.band_points;
  d["thin_margin"] = e.thin_margin;
  d["margin_errors"] = e.margin_errors;
  d["accuracy"] = e.accuracy;
  return d;
}

py::object numOrNone(double v) { return std::isfinite(v) ? py::object(py::float_(v)) : py::none(); }

}  // namespace

void bindBdnn(py::module_& root) {
  py::module_ m = root.def_submodule(
      "bdnn", "Networks with binary (step) activations trained by MILP or heuristics.");

  m.def(
      "train",
      [](const Mat& X, py::object y, int hidden, const std::string& method,
         const std::string& threshold, const std::string& weights, double robust_radius,
         double time_limit, uint64_t seed, double margin, int restarts, double lp_margin,
         const std::string& start, bool isolate,
         const std::map<std::string, std::string>& backend_options, const std::string& output,
         int threads, py::object log, py::object progress) {
        const data::Dataset ds = datasetFrom(X, y, "train");
        if (!(time_limit > 0.0)) {
          fail(ErrorKind::kInvalidInput, "time_limit must be positive, got {}", time_limit);
        }
        bdnn::BdnnOptions o;
        o.hidden = {hidden};
        o.threshold = parseThreshold(threshold);
        o.weights = parseWeights(weights);
        o.margin = margin;
        o.robust_radius = robust_radius;
        if (output == "argmax") {
          o.output = bdnn::OutputMode::kArgmax;
        } else if (output != "step") {
          fail(ErrorKind::kInvalidInput, "output '{}': expected step or argmax", output);
        }
        bdnn::HeuristicOptions ho;
        ho.restarts = restarts;
        ho.seed = seed;
        ho.lp_margin = lp_margin;
        ho.time_limit_s = time_limit;
        if (method != "heuristic" && method != "milp" && method != "engine") {
          fail(ErrorKind::kInvalidInput, "method '{}': expected heuristic, milp or engine", method);
        }
        if (start != "constant" && start != "heuristic") {
          fail(ErrorKind::kInvalidInput, "start '{}': expected constant or heuristic", start);
        }
        struct Raw {
          nn::Network net;
          bdnn::Evaluation eval;
          std::optional<bdnn::HeuristicResult> heur;
          std::optional<bdnn::ExactResult> exact;
          std::optional<bdnn::EngineResult> engine;
        };
        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              Raw raw;
              if (method == "heuristic") {
                raw.heur = bdnn::trainHeuristic(ds, o, ho, cb);
                raw.net = raw.heur->net;
                raw.eval = raw.heur->train_eval;
              } else if (method == "milp") {
                bdnn::ExactOptions ex;
                ex.time_limit_s = time_limit;
                ex.threads = threads;
                ex.backend_options = backend_options;
                if (start == "heuristic") {
                  ho.time_limit_s = std::min(time_limit, ho.time_limit_s);
                  ex.start = bdnn::trainHeuristic(ds, o, ho, cb).params;
                } else {
                  ex.start = bdnn::constantClassifier(ds, o);
                }
                raw.exact = bdnn::trainExact(ds, o, ex, cb);
                raw.net = raw.exact->net;
                raw.eval = raw.exact->train_eval;
              } else {
                bdnn::EngineOptions eo;
                eo.time_limit_s = time_limit;
                eo.heuristic = ho;
                eo.seed = seed;
                eo.threads = threads;
                eo.isolate_milp = isolate;
                eo.backend_options = backend_options;
                eo.start = start == "constant" ? bdnn::EngineStart::kConstant
                                               : bdnn::EngineStart::kHeuristic;
                raw.engine = bdnn::trainEngine(ds, o, eo, cb);
                raw.net = raw.engine->net;
                raw.eval = raw.engine->train_eval;
              }
              return raw;
            },
            Hooks{log, progress});
        const Raw& r = out.value;
        py::dict rep;
        rep["method"] = method;
        rep["train"] = evalDict(r.eval);
        rep["train_accuracy"] = r.eval.accuracy;
        if (r.heur) {
          // The heuristic proves nothing: no bound; its count is the forward pass's own.
          rep["errors"] = r.heur->train_eval.margin_errors;
          rep["bound"] = py::none();
          rep["gap"] = py::none();
          rep["forward_check_ok"] = py::none();
          rep["restart_errors"] = r.heur->restart_errors;
          rep["passes"] = r.heur->passes;
          rep["lp_solves"] = r.heur->lp_solves;
          rep["wall_s"] = r.heur->wall_s;
          rep["status"] = "heuristic";
        } else if (r.exact) {
          const bdnn::ExactResult& e = *r.exact;
          rep["errors"] = e.has_solution ? py::object(py::int_(e.milp_errors)) : py::none();
          rep["objective"] = numOrNone(e.objective);
          rep["bound"] = numOrNone(e.best_bound);
          rep["gap"] = numOrNone(e.gap);
          rep["forward_check_ok"] = e.forward_check_ok;
          rep["has_solution"] = e.has_solution;
          rep["status"] =
              std::string(mip::terminationName(e.termination)) +
              (e.limit != mip::Limit::kNone ? std::string(" (") + mip::limitName(e.limit) + ")"
                                            : std::string());
          rep["nodes"] = e.nodes;
          rep["vars"] = e.vars;
          rep["binaries"] = e.binaries;
          rep["rows"] = e.rows;
          rep["wall_s"] = e.wall_s;
        } else {
          const bdnn::EngineResult& e = *r.engine;
          rep["errors"] = numOrNone(e.objective);
          rep["bound"] = e.bound;
          rep["gap"] = numOrNone(e.gap);
          rep["gap_formula"] = e.gap_formula;
          rep["forward_check_ok"] = e.forward_check_ok;
          rep["status"] = e.stopped_by;
          rep["start_errors"] = e.start_errors;
          rep["lns_rounds"] = e.lns.size();
          rep["milp_run"] = e.milp_run;
          rep["milp_killed"] = e.milp_killed;
          rep["wall_s"] = e.wall_s;
        }
        if (r.net.numLayers() == 0) {
          return finish(py::make_tuple(py::none(), rep), out.interrupted, "bdnn.train");
        }
        return finish(py::make_tuple(r.net, rep), out.interrupted, "bdnn.train");
      },
      py::arg("X"), py::arg("y"), py::arg("hidden") = 25, py::arg("method") = "heuristic",
      py::arg("threshold") = "learn", py::arg("weights") = "continuous",
      py::arg("robust_radius") = 0.0, py::arg("time_limit") = 600.0, py::arg("seed") = 1,
      py::arg("margin") = 1e-3, py::arg("restarts") = 5, py::arg("lp_margin") = 0.05,
      py::arg("start") = "constant", py::arg("isolate") = true,
      py::arg("backend_options") = std::map<std::string, std::string>{}, py::arg("output") = "step",
      py::arg("threads") = 1, py::arg("log") = py::none(), py::arg("progress") = py::none(),
      R"(Trains a one-hidden-layer step network on rows of X with labels y (0/1 for the step
output, classes for output='argmax'). method: 'heuristic' (mountain climbing), 'milp' (the exact
training MILP from `start`), 'engine' (heuristic + LNS + full MILP under one wall clock; with
isolate=True its full MILP runs in a forked child killed at the deadline). Returns
(step_net, {'errors', 'bound', 'gap', 'forward_check_ok', 'train', 'status', ...}).)");

  m.def(
      "predict",
      [](const nn::Network& net, const Mat& X) {
        std::vector<int> c;
        {
          py::gil_scoped_release release;
          c = bdnn::predictBdnn(net, X);
        }
        return classesTo(c);
      },
      py::arg("net"), py::arg("X"), "Class per row of X.");

  m.def(
      "evaluate",
      [](const nn::Network& net, const Mat& X, py::object y, double margin) {
        return evalDict(bdnn::evaluate(net, datasetFrom(X, y, "data"), margin));
      },
      py::arg("net"), py::arg("X"), py::arg("y"), py::arg("margin") = 1e-3,
      "Forward-pass errors with the MILP's margin convention (band points, margin errors).");

  m.def(
      "perturbations",
      [](const nn::Network& net, const Mat& X, py::object y, double radius, int samples,
         uint64_t seed, bool worst_case, double attack_time_limit) {
        const data::Dataset ds = datasetFrom(X, y, "data");
        bdnn::PerturbationOptions po;
        po.samples = samples;
        po.seed = seed;
        po.worst_case = worst_case;
        po.attack_time_limit_s = attack_time_limit;
        bdnn::PerturbationReport r;
        {
          py::gil_scoped_release release;
          r = bdnn::evaluatePerturbations(net, ds, radius, po);
        }
        py::dict d;
        d["points"] = r.points;
        d["radius"] = r.radius;
        d["clean_accuracy"] = r.clean_accuracy;
        d["random_accuracy"] = r.random_accuracy;
        d["certified_accuracy"] = numOrNone(r.certified_accuracy);
        d["attacked_accuracy"] = numOrNone(r.attacked_accuracy);
        d["certified_by_stability"] = r.certified_by_stability;
        d["attacks_found"] = r.attacks_found;
        d["unknown"] = r.unknown;
        return d;
      },
      py::arg("net"), py::arg("X"), py::arg("y"), py::arg("radius"), py::arg("samples") = 100,
      py::arg("seed") = 1, py::arg("worst_case") = true, py::arg("attack_time_limit") = 10.0,
      "Accuracy under ||delta||_inf <= radius: random, certified and attacked (bdnn/robust.hpp).");
}

}  // namespace nnmip::python
