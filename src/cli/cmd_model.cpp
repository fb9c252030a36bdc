// nnmip info | eval | convert: look at a network, measure its accuracy, re-export it.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "cli/datasets.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "nn/forward.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip::cli {
namespace {

nlohmann::json networkJson(const nn::Network& net, const std::string& path) {
  nlohmann::json layers = nlohmann::json::array();
  for (const nn::DenseLayer& l : net.layers()) {
    layers.push_back({{"in", l.inputSize()},
                      {"out", l.outputSize()},
                      {"activation", nn::activationName(l.activation)},
                      {"zero_weights", (l.weight.array() == 0.0).count()}});
  }
  return {{"path", path},
          {"inputs", net.inputSize()},
          {"outputs", net.outputSize()},
          {"sizes", net.sizes()},
          {"parameters", net.parameterCount()},
          {"hidden_relus", net.hiddenReluCount()},
          {"layers", layers}};
}

struct EvalReport {
  double accuracy = 0;
  int samples = 0;
  std::vector<std::vector<long>> confusion;  // [true][predicted]
};

EvalReport evaluate(const nn::Network& net, const data::Dataset& ds) {
  if (ds.features() != net.inputSize()) {
    fail(ErrorKind::kInvalidInput, "network expects {} inputs but data set {} has {} features",
         net.inputSize(), ds.name, ds.features());
  }
  EvalReport r;
  r.samples = ds.size();
  const std::vector<int> pred = nn::predictClasses(net, ds.X);
  r.accuracy = data::accuracy(pred, ds.y);
  const int k = std::max(ds.num_classes, net.outputSize());
  r.confusion.assign(static_cast<size_t>(k), std::vector<long>(static_cast<size_t>(k), 0));
  for (size_t i = 0; i < pred.size(); ++i) {
    r.confusion[static_cast<size_t>(ds.y[i])][static_cast<size_t>(pred[i])]++;
  }
  return r;
}

void printConfusion(const EvalReport& r) {
  std::vector<std::string> cols{"<true\\pred"};
  for (size_t j = 0; j < r.confusion.size(); ++j) cols.push_back(std::to_string(j));
  Table t(cols);
  for (size_t i = 0; i < r.confusion.size(); ++i) {
    std::vector<std::string> row{std::to_string(i)};
    for (long c : r.confusion[i]) row.push_back(std::to_string(c));
    t.addRow(row);
  }
  t.print();
}

}  // namespace

void addModelCommands(CLI::App& app, GlobalOptions& g) {
  {
    auto* cmd = app.add_subcommand("info", "Load an ONNX network and print its structure");
    auto path = std::make_shared<std::string>();
    auto json_out = std::make_shared<std::string>();
    cmd->add_option("model", *path, "ONNX file")->required();
    cmd->add_option("--json", *json_out, "also write the summary as JSON to this file");
    cmd->callback([path, json_out] {
      checkOutputPath(*json_out, "--json");
      nn::Network net = nn::readOnnx(*path);
      net.name = std::filesystem::path(*path).stem().string();
      std::fputs(nn::summarize(net).c_str(), stdout);
      if (!json_out->empty()) {
        writeJsonFile(*json_out, {{"schema", "nnmip.info/1"},
                                  {"tool", toolInfo()},
                                  {"network", networkJson(net, *path)}});
      }
    });
  }
  {
    auto* cmd =
        app.add_subcommand("eval", "Accuracy and confusion matrix of a network on a data set");
    auto path = std::make_shared<std::string>();
    auto req = std::make_shared<DatasetRequest>();
    auto json_out = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(0);
    cmd->add_option("model", *path, "ONNX file")->required();
    cmd->add_option("--dataset", req->name, datasetNamesHelp())->capture_default_str();
    cmd->add_option("--split", req->split, "train or test")
        ->check(CLI::IsMember({"train", "test"}))
        ->capture_default_str();
    cmd->add_option("--seed", req->seed, "shuffle seed (bcw, wdbc, random)")
        ->check(seedValue())
        ->capture_default_str();
    cmd->add_option("--limit", *limit, "evaluate only the first N samples (0 = all)")
        ->check(intRange(0, std::numeric_limits<int>::max()));
    cmd->add_option("--json", *json_out, "write the result as JSON to this file");
    cmd->callback([path, req, json_out, limit, &g] {
      checkOutputPath(*json_out, "--json");
      req->data_dir = g.data_dir;
      const nn::Network net = nn::readOnnx(*path);
      data::Dataset ds = loadDataset(*req);
      if (*limit > 0) ds = ds.head(*limit);
      const EvalReport r = evaluate(net, ds);
      fmt::print("network   {}\ndataset   {} ({} split, {} samples)\naccuracy  {:.4f}\n", *path,
                 req->name, req->split, r.samples, r.accuracy);
      printConfusion(r);
      if (!json_out->empty()) {
        writeJsonFile(*json_out, {{"schema", "nnmip.eval/1"},
                                  {"tool", toolInfo()},
                                  {"network", *path},
                                  {"dataset", req->name},
                                  {"split", req->split},
                                  {"samples", r.samples},
                                  {"accuracy", r.accuracy},
                                  {"confusion", r.confusion}});
      }
    });
  }
  {
    auto* cmd =
        app.add_subcommand("convert", "Re-export an ONNX network (Gemm/Relu), float32 or double");
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto as_double = std::make_shared<bool>(false);
    cmd->add_option("model", *in, "input ONNX file")->required();
    cmd->add_option("-o,--output", *out, "output ONNX file")->required();
    cmd->add_flag("--double", *as_double, "store DOUBLE tensors (default FLOAT, rounded once)");
    cmd->callback([in, out, as_double] {
      checkOutputFile(*out, "-o");
      const nn::Network net = nn::readOnnx(*in);
      nn::writeOnnx(net, *out, *as_double ? nn::OnnxPrecision::kDouble : nn::OnnxPrecision::kFloat);
      fmt::print("wrote {} ({} layers, {})\n", *out, net.numLayers(),
                 *as_double ? "double" : "float");
    });
  }
}

}  // namespace nnmip::cli
