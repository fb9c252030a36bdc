#include "bdnn/step_net.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip::bdnn {

nn::Network toNetwork(const BdnnParams& params, const BdnnOptions& options) {
  const size_t n_layers = params.weights.size();
  NNMIP_CHECK(n_layers >= 2, "a BDNN has at least one hidden layer, got {} layers", n_layers);
  NNMIP_CHECK(params.lambda.size() == n_layers, "{} threshold vectors for {} layers",
              params.lambda.size(), n_layers);
  const HiddenActivation& act = options.activation;
  const int q = act.units();
  std::vector<nn::DenseLayer> layers;
  // Column scaling and bias carried from the previous (staircase) layer.
  for (size_t k = 0; k < n_layers; ++k) {
    const Mat& w = params.weights[k];
    nn::DenseLayer layer;
    const bool expand_input = k > 0 && q > 1;
    if (expand_input) {
      layer.weight.resize(w.rows(), w.cols() * q);
      for (Eigen::Index j = 0; j < w.cols(); ++j) {
        for (int t = 0; t < q; ++t) {
          layer.weight.col(j * q + t) = w.col(j) * (act.values[t + 1] - act.values[t]);
        }
      }
      layer.bias = (w.rowwise().sum() * act.values[0]).eval();
    } else {
      layer.weight = w;
      layer.bias = Vec::Zero(w.rows());
    }
    const bool last = k + 1 == n_layers;
    if (!last) {
      layer.activation = nn::Activation::kStep;
      if (q == 1) {
        layer.step.lambda = params.lambda[k];
        layer.step.beta = act.values[0];
        layer.step.gamma = act.values[1];
      } else {
        nn::DenseLayer expanded;
        expanded.weight.resize(layer.weight.rows() * q, layer.weight.cols());
        expanded.bias.resize(layer.weight.rows() * q);
        expanded.activation = nn::Activation::kStep;
        expanded.step.lambda.resize(layer.weight.rows() * q);
        expanded.step.beta = 0.0;
        expanded.step.gamma = 1.0;
        for (Eigen::Index j = 0; j < layer.weight.rows(); ++j) {
          for (int t = 0; t < q; ++t) {
            expanded.weight.row(j * q + t) = layer.weight.row(j);
            expanded.bias(j * q + t) = layer.bias(j);
            expanded.step.lambda(j * q + t) = params.lambda[k](j) + act.offsets[t];
          }
        }
        layer = std::move(expanded);
      }
    } else if (options.output == OutputMode::kStep) {
      layer.activation = nn::Activation::kStep;
      layer.step.lambda = params.lambda[k];
      layer.step.beta = 0.0;
      layer.step.gamma = 1.0;
    } else {
      layer.activation = nn::Activation::kIdentity;
      if (options.output == OutputMode::kRegression) layer.bias.array() += params.output_bias;
    }
    layers.push_back(std::move(layer));
  }
  nn::Network net(std::move(layers));
  net.name = "bdnn";
  return net;
}

namespace {

bool isStepOutput(const nn::Network& net) {
  const nn::DenseLayer& last = net.layers().back();
  return last.activation == nn::Activation::kStep && last.outputSize() == 1;
}

}  // namespace

std::vector<int> predictBdnn(const nn::Network& net, const Mat& X) {
  return nn::predictClasses(net, X);
}

namespace {

// Per point: does some step unit fall strictly inside the band?
std::vector<char> bandPoints(const nn::Network& net, const nn::BatchTrace& trace, double margin) {
  const Eigen::Index n = trace.pre.front().rows();
  std::vector<char> band(static_cast<size_t>(n), 0);
  // |a - theta| < margin/2, with a tolerance far below the margin so that MILP solutions on the
  // band's edge count as outside.
  const double half = margin / 2.0 - 1e-7;
  for (int l = 0; l < net.numLayers(); ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    if (layer.activation != nn::Activation::kStep) continue;
    const Mat& pre = trace.pre[static_cast<size_t>(l)];
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index j = 0; j < pre.cols(); ++j) {
        if (std::abs(pre(i, j) - layer.step.lambda(j)) < half) band[static_cast<size_t>(i)] = 1;
      }
    }
  }
  return band;
}

}  // namespace

Evaluation evaluate(const nn::Network& net, const data::Dataset& set, double margin) {
  Evaluation ev;
  ev.points = set.size();
  if (set.size() == 0) return ev;
  const nn::BatchTrace trace = nn::forwardBatchTrace(net, set.X);
  std::vector<char> band = bandPoints(net, trace, margin);
  const Mat& out = trace.post.back();
  const bool step_out = isStepOutput(net);
  // The one class rule (nn/forward.hpp): step output == gamma, argmax otherwise.
  const std::vector<int> predicted = nn::predictedClasses(net.layers().back(), out);
  for (int i = 0; i < set.size(); ++i) {
    const int y = set.y[static_cast<size_t>(i)];
    const int pred = predicted[static_cast<size_t>(i)];
    const bool wrong = pred != y;
    bool thin = false;
    if (!step_out && !wrong) {
      for (Eigen::Index c = 0; c < out.cols(); ++c) {
        if (c != y && out(i, y) - out(i, c) < margin - 1e-7) thin = true;
      }
    }
    ev.errors += wrong;
    ev.thin_margin += thin;
    ev.band_points += band[static_cast<size_t>(i)] != 0;
    ev.margin_errors += wrong || thin || band[static_cast<size_t>(i)] != 0;
  }
  ev.accuracy = 1.0 - static_cast<double>(ev.errors) / ev.points;
  return ev;
}

