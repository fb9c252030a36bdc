#include "encode/bigm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/forward.hpp"

namespace nnmip::encode {

InputVars addInputs(mip::Model& model, const Box& box, const std::string& prefix) {
  box.validate("input domain");
  InputVars in;
  in.x.reserve(static_cast<size_t>(box.size()));
  for (int i = 0; i < box.size(); ++i) {
    in.x.push_back(model.addContinuous(box.lo[i], box.hi[i], fmt::format("{}x{}", prefix, i)));
  }
  return in;
}

EncodedNetwork encodeNetwork(mip::Model& model, const nn::Network& net, const InputVars& inputs,
                             const NetworkBounds& bounds, const EncodeOptions& options) {
  checkSupported(net);
  const int num_layers = options.num_layers < 0 ? net.numLayers() : options.num_layers;
  if (num_layers < 1 || num_layers > net.numLayers()) {
    fail(ErrorKind::kInvalidInput, "encode: num_layers {} out of range 1..{}", num_layers,
         net.numLayers());
  }
  if (inputs.size() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "encode: {} input variables but the network has {} inputs",
         inputs.size(), net.inputSize());
  }
  if (bounds.numLayers() < num_layers) {
    fail(ErrorKind::kInvalidInput, "encode: bounds for {} layers, {} needed", bounds.numLayers(),
         num_layers);
  }
  for (int l = 0; l < num_layers; ++l) {
    const LayerBounds& b = bounds.layers[static_cast<size_t>(l)];
    const int n = net.layer(l).outputSize();
    if (b.lo.size() != n || b.hi.size() != n) {
      fail(ErrorKind::kInvalidInput, "encode: bounds of layer {} have size {}, layer has {}", l,
           b.lo.size(), n);
    }
    for (int j = 0; j < n; ++j) {
      if (!std::isfinite(b.lo[j]) || !std::isfinite(b.hi[j]) || b.lo[j] > b.hi[j]) {
        fail(ErrorKind::kInvalidInput,
             "encode: bounds of neuron {} in layer {} are invalid: "
             "[{}, {}]",
             j, l, b.lo[j], b.hi[j]);
      }
    }
  }

  EncodedNetwork enc;
  enc.network = &net;
  enc.inputs = inputs;
  enc.options = options;
  const std::string& p = options.prefix;
  const mip::VarType z_type = options.relax ? mip::VarType::kContinuous : mip::VarType::kBinary;

  // Post-activation variables of the previous layer (invalid = constant 0).
  std::vector<mip::Var> prev = inputs.x;
  std::vector<mip::Term> terms;
  for (int l = 0; l < num_layers; ++l) {
    const nn::DenseLayer& layer = net.layer(l);
    const LayerBounds& b = bounds.layers[static_cast<size_t>(l)];
    const bool last = l + 1 == num_layers;
    const bool relu = isReluLayer(layer) && (!last || options.last_activation);
    const int name_l = l + 1;
    EncodedLayer el;
    el.neurons.resize(static_cast<size_t>(layer.outputSize()));
    std::vector<mip::Var> cur(static_cast<size_t>(layer.outputSize()));
    for (int j = 0; j < layer.outputSize(); ++j) {
      NeuronVars& nv = el.neurons[static_cast<size_t>(j)];
      const double lo = b.lo[j];
      const double hi = b.hi[j];
      nv.pre = model.addContinuous(lo, hi, fmt::format("{}L{}N{}_pre", p, name_l, j));
      // a - W h = b
      terms.clear();
      terms.push_back({nv.pre, 1.0});
      for (int k = 0; k < layer.inputSize(); ++k) {
        const mip::Var v = prev[static_cast<size_t>(k)];
        const double w = layer.weight(j, k);
        if (!v.valid() || w == 0.0) continue;
        terms.push_back({v, -w});
      }
      model.addEq(terms, layer.bias[j], fmt::format("{}L{}N{}_def", p, name_l, j));

      if (!relu) {
        nv.state = NeuronState::kLinear;
        nv.post = nv.pre;
        ++enc.stats.linear;
      } else if (hi <= 0.0) {
        nv.state = NeuronState::kInactive;
        ++enc.stats.stable_inactive;
        if (last) {
          nv.post = model.addContinuous(0.0, 0.0, fmt::format("{}L{}N{}_post", p, name_l, j));
        }
      } else if (lo >= 0.0) {
        nv.state = NeuronState::kActive;
        nv.post = nv.pre;
        ++enc.stats.stable_active;
      } else {
        nv.state = NeuronState::kUnstable;
        ++enc.stats.binaries;
        nv.post = model.addContinuous(0.0, hi, fmt::format("{}L{}N{}_post", p, name_l, j));
        nv.neg = model.addContinuous(0.0, -lo, fmt::format("{}L{}N{}_neg", p, name_l, j));
        nv.on = model.addVar(0.0, 1.0, z_type, fmt::format("{}L{}N{}_on", p, name_l, j));
        // a - h + hbar = 0
        model.addEq({{nv.pre, 1.0}, {nv.post, -1.0}, {nv.neg, 1.0}}, 0.0,
                    fmt::format("{}L{}N{}_split", p, name_l, j));
        // h - H z <= 0
        model.addRow(-mip::kInf, 0.0, {{nv.post, 1.0}, {nv.on, -hi}},
                     fmt::format("{}L{}N{}_on", p, name_l, j));
        // hbar <= Hbar (1 - z)  <=>  hbar + Hbar z <= Hbar, Hbar = -lo
        model.addRow(-mip::kInf, -lo, {{nv.neg, 1.0}, {nv.on, -lo}},
                     fmt::format("{}L{}N{}_off", p, name_l, j));
      }
      cur[static_cast<size_t>(j)] = nv.post;
    }
    enc.layers.push_back(std::move(el));
    prev = std::move(cur);
  }
  enc.outputs = prev;
  return enc;
}

