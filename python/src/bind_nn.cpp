// Networks, domains, pruning, training and data sets: nnmip.Network, nnmip.Domain, linf,
// neighbours, prune, train, load_dataset, split.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bounds/box.hpp"
#include "common.hpp"
#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/csv_io.hpp"
#include "data/dataset.hpp"
#include "data/mnist.hpp"
#include "data/synthetic.hpp"
#include "encode/domain.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/loss.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::python {
namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
constexpr double kInf = std::numeric_limits<double>::infinity();

nn::Activation parseActivation(const std::string& name) {
  if (name == "identity" || name == "linear") return nn::Activation::kIdentity;
  if (name == "relu") return nn::Activation::kRelu;
  if (name == "step") return nn::Activation::kStep;
  if (name == "softmax") return nn::Activation::kSoftmax;
  fail(ErrorKind::kInvalidInput, "activation '{}': expected identity, relu, step or softmax", name);
}

// (W, b, activation) or (W, b, "step", {"lambda": .., "beta": .., "gamma": ..}); b may be None.
nn::DenseLayer layerFrom(py::handle item, size_t index) {
  const py::tuple t = py::tuple(py::reinterpret_borrow<py::object>(item));
  if (t.size() != 3 && t.size() != 4) {
    fail(ErrorKind::kInvalidInput,
         "layer {}: expected (W, b, activation) or (W, b, 'step', params), got {} items", index,
         t.size());
  }
  nn::DenseLayer l;
  l.weight = t[0].cast<Mat>();
  l.bias = t[1].is_none() ? Vec::Zero(l.weight.rows()) : t[1].cast<Vec>();
  l.activation = parseActivation(t[2].cast<std::string>());
  if (l.activation == nn::Activation::kStep) {
    l.step.lambda = Vec::Zero(l.weight.rows());
    if (t.size() == 4) {
      const py::dict p = t[3].cast<py::dict>();
      if (p.contains("lambda")) {
        py::object lam = p["lambda"];
        if (py::isinstance<py::float_>(lam) || py::isinstance<py::int_>(lam)) {
          l.step.lambda = Vec::Constant(l.weight.rows(), lam.cast<double>());
        } else {
          l.step.lambda = lam.cast<Vec>();
        }
      }
      if (p.contains("beta")) l.step.beta = p["beta"].cast<double>();
      if (p.contains("gamma")) l.step.gamma = p["gamma"].cast<double>();
    }
  } else if (t.size() == 4) {
    fail(ErrorKind::kInvalidInput, "layer {}: a 4th item (step parameters) needs 'step'", index);
  }
  return l;
}

py::tuple layerTuple(const nn::DenseLayer& l) {
  if (l.activation == nn::Activation::kStep) {
    py::dict p;
    p["lambda"] = l.step.lambda;
    p["beta"] = l.step.beta;
    p["gamma"] = l.step.gamma;
    return py::make_tuple(l.weight, l.bias, nn::activationName(l.activation), p);
  }
  return py::make_tuple(l.weight, l.bias, nn::activationName(l.activation));
}

double sideOrInf(py::handle v, double inf) { return v.is_none() ? inf : v.cast<double>(); }

std::vector<encode::LinearRow> rowsFrom(py::object rows) {
  std::vector<encode::LinearRow> out;
  if (rows.is_none()) return out;
  for (py::handle r : rows) {
    const py::tuple t = py::tuple(py::reinterpret_borrow<py::object>(r));
    if (t.size() != 3)
      fail(ErrorKind::kInvalidInput, "a row is (c, lo, hi), got {} items", t.size());
    encode::LinearRow row;
    row.coef = t[0].cast<Vec>();
    row.lo = sideOrInf(t[1], -kInf);
    row.hi = sideOrInf(t[2], kInf);
    out.push_back(std::move(row));
  }
  return out;
}

py::list rowsTo(const std::vector<encode::LinearRow>& rows) {
  py::list l;
  for (const auto& r : rows) {
    l.append(py::make_tuple(r.coef, std::isfinite(r.lo) ? py::object(py::float_(r.lo)) : py::none(),
                            std::isfinite(r.hi) ? py::object(py::float_(r.hi)) : py::none()));
  }
  return l;
}

