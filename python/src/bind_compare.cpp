// Two networks over one input (thesis chapter 4, compare/compare.hpp): nnmip.compare (the
// comparators maxdiff, maxdiff-logit, maxout, maxflip, mineps, as `nnmip compare`),
// nnmip.certify_prune (`nnmip certify-prune`) and nnmip.stack (nn::stackNetworks).
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bounds/bounder.hpp"
#include "common.hpp"
#include "compare/compare.hpp"
#include "core/error.hpp"
#include "encode/domain.hpp"
#include "encode/ranges.hpp"
#include "nn/stack.hpp"

namespace nnmip::python {
namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

// One CompareResult as a dict with the JSON report's names; vectors as numpy arrays.
py::dict resultDict(const compare::CompareResult& r) {
  const nlohmann::json j = r;
  py::dict d = fromJson(j).cast<py::dict>();
  d["x"] = r.x.size() ? py::object(py::cast(r.x)) : py::object(py::none());
  d["x0"] = r.x0.size() ? py::object(py::cast(r.x0)) : py::object(py::none());
  for (const char* key : {"n1", "n2"}) {
    py::dict e = d[key].cast<py::dict>();
    for (const char* f : {"logits", "probabilities", "logits_f32", "probabilities_f32"}) {
      arrayField(e, f);
    }
  }
  // +-inf travel as null in JSON; here they are floats again.
  d["value"] = r.value;
  d["bound"] = r.bound;
  d["gap"] = r.gap;
  return d;
}

}  // namespace

