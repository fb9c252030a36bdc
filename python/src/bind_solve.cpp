// Bounds, linear bounds, VNN-LIB properties, verification, PV and the big-M model:
// nnmip.bounds, linear_bound, read_vnnlib / parse_vnnlib, verify, pv, encode (-> Model).
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bounds/bounder.hpp"
#include "bounds/layer_bounds.hpp"
#include "bounds/linear_bound.hpp"
#include "bounds/propagation.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "data/vnnlib.hpp"
#include "encode/bigm.hpp"
#include "encode/domain.hpp"
#include "mip/model.hpp"
#include "mip/solver.hpp"
#include "nn/attack.hpp"
#include "verify/engine.hpp"
#include "verify/pv.hpp"
#include "verify/result.hpp"
#include "verify/verifier.hpp"

namespace nnmip::python {
namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

// The result of nnmip.bounds: pre-activation bounds per layer with their statistics.
struct PyBounds {
  encode::NetworkBounds bounds;
  std::vector<bounds::LayerStats> stats;
  double wall_s = 0.0;
};

py::dict statsDict(const bounds::LayerStats& s) {
  py::dict d;
  d["layer"] = s.layer;
  d["size"] = s.size;
  d["relu"] = s.relu;
  d["logits"] = s.logits;
  d["mean_width"] = s.mean_width;
  d["max_width"] = s.max_width;
  d["stable_active"] = s.stable_active;
  d["stable_inactive"] = s.stable_inactive;
  d["unstable"] = s.unstable;
  d["lps"] = s.lps;
  d["milps"] = s.milps;
  d["failed"] = s.failed;
  d["lp_iterations"] = s.lp_iterations;
  d["mip_nodes"] = s.mip_nodes;
  d["time_s"] = s.time_s;
  return d;
}

std::optional<double> positiveLimit(std::optional<double> t) {
  if (t && !(*t > 0.0)) fail(ErrorKind::kInvalidInput, "time_limit must be positive, got {}", *t);
  return t;
}

// The same tier and options as `nnmip bounds --method M --threads T [--time-limit S]`.
bounds::BoundsOptions boundsOptions(const std::string& method, std::optional<double> time_limit,
                                    int threads, int alpha_iterations, bool symbolic_seed) {
  bounds::BoundsOptions o;
  o.method = bounds::parseMethod(method);
  o.symbolic_seed = symbolic_seed;
  o.solver.threads = threads;
  o.alpha.threads = threads;
  o.alpha.iterations = alpha_iterations;
  o.solver.time_limit_s = positiveLimit(time_limit);
  o.alpha.time_limit_s = o.solver.time_limit_s;
  return o;
}

// Bounds given by the user: a Bounds object, or [(lo, hi), ...] per layer over the domain's box.
encode::NetworkBounds boundsFrom(py::handle b, const encode::Domain& domain) {
  if (py::isinstance<PyBounds>(b)) return b.cast<const PyBounds&>().bounds;
  encode::NetworkBounds nb;
  nb.input = domain.box;
  nb.method = "user";
  for (py::handle layer : b) {
    const py::tuple t = py::tuple(py::reinterpret_borrow<py::object>(layer));
    nb.layers.push_back({t[0].cast<Vec>(), t[1].cast<Vec>()});
  }
  return nb;
}

py::object optionalVec(const std::optional<Vec>& v) {
  return v ? py::object(py::cast(*v)) : py::object(py::none());
}

py::object vecOrNone(const std::vector<double>& v) {
  if (v.empty()) return py::none();
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

encode::Domain propertyDomain(const data::VnnlibProperty& p, int box) {
  if (box < 0 || box >= static_cast<int>(p.input_boxes.size())) {
    fail(ErrorKind::kInvalidInput, "box {} out of range: the property has {} input boxes", box,
         p.input_boxes.size());
  }
  const auto& b = p.input_boxes[static_cast<size_t>(box)];
  return encode::Domain(encode::Box(b.lo, b.hi, "vnnlib box"));
}

// The big-M model of nnmip.encode and the column handles a user needs.
struct PyModel {
  mip::Model model;
  std::vector<int> inputs;
  std::vector<int> outputs;
  encode::EncodeStats stats;
  bool empty = false;
};

py::dict modelArrays(const PyModel& pm) {
  const mip::Model& m = pm.model;
  const int n = m.numVars(), r = m.numRows();
  std::vector<long long> ri, ci;
  std::vector<double> v;
  for (int i = 0; i < r; ++i) {
    for (const auto& t : m.rows()[static_cast<size_t>(i)].terms) {
      ri.push_back(i);
      ci.push_back(t.var.id);
      v.push_back(t.coef);
    }
  }
  auto longs = [](const std::vector<long long>& x) {
    py::array_t<long long> a(static_cast<py::ssize_t>(x.size()));
    std::copy(x.begin(), x.end(), a.mutable_data());
    return a;
  };
  auto doubles = [](const std::vector<double>& x) {
    py::array_t<double> a(static_cast<py::ssize_t>(x.size()));
    std::copy(x.begin(), x.end(), a.mutable_data());
    return a;
  };
  std::vector<double> rlo, rhi, clo, chi, c(static_cast<size_t>(n), 0.0);
  std::vector<long long> integ;
  py::list col_names, row_names;
  for (const auto& row : m.rows()) {
    rlo.push_back(row.lb);
    rhi.push_back(row.ub);
    row_names.append(row.name);
  }
  for (const auto& col : m.columns()) {
    clo.push_back(col.lb);
    chi.push_back(col.ub);
    integ.push_back(col.type == mip::VarType::kContinuous ? 0
                    : col.type == mip::VarType::kBinary   ? 1
                                                          : 2);
    col_names.append(col.name);
  }
  for (const auto& t : m.objective().terms) c[static_cast<size_t>(t.var.id)] += t.coef;
  py::dict d;
  // Dense A only when it is reasonably small; the triplets always (scipy.sparse.coo_matrix).
  if (static_cast<double>(n) * r <= 2.5e7) {
    py::array_t<double> A({static_cast<py::ssize_t>(r), static_cast<py::ssize_t>(n)});
    std::fill(A.mutable_data(), A.mutable_data() + A.size(), 0.0);
    auto a = A.mutable_unchecked<2>();
    for (size_t k = 0; k < v.size(); ++k) a(ri[k], ci[k]) += v[k];
    d["A"] = A;
  } else {
    d["A"] = py::none();
  }
  d["A_coo"] = py::make_tuple(longs(ri), longs(ci), doubles(v));
  d["shape"] = py::make_tuple(r, n);
  d["row_lo"] = doubles(rlo);
  d["row_hi"] = doubles(rhi);
  d["col_lo"] = doubles(clo);
  d["col_hi"] = doubles(chi);
  d["c"] = doubles(c);
  d["c0"] = m.objective().constant;
  d["sense"] = m.objective().sense == mip::Sense::kMaximize ? "max" : "min";
  d["integrality"] = longs(integ);
  d["col_names"] = col_names;
  d["row_names"] = row_names;
  std::vector<long long> in(pm.inputs.begin(), pm.inputs.end());
  std::vector<long long> out(pm.outputs.begin(), pm.outputs.end());
  d["input_columns"] = longs(in);
  d["output_columns"] = longs(out);
  return d;
}

}  // namespace

void bindSolve(py::module_& m) {
  // ---- bounds -----------------------------------------------------------------------------
  py::class_<PyBounds>(m, "Bounds", R"(Pre-activation bounds per layer (layers[l] = (lo, hi) of
a = W h + b of layer l, the output layer included) with per-layer statistics.)")
      .def_property_readonly("layers",
                             [](const PyBounds& b) {
                               py::list l;
                               for (const auto& lb : b.bounds.layers) {
                                 l.append(py::make_tuple(lb.lo, lb.hi));
                               }
                               return l;
                             })
      .def_property_readonly("stats",
                             [](const PyBounds& b) {
                               py::list l;
                               for (const auto& s : b.stats) l.append(statsDict(s));
                               return l;
                             })
      .def_property_readonly(
          "unstable",
          [](const PyBounds& b) {
            std::vector<int> u;
            for (const auto& s : b.stats) {
              if (s.relu) u.push_back(s.unstable);
            }
            return u;
          },
          "unstable neurons (lo < 0 < hi) per ReLU layer")
      .def_property_readonly("method", [](const PyBounds& b) { return b.bounds.method; })
      .def_property_readonly("empty", [](const PyBounds& b) { return b.bounds.empty; })
      .def_readonly("wall_s", &PyBounds::wall_s)
      .def("__len__", [](const PyBounds& b) { return b.bounds.layers.size(); })
      .def("__getitem__",
           [](const PyBounds& b, int i) {
             const int n = static_cast<int>(b.bounds.layers.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error();
             const auto& lb = b.bounds.layers[static_cast<size_t>(i)];
             return py::make_tuple(lb.lo, lb.hi);
           })
      .def("__repr__", [](const PyBounds& b) {
        std::string s = "Bounds(method='" + b.bounds.method + "', unstable=[";
        bool first = true;
        for (const auto& st : b.stats) {
          if (!st.relu) continue;
          s += (first ? "" : ", ") + std::to_string(st.unstable);
          first = false;
        }
        return s + "])";
      });

  m.def(
      "bounds",
      [](const nn::Network& net, const encode::Domain& domain, const std::string& method,
         std::optional<double> time_limit, int threads, int alpha_iterations, bool symbolic_seed,
         py::object log, py::object progress) {
        const bounds::BoundsOptions o =
            boundsOptions(method, time_limit, threads, alpha_iterations, symbolic_seed);
        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              const bounds::BoundsResult r = bounds::computeBounds(net, domain, o, cb);
              return PyBounds{r.bounds, r.stats, r.wall_s};
            },
            Hooks{log, progress});
        return finish(py::cast(std::move(out.value)), out.interrupted, "bounds");
      },
      py::arg("net"), py::arg("domain"), py::arg("method") = "alpha",
      py::arg("time_limit") = py::none(), py::arg("threads") = 1,
      py::arg("alpha_iterations") = bounds::AlphaOptions{}.iterations,
      py::arg("symbolic_seed") = true, py::arg("log") = py::none(),
      py::arg("progress") = py::none(),
      "Bounds of every pre-activation over the domain by method naive|interval|symbolic|alpha|"
      "lp|milp (what `nnmip bounds --method M` computes). Ctrl-C ends lp/milp with the bounds "
      "proved so far (nnmip.Interrupted, .result).");

  m.def(
      "linear_bound",
      [](const nn::Network& net, const encode::Domain& domain, const Vec& c,
         const std::string& method, int layer, double constant, std::optional<double> time_limit,
         int threads, py::object prior, py::object log, py::object progress) {
        bounds::LinearObjective obj;
        obj.layer = layer;
        obj.coef = c;
        obj.constant = constant;
        bounds::LinearBoundOptions o;
        o.solver.threads = threads;
        o.solver.time_limit_s = positiveLimit(time_limit);
        encode::NetworkBounds pb;
        if (!prior.is_none()) {
          pb = boundsFrom(prior, domain);
          o.prior = &pb;
        }
        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              return bounds::linearBound(net, domain, obj, bounds::parseMethod(method), o, cb);
            },
            Hooks{log, progress});
        const auto& r = out.value;
        return finish(py::make_tuple(r.lo, r.hi, optionalVec(r.argmin), optionalVec(r.argmax)),
                      out.interrupted, "linear_bound");
      },
      py::arg("net"), py::arg("domain"), py::arg("c"), py::arg("method") = "lp",
      py::arg("layer") = -1, py::arg("constant") = 0.0, py::arg("time_limit") = py::none(),
      py::arg("threads") = 1, py::arg("prior") = py::none(), py::arg("log") = py::none(),
      py::arg("progress") = py::none(),
      "Valid (lo, hi) of c . v + constant over the domain (v: the outputs, or layer's "
      "pre-activations), with argmin / argmax inputs when the tier is exact (else None).");

  m.def(
      "attack",
      [](const nn::Network& net, const encode::Domain& domain, const Mat& C, py::object c0,
         int restarts, int steps, std::optional<double> time_limit, uint64_t seed) {
        nn::AttackOptions o;
        o.restarts = restarts;
        o.steps = steps;
        o.seed = seed;
        o.time_limit_s = positiveLimit(time_limit);
        const Vec offset = c0.is_none() ? Vec::Zero(C.rows()) : c0.cast<Vec>();
        auto out = runInterruptible([&](const Callbacks& cb) {
          return nn::attackMaxLinear(net, domain.box.lo, domain.box.hi, C, offset, o, cb);
        });
        const nn::AttackResult& r = out.value;
        py::dict d;
        d["x"] = r.x;
        d["y"] = r.y;
        d["value"] = r.value;
        d["evaluations"] = r.evaluations;
        d["rounds"] = r.rounds;
        d["wall_s"] = r.wall_s;
        return finish(std::move(d), out.interrupted, "attack");
      },
      py::arg("net"), py::arg("domain"), py::arg("C"), py::arg("c0") = py::none(),
      py::arg("restarts") = 64, py::arg("steps") = 100, py::arg("time_limit") = py::none(),
      py::arg("seed") = 1,
      "Projected-gradient search of the domain's box for max_r (C y + c0)_r (nn/attack.hpp): a "
      "lower bound with the input `x` that attains it. Side rows and splits are ignored.");

  // ---- VNN-LIB and verification ----------------------------------------------------------
  py::class_<data::VnnlibProperty>(m, "Property", "A VNN-LIB property (unsafe region).")
      .def_readonly("num_inputs", &data::VnnlibProperty::num_inputs)
      .def_readonly("num_outputs", &data::VnnlibProperty::num_outputs)
      .def_property_readonly(
          "lo", [](const data::VnnlibProperty& p) { return vecOrNone(p.input_lo); },
          "the input boxes' hull")
      .def_property_readonly("hi",
                             [](const data::VnnlibProperty& p) { return vecOrNone(p.input_hi); })
      .def_property_readonly("boxes",
                             [](const data::VnnlibProperty& p) {
                               py::list l;
                               for (const auto& b : p.input_boxes) {
                                 l.append(py::make_tuple(vecOrNone(b.lo), vecOrNone(b.hi)));
                               }
                               return l;
                             })
      .def_property_readonly(
          "disjuncts",
          [](const data::VnnlibProperty& p) {
            py::list l;
            for (const auto& d : p.unsafe_disjuncts) {
              py::list atoms;
              for (const auto& a : d) atoms.append(py::make_tuple(vecOrNone(a.coef), a.rhs));
              l.append(atoms);
            }
            return l;
          },
          "unsafe region: OR over disjuncts of AND over atoms (coef, rhs): coef . y <= rhs")
      .def("domain", &propertyDomain, py::arg("box") = 0, "the input box as a Domain")
      .def(
          "output_unsafe",
          [](const data::VnnlibProperty& p, const std::vector<double>& y, double tol) {
            return p.outputUnsafe(y, tol);
          },
          py::arg("y"), py::arg("tol") = 0.0)
      .def(
          "input_inside",
          [](const data::VnnlibProperty& p, const std::vector<double>& x, double tol) {
            return p.inputInside(x, tol);
          },
          py::arg("x"), py::arg("tol") = 0.0);
  m.def(
      "read_vnnlib", [](const std::string& path) { return data::readVnnlib(path); },
      py::arg("path"));
  m.def("parse_vnnlib", &data::parseVnnlib, py::arg("text"), py::arg("origin") = "<text>");

  m.def(
      "verify",
      [](const nn::Network& net, const data::VnnlibProperty& prop, std::optional<double> time_limit,
         const std::string& engine, int threads, uint64_t seed, int presplit, double attack_time,
         py::object log, py::object progress) {
        verify::VerifyOptions o;
        o.threads = threads;
        o.seed = seed;
        o.attack_time_s = attack_time;
        o.time_limit_s = positiveLimit(time_limit);
        verify::EngineChoice e;
        e.kind = verify::parseEngine(engine);
        e.relu_presplit = presplit;
        if (presplit < 1 || (presplit & (presplit - 1)) != 0) {
          fail(ErrorKind::kInvalidInput, "presplit must be a power of two, got {}", presplit);
        }
        auto out = runInterruptible(
            [&](const Callbacks& cb) { return verify::verifyWithEngine(e, net, prop, o, cb); },
            Hooks{log, progress});
        const verify::Result& r = out.value;
        nlohmann::json j = r;
        py::dict d = fromJson(j).cast<py::dict>();
        d["engine"] = verify::engineName(verify::resolveEngine(e.kind, net));
        if (r.counterexample) {
          d["x"] = vecOrNone(r.counterexample->x);
          d["y"] = vecOrNone(r.counterexample->y_double);
        } else {
          d["x"] = py::none();
          d["y"] = py::none();
        }
        py::list phases;
        for (const auto& b : r.boxes) {
          for (const auto& p : b.phases) {
            nlohmann::json pj = p;
            pj["box"] = b.box;
            phases.append(fromJson(pj));
          }
        }
        d["phases"] = phases;
        return finish(std::move(d), out.interrupted, "verify");
      },
      py::arg("net"), py::arg("prop"), py::arg("time_limit") = 60.0, py::arg("engine") = "auto",
      py::arg("threads") = 2, py::arg("seed") = 1, py::arg("presplit") = 1,
      py::arg("attack_time") = verify::VerifyOptions{}.attack_time_s, py::arg("log") = py::none(),
      py::arg("progress") = py::none(),
      "Verifies a VNN-LIB property (`nnmip verify`): {'status': sat|unsat|unknown|timeout, 'x', "
      "'y' (double forward pass of the checked counterexample, else None), 'phases', 'reason', "
      "'boxes', 'counterexample'}.");

  // ---- PV ---------------------------------------------------------------------------------
  m.def(
      "pv",
      [](const nn::Network& net, const encode::Domain& domain, const Vec& x0,
         const std::string& objective, const std::string& method, std::optional<double> time_limit,
         bool attack, const std::string& bounds_domain, std::optional<double> bounds_time_limit,
         int threads, uint64_t seed, const std::string& backend, int segments, double tangent_step,
         py::object log, py::object progress) {
        verify::PvOptions o;
        o.objective = verify::parsePvObjective(objective);
        const bool img = method == "milp-img";
        o.bounds.method = bounds::parseMethod(img ? "milp" : method);
        o.bounds.solver.threads = threads;
        o.bounds.alpha.threads = threads;
        if (bounds_domain == "full" && !img) {
          o.bounds_box =
              encode::Box(domain.box.lo.cwiseMin(0.0), domain.box.hi.cwiseMax(1.0), "full");
        } else if (bounds_domain != "query" && bounds_domain != "full") {
          fail(ErrorKind::kInvalidInput, "bounds_domain '{}': expected query or full",
               bounds_domain);
        }
        o.time_limit_s = positiveLimit(time_limit);
        o.bounds_time_limit_s = bounds_time_limit;
        o.attack.seed = seed;
        o.run_attack = attack;
        o.pwl.segments = segments;
        o.pwl.tangent_step = tangent_step;
        o.mip_backend = backend;
        auto out = runInterruptible(
            [&](const Callbacks& cb) { return verify::solvePv(net, domain, x0, o, cb); },
            Hooks{log, progress});
        const verify::PvResult& r = out.value;
        nlohmann::json j = r;
        py::dict d = fromJson(j).cast<py::dict>();
        d["x"] = r.x.size() ? py::object(py::cast(r.x)) : py::object(py::none());
        d["found_class"] = r.found_class;
        d["class0"] = r.class0;
        d["x0"] = r.x0;
        d["z0"] = r.z0;
        d["p0"] = r.p0;
        d["z"] = r.z;
        d["p"] = r.p;
        d["method"] = method;
        d["bounds_domain"] = img ? "query" : bounds_domain;
        return finish(std::move(d), out.interrupted, "pv");
      },
      py::arg("net"), py::arg("domain"), py::arg("x0"), py::arg("objective") = "softmax-l1",
      py::arg("method") = "alpha", py::arg("time_limit") = 120.0, py::arg("attack") = true,
      py::arg("bounds_domain") = "query", py::arg("bounds_time_limit") = py::none(),
      py::arg("threads") = 1, py::arg("seed") = 1, py::arg("backend") = "cbc",
      py::arg("segments") = 16, py::arg("tangent_step") = 0.25, py::arg("log") = py::none(),
      py::arg("progress") = py::none(),
      "The thesis's PV (`nnmip adversarial`): the largest output change around x0 over the "
      "domain; {'value' (exact, at 'x'), 'bound' (valid upper bound), 'gap', 'found_class', "
      "...} with PV's JSON names.");

  // ---- the big-M model --------------------------------------------------------------------
  py::class_<PyModel>(m, "Model", "The big-M MILP of a network over a domain (nnmip.encode).")
      .def_property_readonly("num_vars", [](const PyModel& p) { return p.model.numVars(); })
      .def_property_readonly("num_rows", [](const PyModel& p) { return p.model.numRows(); })
      .def_property_readonly("num_integer",
                             [](const PyModel& p) { return p.model.numIntegerVars(); })
      .def_property_readonly("binaries", [](const PyModel& p) { return p.stats.binaries; })
      .def_property_readonly("input_columns", [](const PyModel& p) { return p.inputs; })
      .def_property_readonly("output_columns", [](const PyModel& p) { return p.outputs; })
      .def_readonly("empty", &PyModel::empty)
      .def(
          "write",
          [](const PyModel& p, const std::string& path) { mip::writeModelFile(p.model, path); },
          py::arg("path"), "Writes free MPS (.mps, minimisation form) or CPLEX LP (.lp).")
      .def("arrays", &modelArrays,
           "{'A' (dense, or None when large), 'A_coo': (rows, cols, values), 'row_lo', 'row_hi', "
           "'col_lo', 'col_hi', 'c', 'c0', 'sense', 'integrality' (0 continuous, 1 binary, 2 "
           "integer), names, 'input_columns', 'output_columns'}")
      .def(
          "solve",
          [](const PyModel& p, std::optional<double> time_limit, const std::string& backend,
             int threads) {
            mip::MipParams params;
            params.time_limit_s = positiveLimit(time_limit);
            params.threads = threads;
            params.exact_dual_bound = true;
            auto solver = mip::makeMipSolver(backend);
            auto out = runInterruptible(
                [&](const Callbacks& cb) { return solver->solve(p.model, params, cb); });
            const mip::MipResult& r = out.value;
            py::dict d;
            d["termination"] = mip::terminationName(r.termination);
            d["limit"] = mip::limitName(r.limit);
            d["objective"] = r.objective ? py::object(py::float_(*r.objective)) : py::none();
            d["bound"] = r.best_bound;
            d["nodes"] = r.stats.nodes;
            d["wall_s"] = r.stats.wall_s;
            d["values"] = vecOrNone(r.values);
            if (r.hasSolution()) {
              std::vector<double> x;
              for (int c : p.inputs) x.push_back(r.values[static_cast<size_t>(c)]);
              d["x"] = vecOrNone(x);
            } else {
              d["x"] = py::none();
            }
            return finish(std::move(d), out.interrupted, "solve");
          },
          py::arg("time_limit") = py::none(), py::arg("backend") = "cbc", py::arg("threads") = 1,
          "Solves the model in process (CBC, or 'enum' for tiny models).")
      .def("__repr__", [](const PyModel& p) {
        return "Model(vars=" + std::to_string(p.model.numVars()) +
               ", rows=" + std::to_string(p.model.numRows()) +
               ", binaries=" + std::to_string(p.stats.binaries) + ")";
      });

  m.def(
      "encode",
      [](const nn::Network& net, const encode::Domain& domain, py::object bounds_in,
         const std::string& method, py::object objective, bool relax) {
        encode::NetworkBounds nb;
        if (bounds_in.is_none()) {
          const bounds::BoundsOptions o = boundsOptions(method, std::nullopt, 1, 50, true);
          auto out = runInterruptible(
              [&](const Callbacks& cb) { return bounds::computeBounds(net, domain, o, cb); });
          if (out.interrupted) finish(py::none(), true, "encode (its bounds)");
          nb = out.value.bounds;
        } else {
          nb = boundsFrom(bounds_in, domain);
        }
        PyModel pm;
        encode::EncodeOptions eo;
        eo.relax = relax;
        const encode::EncodedNetwork enc = encode::encodeNetwork(pm.model, net, domain, nb, eo);
        for (const auto& v : enc.inputs.x) pm.inputs.push_back(v.id);
        for (const auto& v : enc.outputs) pm.outputs.push_back(v.id);
        pm.stats = enc.stats;
        pm.empty = enc.empty;
        if (!objective.is_none()) {
          const py::tuple t = objective.cast<py::tuple>();
          const std::string sense = t[0].cast<std::string>();
          if (sense != "max" && sense != "min") {
            fail(ErrorKind::kInvalidInput, "objective sense '{}': expected max or min", sense);
          }
          Vec c = Vec::Zero(static_cast<Eigen::Index>(enc.outputs.size()));
          if (py::isinstance<py::int_>(t[1])) {
            const int k = t[1].cast<int>();
            if (k < 0 || k >= c.size()) fail(ErrorKind::kInvalidInput, "output {} out of range", k);
            c[k] = 1.0;
          } else {
            c = t[1].cast<Vec>();
            if (c.size() != static_cast<Eigen::Index>(enc.outputs.size())) {
              fail(ErrorKind::kInvalidInput,
                   "objective has {} coefficients, the network {} outputs", c.size(),
                   enc.outputs.size());
            }
          }
          std::vector<mip::Term> terms;
          for (Eigen::Index k = 0; k < c.size(); ++k) {
            if (c[k] != 0.0) terms.push_back({enc.outputs[static_cast<size_t>(k)], c[k]});
          }
          pm.model.setObjective(sense == "max" ? mip::Sense::kMaximize : mip::Sense::kMinimize,
                                terms);
        }
        return pm;
      },
      py::arg("net"), py::arg("domain"), py::arg("bounds") = py::none(),
      py::arg("method") = "symbolic", py::arg("objective") = py::none(), py::arg("relax") = false,
      "The thesis's big-M model over every part of the domain, with big-M constants from "
      "`bounds` (a Bounds or [(lo, hi), ...]) or from the tier `method`; objective ('max'|'min', "
      "output index or coefficient vector over the outputs).");
}

}  // namespace nnmip::python