encode::Phase parsePhase(const std::string& s) {
  if (s == "active") return encode::Phase::kActive;
  if (s == "inactive") return encode::Phase::kInactive;
  fail(ErrorKind::kInvalidInput, "split phase '{}': expected active or inactive", s);
}

nn::NeuronId neuronFrom(py::handle key) {
  const py::tuple t = py::tuple(py::reinterpret_borrow<py::object>(key));
  if (t.size() != 2) fail(ErrorKind::kInvalidInput, "a split key is (layer, index)");
  return {t[0].cast<int>(), t[1].cast<int>()};
}

std::vector<int> labelsFrom(py::handle y) {
  const auto a = py::array_t<long long, py::array::c_style | py::array::forcecast>::ensure(y);
  if (!a) fail(ErrorKind::kInvalidInput, "labels must be an array of integers");
  if (a.ndim() != 1) fail(ErrorKind::kInvalidInput, "labels must be 1-D, got {} dims", a.ndim());
  std::vector<int> out(static_cast<size_t>(a.size()));
  for (py::ssize_t i = 0; i < a.size(); ++i) {
    const long long v = a.data()[i];
    if (v < 0) fail(ErrorKind::kInvalidInput, "label {} at row {} is negative", v, i);
    out[static_cast<size_t>(i)] = static_cast<int>(v);
  }
  return out;
}

py::array_t<long long> labelsTo(const std::vector<int>& y) {
  py::array_t<long long> a(static_cast<py::ssize_t>(y.size()));
  for (size_t i = 0; i < y.size(); ++i) a.mutable_data()[i] = y[i];
  return a;
}

nn::Network copyNet(const nn::Network& net) { return net; }

}  // namespace

// Shared with bind_bdnn.cpp / bind_solve.cpp.
data::Dataset datasetFrom(const Mat& X, py::handle y, const std::string& name) {
  data::Dataset ds;
  ds.name = name;
  ds.X = X;
  ds.y = labelsFrom(y);
  if (static_cast<Eigen::Index>(ds.y.size()) != X.rows()) {
    fail(ErrorKind::kInvalidInput, "X has {} rows but y has {} labels", X.rows(), ds.y.size());
  }
  int k = 0;
  for (int v : ds.y) k = std::max(k, v + 1);
  ds.num_classes = std::max(k, 2);
  return ds;
}
py::array_t<long long> classesTo(const std::vector<int>& y) { return labelsTo(y); }