void bindCompare(py::module_& m) {
  m.def(
      "compare",
      [](const nn::Network& net_a, const nn::Network& net_b, std::optional<encode::Domain> domain,
         std::optional<Vec> x0, const std::string& comparator, py::object classes,
         const std::string& method, const std::string& bounds_domain,
         std::optional<double> time_limit, std::optional<double> bounds_time_limit, double eps_max,
         const std::string& mineps_form, double margin, int class0, const std::string& p2_side,
         int threads, uint64_t seed, bool swap, bool attack, bool diff_bounds,
         const std::string& backend, const std::map<std::string, std::string>& backend_options,
         py::object log, py::object progress) {
        // The checks of `nnmip compare` (cmd_compare.cpp validate).
        if (!std::isfinite(margin) || margin < 0.0) {
          fail(ErrorKind::kInvalidInput, "margin {} (need >= 0)", margin);
        }
        if (!std::isfinite(eps_max) || eps_max <= 0.0 || eps_max > 1.0) {
          fail(ErrorKind::kInvalidInput, "eps_max {} (need 0 < E <= 1)", eps_max);
        }
        if (threads < 1) fail(ErrorKind::kInvalidInput, "threads {} (need >= 1)", threads);
        if (time_limit && !(*time_limit > 0.0)) {
          fail(ErrorKind::kInvalidInput, "time_limit must be positive, got {}", *time_limit);
        }
        if (bounds_time_limit && !(*bounds_time_limit > 0.0)) {
          fail(ErrorKind::kInvalidInput, "bounds_time_limit must be positive, got {}",
               *bounds_time_limit);
        }
        compare::CompareOptions o;
        o.comparator = compare::parseComparator(comparator);
        const bool mineps = o.comparator == compare::Comparator::kMinEps;
        const bool maxout = o.comparator == compare::Comparator::kMaxOut;
        if (!mineps && !domain) fail(ErrorKind::kInvalidInput, "compare: a domain is required");
        if (maxout && classes.is_none()) {
          fail(ErrorKind::kInvalidInput, "maxout needs classes=(C1, C2) or classes='all'");
        }
        if (!maxout && !classes.is_none()) {
          fail(ErrorKind::kInvalidInput, "classes is for maxout");
        }
        const nn::Network& a = swap ? net_b : net_a;
        const nn::Network& b = swap ? net_a : net_b;
        const int n = a.inputSize();
        if (b.inputSize() != n) {
          fail(ErrorKind::kInvalidInput, "the first network reads {} inputs, the second {}", n,
               b.inputSize());
        }
        if (domain && domain->box.size() != n) {
          fail(ErrorKind::kInvalidInput, "the domain has {} inputs, the networks {}",
               domain->box.size(), n);
        }
        // The reference: given, else the domain's centre (as the CLI without REF).
        Vec ref;
        if (x0) {
          ref = *x0;
        } else if (domain) {
          ref = domain->box.center();
        }
        if (mineps && ref.size() == 0) fail(ErrorKind::kInvalidInput, "mineps needs x0");
        if (ref.size() != 0 && ref.size() != n) {
          fail(ErrorKind::kInvalidInput, "x0 has {} values, the networks {} inputs", ref.size(), n);
        }
        encode::Domain dom = domain ? *domain : encode::Domain();
        if (mineps) {
          // The eps_max ball around x0, clipped to [0, 1] (and to the domain when given).
          encode::Box box((ref.array() - eps_max).max(0.0).matrix(),
                          (ref.array() + eps_max).min(1.0).matrix());
          if (domain) box = encode::intersect(box, domain->box);
          dom.box = box;
        }

        const bool img = method == "milp-img";
        o.bounds.method = bounds::parseMethod(img ? "milp" : method);
        o.bounds.solver.threads = threads;
        o.bounds.alpha.threads = threads;
        if (bounds_domain == "full" && !img) {
          o.bounds_box = encode::Box(dom.box.lo.cwiseMin(0.0), dom.box.hi.cwiseMax(1.0));
        } else if (bounds_domain != "query" && bounds_domain != "full") {
          fail(ErrorKind::kInvalidInput, "bounds_domain '{}': expected query or full",
               bounds_domain);
        }
        o.time_limit_s = time_limit;
        o.bounds_time_limit_s = bounds_time_limit;
        o.attack.seed = seed;
        o.run_attack = attack;
        o.margin = margin;
        o.eps_max = eps_max;
        o.mineps_form = compare::parseMinEpsForm(mineps_form);
        o.class0 = class0;
        o.diff_bounds = diff_bounds;
        o.mip_backend_options = backend_options;
        if (p2_side == "upper") {
          o.p2_sides = encode::SoftmaxSides::kUpper;
        } else if (p2_side == "lower") {
          o.p2_sides = encode::SoftmaxSides::kLower;
        } else if (p2_side == "both") {
          o.p2_sides = encode::SoftmaxSides::kBoth;
        } else {
          fail(ErrorKind::kInvalidInput, "p2_side '{}': expected upper, lower or both", p2_side);
        }
        o.mip_backend = backend;

        // maxout: one pair, or every ordered pair.
        std::vector<std::pair<int, int>> pairs;
        const bool all = maxout && py::isinstance<py::str>(classes);
        if (all) {
          if (classes.cast<std::string>() != "all") {
            fail(ErrorKind::kInvalidInput, "classes '{}': expected (C1, C2) or 'all'",
                 classes.cast<std::string>());
          }
          for (int c1 = 0; c1 < a.outputSize(); ++c1) {
            for (int c2 = 0; c2 < b.outputSize(); ++c2) {
              if (c1 != c2) pairs.push_back({c1, c2});
            }
          }
        } else if (maxout) {
          const auto p = classes.cast<std::pair<int, int>>();
          pairs.push_back(p);
        } else {
          pairs.push_back({-1, -1});
        }

        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              std::vector<compare::CompareResult> results;
              for (const auto& [c1, c2] : pairs) {
                if (!results.empty() && cb.stopRequested()) break;
                compare::CompareOptions oc = o;
                oc.class1 = c1;
                oc.class2 = c2;
                results.push_back(compare::compareNetworks(a, b, dom, ref, oc, cb));
              }
              return results;
            },
            Hooks{log, progress});

        py::dict settings;
        settings["comparator"] = comparator;
        settings["method"] = method;
        settings["bounds_domain"] = img ? "query" : bounds_domain;
        settings["time_limit_s"] = time_limit ? py::object(py::float_(*time_limit)) : py::none();
        settings["margin"] = margin;
        settings["swap"] = swap;
        settings["attack"] = attack;
        settings["diff_bounds"] = diff_bounds;
        if (mineps) {
          settings["eps_max"] = eps_max;
          settings["mineps_form"] = mineps_form;
        }
        if (!all) {
          py::dict d = resultDict(out.value.front());
          for (auto [k, v] : settings) {
            if (!d.contains(k)) d[k] = v;
          }
          return finish(std::move(d), out.interrupted, "compare");
        }
        py::list results;
        for (const auto& r : out.value) results.append(resultDict(r));
        settings["results"] = results;
        return finish(std::move(settings), out.interrupted, "compare");
      },
      py::arg("net_a"), py::arg("net_b"), py::arg("domain") = py::none(),
      py::arg("x0") = py::none(), py::arg("comparator") = "maxdiff-logit",
      py::arg("classes") = py::none(), py::arg("method") = "alpha",
      py::arg("bounds_domain") = "query", py::arg("time_limit") = 60.0,
      py::arg("bounds_time_limit") = py::none(), py::arg("eps_max") = 1.0,
      py::arg("mineps_form") = "per-class", py::arg("margin") = 1e-4, py::arg("class0") = -1,
      py::arg("p2_side") = "upper", py::arg("threads") = 1, py::arg("seed") = 1,
      py::arg("swap") = false, py::arg("attack") = true, py::arg("diff_bounds") = true,
      py::arg("backend") = "cbc", py::arg("backend_options") = std::map<std::string, std::string>{},
      py::arg("log") = py::none(), py::arg("progress") = py::none(),
      "Two networks over one domain (`nnmip compare`): {'value' (exact, at 'x'), 'bound' "
      "(valid), 'gap', 'proven', 'status', 'found_by', 'n1'/'n2' (class, logits, "
      "probabilities, float32 ones), 'milps', ...} with the JSON report's names; maxout with "
      "classes='all': {'results': [one per ordered pair], ...}.");

  m.def(
      "certify_prune",
      [](const nn::Network& net, const Mat& images, const std::vector<int>& labels,
         std::vector<double> levels, double radius, std::optional<double> max_diff,
         std::optional<Mat> test_X, std::optional<std::vector<int>> test_y,
         const std::string& method, std::optional<double> time_limit, int threads, py::object log,
         py::object progress) {
        if (!std::isfinite(radius) || radius <= 0.0 || radius > 1.0) {
          fail(ErrorKind::kInvalidInput, "radius {} (need 0 < r <= 1)", radius);
        }
        if (max_diff && (!std::isfinite(*max_diff) || *max_diff < 0.0)) {
          fail(ErrorKind::kInvalidInput, "max_diff {} (need >= 0)", *max_diff);
        }
        if (time_limit && !(*time_limit > 0.0)) {
          fail(ErrorKind::kInvalidInput, "time_limit must be positive, got {}", *time_limit);
        }
        compare::CertifyPruneOptions o;
        o.levels = std::move(levels);
        o.radius = radius;
        o.max_diff = max_diff;
        o.compare.bounds.method = bounds::parseMethod(method);
        o.compare.bounds.solver.threads = threads;
        o.compare.bounds.alpha.threads = threads;
        o.compare.time_limit_s = time_limit;
        const Mat tx = test_X ? *test_X : Mat(0, net.inputSize());
        const std::vector<int> ty = test_y ? *test_y : std::vector<int>{};
        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              return compare::certifyPrune(net, images, labels, tx, ty, o, {}, cb);
            },
            Hooks{log, progress});
        py::list rows;
        py::object best = py::none();
        double best_p = -1.0;
        for (const auto& lv : out.value) {
          py::dict d;
          d["percent"] = lv.percent;
          d["certified"] = lv.certified;
          d["total"] = lv.total;
          d["all"] = lv.all;
          d["accuracy"] = lv.accuracy;
          d["worst_bound"] =
              std::isfinite(lv.worst) ? py::object(py::float_(lv.worst)) : py::none();
          d["statuses"] = lv.statuses;
          rows.append(d);
          if (lv.all && lv.percent > best_p) {
            best_p = lv.percent;
            best = py::float_(lv.percent);
          }
        }
        py::dict d;
        d["mode"] = max_diff ? "max-diff" : "radius";
        d["radius"] = radius;
        d["levels"] = rows;
        d["largest_certified"] = best;
        return finish(std::move(d), out.interrupted, "certify_prune");
      },
      py::arg("net"), py::arg("images"), py::arg("labels"), py::arg("levels"),
      py::arg("radius") = 0.01, py::arg("max_diff") = py::none(), py::arg("test_X") = py::none(),
      py::arg("test_y") = py::none(), py::arg("method") = "alpha", py::arg("time_limit") = 60.0,
      py::arg("threads") = 1, py::arg("log") = py::none(), py::arg("progress") = py::none(),
      "`nnmip certify-prune`: for each global pruning level (percent), certifies on every "
      "reference (one per row of `images`, label in `labels`) that the pruned network keeps the "
      "original's class on the L-inf ball of `radius` (weak mineps infeasible: a proof), or "
      "with max_diff that maxdiff <= max_diff there. {'levels': [{'percent', 'certified', "
      "'total', 'all', 'accuracy', 'worst_bound', 'statuses'}], 'largest_certified'}.");

  m.def(
      "stack",
      [](const nn::Network& a, const nn::Network& b) {
        nn::StackedNetwork s = nn::stackNetworks(a, b);
        py::dict info;
        info["outputs_a"] = s.outputs_a;
        info["outputs_b"] = s.outputs_b;
        info["softmax_a"] = s.softmax_a;
        info["softmax_b"] = s.softmax_b;
        info["depth_a"] = s.depth_a;
        info["depth_b"] = s.depth_b;
        info["offset_b"] = s.offset_b;
        info["layer_a"] = s.layer_a;
        info["layer_b"] = s.layer_b;
        return py::make_tuple(std::move(s.net), info);
      },
      py::arg("a"), py::arg("b"),
      "One network whose output is [f(x); g(x)] (nn::stackNetworks: first layers side by side, "
      "then block-diagonal; the shallower one padded with identity ReLU layers; a final softmax "
      "dropped). Returns (stacked_net, info).");
}

}  // namespace nnmip::python