RegressionEvaluation evaluateRegression(const nn::Network& net, const data::Dataset& set,
                                        double margin) {
  RegressionEvaluation ev;
  if (set.size() == 0) return ev;
  NNMIP_CHECK(set.target.size() == set.size(), "regression needs targets ({} for {} rows)",
              set.target.size(), set.size());
  const nn::BatchTrace trace = nn::forwardBatchTrace(net, set.X);
  const std::vector<char> band = bandPoints(net, trace, margin);
  for (int i = 0; i < set.size(); ++i) {
    const double r = trace.post.back()(i, 0) - set.target(i);
    ev.l1 += std::abs(r);
    ev.linf = std::max(ev.linf, std::abs(r));
    ev.squared += r * r;
    ev.band_points += band[static_cast<size_t>(i)] != 0;
  }
  return ev;
}

namespace {

std::vector<double> toVector(const Vec& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

Vec fromJsonVec(const nlohmann::json& j) {
  Vec v(static_cast<Eigen::Index>(j.size()));
  for (size_t i = 0; i < j.size(); ++i) v(static_cast<Eigen::Index>(i)) = j[i].get<double>();
  return v;
}

nn::Activation activationFromName(const std::string& name, const std::string& path) {
  for (nn::Activation a : {nn::Activation::kIdentity, nn::Activation::kRelu, nn::Activation::kStep,
                           nn::Activation::kSoftmax}) {
    if (name == nn::activationName(a)) return a;
  }
  fail(ErrorKind::kInvalidInput, "{}: unknown activation '{}'", path, name);
}

}  // namespace

void saveNetwork(const nn::Network& net, const std::string& path, const std::string& meta_json) {
  net.validate("network to save");
  if (std::filesystem::path(path).extension() == ".onnx") {
    nn::writeOnnx(net, path, nn::OnnxPrecision::kDouble);
    return;
  }
  nlohmann::json j;
  j["format"] = "nnmip-step-network";
  j["version"] = 1;
  j["layers"] = nlohmann::json::array();
  for (const nn::DenseLayer& l : net.layers()) {
    nlohmann::json jl;
    nlohmann::json rows = nlohmann::json::array();
    for (Eigen::Index r = 0; r < l.weight.rows(); ++r)
      rows.push_back(toVector(l.weight.row(r).transpose()));
    jl["weight"] = rows;
    jl["bias"] = toVector(l.bias);
    jl["activation"] = nn::activationName(l.activation);
    if (l.activation == nn::Activation::kStep) {
      jl["lambda"] = toVector(l.step.lambda);
      jl["beta"] = l.step.beta;
      jl["gamma"] = l.step.gamma;
    }
    j["layers"].push_back(jl);
  }
  j["meta"] = nlohmann::json::parse(meta_json.empty() ? "{}" : meta_json);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp);
    out << j.dump(1) << "\n";
    if (!out) fail(ErrorKind::kIo, "{}: write failed", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(ErrorKind::kIo, "{}: rename failed: {}", path, ec.message());
}

nn::Network loadNetwork(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".onnx") return nn::readOnnx(path);
  std::ifstream in(path);
  if (!in) fail(ErrorKind::kIo, "{}: cannot open", path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::kInvalidInput, "{}: not JSON: {}", path, e.what());
  }
  if (j.value("format", "") != "nnmip-step-network") {
    fail(ErrorKind::kInvalidInput, "{}: not an nnmip step network (format field)", path);
  }
  std::vector<nn::DenseLayer> layers;
  try {
    for (const auto& jl : j.at("layers")) {
      nn::DenseLayer l;
      const auto& rows = jl.at("weight");
      const size_t n_in = rows.empty() ? 0 : rows[0].size();
      l.weight.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(n_in));
      for (size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != n_in)
          fail(ErrorKind::kInvalidInput, "{}: ragged weight matrix", path);
        l.weight.row(static_cast<Eigen::Index>(r)) = fromJsonVec(rows[r]).transpose();
      }
      l.bias = fromJsonVec(jl.at("bias"));
      l.activation = activationFromName(jl.at("activation").get<std::string>(), path);
      if (l.activation == nn::Activation::kStep) {
        l.step.lambda = fromJsonVec(jl.at("lambda"));
        l.step.beta = jl.at("beta").get<double>();
        l.step.gamma = jl.at("gamma").get<double>();
      }
      layers.push_back(std::move(l));
    }
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::kInvalidInput, "{}: malformed step network: {}", path, e.what());
  }
  nn::Network net(std::move(layers));
  net.name = std::filesystem::path(path).stem().string();
  net.validate(path);
  return net;
}

}  // namespace nnmip::bdnn