void bindNn(py::module_& m) {
  // ---- Network ----------------------------------------------------------------------------
  py::class_<nn::Network>(m, "Network", R"(A feed-forward network: dense layers, each W h + b then
an activation (identity, relu, step, softmax). W is out x in (PyTorch's Linear layout).)")
      .def_static("from_onnx", &nn::readOnnx, py::arg("path"),
                  "Reads an ONNX model (Gemm/MatMul/Add/Relu/Softmax chains, the step encoding).")
      .def_static(
          "from_layers",
          [](py::iterable layers, const std::string& name) {
            std::vector<nn::DenseLayer> ls;
            size_t i = 0;
            for (py::handle item : layers) ls.push_back(layerFrom(item, i++));
            if (ls.empty()) fail(ErrorKind::kInvalidInput, "a network needs at least one layer");
            nn::Network net(std::move(ls));
            net.name = name;
            net.validate("from_layers");
            return net;
          },
          py::arg("layers"), py::arg("name") = "network",
          "From [(W, b, 'relu'), ..., (W, b, 'identity')] (float64 arrays; b may be None); a step "
          "layer is (W, b, 'step', {'lambda': .., 'beta': 0, 'gamma': 1}).")
      .def(
          "to_onnx",
          [](const nn::Network& net, const std::string& path, const std::string& precision) {
            if (precision != "float" && precision != "double") {
              fail(ErrorKind::kInvalidInput, "precision '{}': expected float or double", precision);
            }
            nn::writeOnnx(
                net, path,
                precision == "double" ? nn::OnnxPrecision::kDouble : nn::OnnxPrecision::kFloat);
          },
          py::arg("path"), py::arg("precision") = "float",
          "Writes ONNX (opset 13; FLOAT tensors by default, 'double' stores the weights exactly).")
      .def(
          "forward",
          [](const nn::Network& net, py::array X) -> py::object {
            if (X.ndim() == 1) {
              const Vec x = X.cast<Vec>();
              if (x.size() != net.inputSize()) {
                fail(ErrorKind::kInvalidInput, "input has {} values, the network {} inputs",
                     x.size(), net.inputSize());
              }
              return py::cast(nn::forward(net, x));
            }
            if (X.ndim() != 2) fail(ErrorKind::kInvalidInput, "X must be 1-D or 2-D");
            const Mat x = X.cast<Mat>();
            if (x.cols() != net.inputSize()) {
              fail(ErrorKind::kInvalidInput, "X has {} columns, the network {} inputs", x.cols(),
                   net.inputSize());
            }
            Mat y;
            {
              py::gil_scoped_release release;
              y = nn::forwardBatch(net, x);
            }
            return py::cast(y);
          },
          py::arg("X"), "Forward pass in double: X is one input (1-D) or one sample per row.")
      .def(
          "predict",
          [](const nn::Network& net, const Mat& X, int threads) {
            std::vector<int> c;
            {
              py::gil_scoped_release release;
              c = nn::predictClasses(net, X, threads);
            }
            return labelsTo(c);
          },
          py::arg("X"), py::arg("threads") = 1,
          "Predicted class per row (argmax; one output: the sign/step rule).")
      .def_property_readonly(
          "layers",
          [](const nn::Network& net) {
            py::list l;
            for (const auto& layer : net.layers()) l.append(layerTuple(layer));
            return l;
          },
          "[(W, b, activation), ...] as copies (step layers carry a 4th item).")
      .def_property_readonly("input_size", &nn::Network::inputSize)
      .def_property_readonly("output_size", &nn::Network::outputSize)
      .def_property_readonly("sizes", &nn::Network::sizes)
      .def_property_readonly("num_parameters", &nn::Network::parameterCount)
      .def_property_readonly("num_zero_weights", &nn::Network::zeroWeightCount)
      .def_readwrite("name", &nn::Network::name)
      .def("summary", [](const nn::Network& net) { return nn::summarize(net); })
      .def("copy", &copyNet)
      .def("__copy__", &copyNet)
      .def("__deepcopy__", [](const nn::Network& net, py::object) { return copyNet(net); })
      .def("__repr__", [](const nn::Network& net) {
        std::string s = "Network('" + net.name + "', sizes=[";
        const auto sz = net.sizes();
        for (size_t i = 0; i < sz.size(); ++i) s += (i ? ", " : "") + std::to_string(sz[i]);
        s += "], activations=[";
        for (int i = 0; i < net.numLayers(); ++i) {
          s += std::string(i ? ", " : "") + nn::activationName(net.layer(i).activation);
        }
        return s + "])";
      });

  // ---- Domain -----------------------------------------------------------------------------
  py::class_<encode::Domain>(m, "Domain", R"(Input box lo <= x <= hi, ReLU phase splits
{(layer, i): 'active'|'inactive'}, linear rows over the inputs [(c, lo, hi)] and over the
outputs (None = no side); outputs_are_logits lets output rows of a softmax-ended net mean logits.)")
      .def(py::init([](const Vec& lo, const Vec& hi, py::object splits, py::object input_rows,
                       py::object output_rows, bool outputs_are_logits) {
             encode::Domain d(encode::Box(lo, hi, "domain"));
             if (!splits.is_none()) {
               for (auto [k, v] : splits.cast<py::dict>()) {
                 d.splits[neuronFrom(k)] = parsePhase(v.cast<std::string>());
               }
             }
             d.input_rows = rowsFrom(input_rows);
             d.output_rows = rowsFrom(output_rows);
             d.outputs_are_logits = outputs_are_logits;
             return d;
           }),
           py::arg("lo"), py::arg("hi"), py::arg("splits") = py::none(),
           py::arg("input_rows") = py::none(), py::arg("output_rows") = py::none(),
           py::arg("outputs_are_logits") = false)
      .def_property_readonly("lo", [](const encode::Domain& d) { return d.box.lo; })
      .def_property_readonly("hi", [](const encode::Domain& d) { return d.box.hi; })
      .def_property_readonly("size", [](const encode::Domain& d) { return d.box.size(); })
      .def_property_readonly("splits",
                             [](const encode::Domain& d) {
                               py::dict out;
                               for (const auto& [id, ph] : d.splits) {
                                 out[py::make_tuple(id.layer, id.index)] = encode::phaseName(ph);
                               }
                               return out;
                             })
      .def_property_readonly("input_rows",
                             [](const encode::Domain& d) { return rowsTo(d.input_rows); })
      .def_property_readonly("output_rows",
                             [](const encode::Domain& d) { return rowsTo(d.output_rows); })
      .def_readwrite("outputs_are_logits", &encode::Domain::outputs_are_logits)
      .def(
          "with_split",
          [](const encode::Domain& d, py::tuple neuron, const std::string& phase) {
            return d.withSplit(neuronFrom(neuron), parsePhase(phase));
          },
          py::arg("neuron"), py::arg("phase"))
      .def(
          "contains",
          [](const encode::Domain& d, const Vec& x, double tol) { return d.inputFeasible(x, tol); },
          py::arg("x"), py::arg("tol") = 0.0, "x in the box and on the input rows")
      .def(
          "satisfied_by",
          [](const encode::Domain& d, const nn::Network& net, const Vec& x, double tol) {
            return d.satisfiedBy(net, x, tol);
          },
          py::arg("net"), py::arg("x"), py::arg("tol") = 0.0)
      .def("validate", [](const encode::Domain& d, const nn::Network& net) { d.validate(net); })
      .def("__repr__", [](const encode::Domain& d) {
        return "Domain(size=" + std::to_string(d.box.size()) +
               ", splits=" + std::to_string(d.splits.size()) +
               ", input_rows=" + std::to_string(d.input_rows.size()) +
               ", output_rows=" + std::to_string(d.output_rows.size()) + ")";
      });

  m.def(
      "linf",
      [](const Vec& x0, double eps, double lo, double hi) {
        return encode::Domain(bounds::linfBall(x0, eps, lo, hi));
      },
      py::arg("x0"), py::arg("eps"), py::arg("lo") = 0.0, py::arg("hi") = 1.0,
      "The L-inf ball of radius eps around x0, clipped to [lo, hi] per input.");
  m.def(
      "neighbours",
      [](py::array img, double eps, int m_, int p, std::optional<std::pair<int, int>> shape) {
        int h = 0, w = 0;
        if (shape) {
          h = shape->first;
          w = shape->second;
        } else if (img.ndim() == 2) {
          h = static_cast<int>(img.shape(0));
          w = static_cast<int>(img.shape(1));
        } else {
          const int n = static_cast<int>(img.size());
          const int s = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
          if (s * s != n) {
            fail(ErrorKind::kInvalidInput, "image of {} values is not square: give shape=(h, w)",
                 n);
          }
          h = w = s;
        }
        const Vec flat = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(img)
                             .attr("reshape")(-1)
                             .cast<Vec>();
        bounds::NeighboursParams np;
        np.eps = eps;
        np.m = m_;
        np.p = p;
        return encode::Domain(bounds::neighboursBox(flat, h, w, np));
      },
      py::arg("img"), py::arg("eps") = 0.18, py::arg("m") = 3, py::arg("p") = 2,
      py::arg("shape") = py::none(),
      "The thesis's reference-image domain (section 3.2.1; reading in src/bounds/box.hpp).");

  // ---- pruning ----------------------------------------------------------------------------
  m.def(
      "prune",
      [](const nn::Network& net, std::optional<double> eps, std::optional<double> percent,
         const std::string& scope) {
        if (eps.has_value() == percent.has_value()) {
          fail(ErrorKind::kInvalidInput, "prune needs exactly one of eps and percent");
        }
        if (scope != "layer" && scope != "global") {
          fail(ErrorKind::kInvalidInput, "scope '{}': expected layer or global", scope);
        }
        nn::Network out = net;
        const nn::PruneReport r =
            eps ? nn::roundWeights(out, *eps)
                : nn::pruneByPercent(
                      out, *percent,
                      scope == "layer" ? nn::PruneScope::kLayer : nn::PruneScope::kGlobal);
        py::list layers;
        for (const auto& l : r.layers) {
          py::dict d;
          d["layer"] = l.layer;
          d["eps"] = l.eps;
          d["total"] = l.total;
          d["zero_before"] = l.zero_before;
          d["zero_after"] = l.zero_after;
          d["zeroed"] = l.zeroed();
          d["zero_fraction"] = l.zeroFraction();
          layers.append(d);
        }
        py::dict rep;
        rep["layers"] = layers;
        rep["total"] = r.total();
        rep["zero_before"] = r.zeroBefore();
        rep["zero_after"] = r.zeroAfter();
        rep["zeroed"] = r.zeroed();
        rep["zero_fraction"] = r.zeroFraction();
        return py::make_tuple(out, rep);
      },
      py::arg("net"), py::arg("eps") = py::none(), py::arg("percent") = py::none(),
      py::arg("scope") = "layer",
      "The thesis's Rounder: weights with |w| <= eps set to 0, or percent % of them (eps per "
      "layer or global). Returns (pruned_net, report); `net` is unchanged.");

  // ---- training ---------------------------------------------------------------------------
  m.def(
      "train",
      [](const Mat& X, py::object y, py::object arch, const std::string& reg, double lam,
         const std::string& lambda_scale, int epochs, uint64_t seed, int batch_size,
         std::optional<double> lr, const std::string& optimizer, double momentum,
         const std::string& loss, bool bias, bool single_output, py::object val, int threads,
         py::object log, py::object progress) {
        std::vector<int> hidden;
        if (py::isinstance<py::str>(arch)) {
          hidden = train::parseArch(arch.cast<std::string>());
        } else {
          hidden = arch.cast<std::vector<int>>();
        }
        const data::Dataset ds = datasetFrom(X, y, "train");
        std::optional<data::Dataset> vs;
        if (!val.is_none()) {
          const py::tuple t = val.cast<py::tuple>();
          vs = datasetFrom(t[0].cast<Mat>(), t[1], "validation");
        }
        train::TrainOptions o;
        o.epochs = epochs;
        o.batch_size = batch_size;
        o.seed = seed;
        o.threads = threads;
        o.train_bias = bias;
        o.optimizer.kind = train::parseOptimizer(optimizer);
        o.optimizer.lr = lr.value_or(o.optimizer.kind == train::OptimizerKind::kAdam ? 1e-3 : 1e-2);
        o.optimizer.momentum = momentum;
        o.objective.reg = train::parseRegularization(reg);
        o.objective.lambda = o.objective.reg == train::Regularization::kNone ? 0.0 : lam;
        o.objective.scale = train::parseLambdaScale(lambda_scale);
        if (loss == "ce") {
          o.objective.loss = train::LossKind::kSoftmaxCrossEntropy;
        } else if (loss == "bce") {
          o.objective.loss = train::LossKind::kBinaryCrossEntropy;
        } else {
          fail(ErrorKind::kInvalidInput, "loss '{}': expected ce or bce", loss);
        }
        if (single_output && o.objective.loss != train::LossKind::kBinaryCrossEntropy) {
          fail(ErrorKind::kInvalidInput, "single_output needs loss='bce'");
        }
        Rng rng(seed);
        nn::Network net =
            train::makeMlp(ds.features(), hidden, single_output ? 1 : ds.num_classes, bias, rng);
        net.name = train::archName(hidden);
        auto out = runInterruptible(
            [&](const Callbacks& cb) {
              const train::TrainResult r = train::train(net, ds, vs ? &*vs : nullptr, o, cb);
              return std::make_pair(r, train::evaluateAccuracy(net, ds, threads));
            },
            Hooks{log, progress});
        const auto& [r, acc] = out.value;
        py::list hist;
        for (const auto& e : r.epochs) {
          nlohmann::json j = e;
          hist.append(fromJson(j));
        }
        py::dict rep;
        rep["epochs"] = hist;
        rep["seconds"] = r.seconds;
        rep["stopped"] = r.stopped;
        rep["completed_epochs"] = r.completed_epochs;
        rep["train_accuracy"] = acc;
        return finish(py::make_tuple(net, rep), out.interrupted, "train");
      },
      py::arg("X"), py::arg("y"), py::arg("arch") = std::vector<int>(5, 200), py::arg("reg") = "l1",
      py::arg("lam") = 2e-4, py::arg("lambda_scale") = "sum", py::arg("epochs") = 50,
      py::arg("seed") = 1, py::arg("batch_size") = 128, py::arg("lr") = py::none(),
      py::arg("optimizer") = "adam", py::arg("momentum") = 0.0, py::arg("loss") = "ce",
      py::arg("bias") = true, py::arg("single_output") = false, py::arg("val") = py::none(),
      py::arg("threads") = 1, py::arg("log") = py::none(), py::arg("progress") = py::none(),
      "Trains a dense ReLU network (PyTorch's init from `seed`, softmax cross-entropy, Adam) on "
      "rows of X with integer labels y. Returns (net, report).");

  // ---- data sets --------------------------------------------------------------------------
  m.def(
      "load_dataset",
      [](const std::string& name, const std::string& split, py::object data_dir, uint64_t seed,
         double train_fraction) {
        auto dir = [&]() -> std::filesystem::path {
          const auto d =
              resolveDataDir(data_dir.is_none() ? std::string() : data_dir.cast<std::string>());
          if (!d) fail(ErrorKind::kIo, "no data directory: {}", dataDirHint());
          return *d;
        };
        if (split != "train" && split != "test" && split != "all") {
          fail(ErrorKind::kInvalidInput, "split '{}': expected train, test or all", split);
        }
        data::Dataset ds;
        bool fixed_split = false;
        if (name == "mnist") {
          if (split == "all") fail(ErrorKind::kInvalidInput, "mnist has train and test splits");
          ds = data::readMnist(dir(), split == "train");
          fixed_split = true;
        } else if (name == "fashion-mnist") {
          if (split == "all") fail(ErrorKind::kInvalidInput, "fashion-mnist: train or test");
          ds = data::readFashionMnist(split == "train");
          fixed_split = true;
        } else if (name == "bcw") {
          ds = data::readBreastCancerWisconsin(dir() / data::kBreastCancerWisconsinFile);
        } else if (name == "wdbc") {
          ds = data::readWdbc(dir() / data::kWdbcFile);
        } else if (name == "random") {
          ds = data::makeRandomOverlap(100, 200, seed);
        } else {
          fail(ErrorKind::kInvalidInput,
               "data set '{}': expected mnist, fashion-mnist, bcw, wdbc or random", name);
        }
        if (!fixed_split && split != "all") {
          data::Split s = data::shuffleSplit(ds, train_fraction, seed);
          ds = split == "train" ? std::move(s.train) : std::move(s.test);
        }
        return py::make_tuple(ds.X, labelsTo(ds.y));
      },
      py::arg("name"), py::arg("split") = "test", py::arg("data_dir") = py::none(),
      py::arg("seed") = 1, py::arg("train_fraction") = 0.8,
      "(X, y) of a data set as the CLI reads it (--dataset): mnist / fashion-mnist have fixed "
      "splits, bcw / wdbc / random the seeded shuffle split of the CLI (split='all': no split).");
  m.def(
      "split",
      [](const Mat& X, py::object y, double train_fraction, uint64_t seed) {
        const data::Split s = data::shuffleSplit(datasetFrom(X, y, "data"), train_fraction, seed);
        return py::make_tuple(s.train.X, labelsTo(s.train.y), s.test.X, labelsTo(s.test.y));
      },
      py::arg("X"), py::arg("y"), py::arg("train_fraction") = 0.8, py::arg("seed") = 1,
      "The library's seeded shuffle split: (X_train, y_train, X_test, y_test).");
}

}  // namespace nnmip::python