namespace {

void addRowOver(mip::Model& model, const std::vector<mip::Var>& vars, const LinearRow& row,
                const std::string& name) {
  std::vector<mip::Term> terms;
  for (size_t i = 0; i < vars.size(); ++i) {
    const double c = row.coef[static_cast<Eigen::Index>(i)];
    if (c != 0.0 && vars[i].valid()) terms.push_back({vars[i], c});
  }
  if (terms.empty()) {  // 0 within [lo, hi] or the row is unsatisfiable: keep it as 0 = 1
    if (row.lo <= 0.0 && row.hi >= 0.0) return;
    const mip::Var zero = model.addContinuous(0.0, 0.0, name + "_zero");
    model.addRow(1.0, 1.0, {{zero, 1.0}}, name);
    return;
  }
  model.addRow(row.lo, row.hi, terms, name);
}

}  // namespace

EncodedNetwork encodeNetwork(mip::Model& model, const nn::Network& net, const Domain& domain,
                             const NetworkBounds& bounds, const EncodeOptions& options) {
  domain.validate(net, "encode domain");
  const int num_layers = options.num_layers < 0 ? net.numLayers() : options.num_layers;
  if (!domain.output_rows.empty() && (num_layers != net.numLayers() || !options.last_activation)) {
    fail(ErrorKind::kInvalidInput, "encode: output rows need every layer encoded");
  }
  NetworkBounds clamped = bounds;
  std::vector<std::pair<nn::NeuronId, Phase>> contradicted;
  for (int l = 0; l < std::min(num_layers, clamped.numLayers()); ++l) {
    LayerBounds& b = clamped.layers[static_cast<size_t>(l)];
    const LayerBounds before = b;
    if (applySplits(domain, l, b)) continue;
    for (int j = 0; j < b.size(); ++j) {
      const auto phase = domain.phaseOf({l, j});
      if (phase && (*phase == Phase::kActive ? before.hi[j] < 0.0 : before.lo[j] > 0.0)) {
        contradicted.emplace_back(nn::NeuronId{l, j}, *phase);
      }
    }
  }
  const std::string& p = options.prefix;
  const InputVars inputs = addInputs(model, domain.box, p);
  for (size_t r = 0; r < domain.input_rows.size(); ++r) {
    addRowOver(model, inputs.x, domain.input_rows[r], fmt::format("{}in_row{}", p, r));
  }
  EncodedNetwork enc = encodeNetwork(model, net, inputs, clamped, options);
  for (const auto& [id, phase] : contradicted) {
    const mip::Var pre = enc.neuron(id.layer, id.index).pre;
    model.addRow(phase == Phase::kActive ? 0.0 : -mip::kInf,
                 phase == Phase::kActive ? mip::kInf : 0.0, {{pre, 1.0}},
                 fmt::format("{}L{}N{}_split", p, id.layer + 1, id.index));
    enc.empty = true;
  }
  for (size_t r = 0; r < domain.output_rows.size(); ++r) {
    addRowOver(model, enc.outputs, domain.output_rows[r], fmt::format("{}out_row{}", p, r));
  }
  return enc;
}

namespace {

void setValue(std::vector<double>& point, const mip::Model& model, mip::Var v, double value) {
  if (!v.valid()) return;
  const mip::Column& c = model.column(v);
  point[static_cast<size_t>(v.id)] = std::clamp(value, c.lb, c.ub);
}

}  // namespace

std::vector<double> mipStartFromInput(const mip::Model& model,
                                      std::span<const EncodedNetwork* const> nets,
                                      const Eigen::VectorXd& x) {
  std::vector<double> point(static_cast<size_t>(model.numVars()), 0.0);
  for (int i = 0; i < model.numVars(); ++i) {
    const mip::Column& c = model.columns()[static_cast<size_t>(i)];
    point[static_cast<size_t>(i)] = std::clamp(0.0, c.lb, c.ub);
  }
  for (const EncodedNetwork* enc : nets) {
    NNMIP_CHECK(enc != nullptr && enc->network != nullptr, "mipStartFromInput: null encoding");
    const nn::Network& net = *enc->network;
    if (x.size() != net.inputSize()) {
      fail(ErrorKind::kInvalidInput, "mipStartFromInput: input of size {}, network expects {}",
           x.size(), net.inputSize());
    }
    for (int i = 0; i < enc->inputs.size(); ++i) setValue(point, model, enc->inputs.x[i], x[i]);
    const nn::ForwardTrace trace = nn::forwardTrace(net, x);
    for (size_t l = 0; l < enc->layers.size(); ++l) {
      const EncodedLayer& el = enc->layers[l];
      for (int j = 0; j < el.size(); ++j) {
        const NeuronVars& nv = el.neurons[static_cast<size_t>(j)];
        const double a = trace.pre[l][j];
        setValue(point, model, nv.pre, a);
        switch (nv.state) {
          case NeuronState::kUnstable:
            setValue(point, model, nv.post, std::max(a, 0.0));
            setValue(point, model, nv.neg, std::max(-a, 0.0));
            setValue(point, model, nv.on, a > 0.0 ? 1.0 : 0.0);
            break;
          case NeuronState::kInactive: setValue(point, model, nv.post, 0.0); break;
          case NeuronState::kActive:
          case NeuronState::kLinear: break;
        }
      }
    }
  }
  return point;
}

std::vector<double> mipStartFromInput(const mip::Model& model, const EncodedNetwork& net,
                                      const Eigen::VectorXd& x) {
  const EncodedNetwork* one[] = {&net};
  return mipStartFromInput(model, one, x);
}

}  // namespace nnmip::encode
