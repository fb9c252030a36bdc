#include "bounds/bounds_io.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace nnmip::bounds {

namespace {

constexpr const char* kSchema = "nnmip.bounds/1";

struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ULL;
  void bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  }
  void value(double v) {
    if (v == 0.0) v = 0.0;  // -0 and +0 hash alike
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bytes(&bits, sizeof bits);
  }
  void value(int64_t v) { bytes(&v, sizeof v); }
};

std::vector<double> toVector(const Vec& v) { return {v.data(), v.data() + v.size()}; }

Vec toVec(const std::vector<double>& v) {
  return Eigen::Map<const Vec>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace

NetworkFingerprint fingerprint(const nn::Network& net) {
  NetworkFingerprint fp;
  fp.sizes = net.sizes();
  Fnv1a h;
  for (int s : fp.sizes) h.value(static_cast<int64_t>(s));
  for (const nn::DenseLayer& layer : net.layers()) {
    fp.activations.emplace_back(nn::activationName(layer.activation));
    h.value(static_cast<int64_t>(layer.activation));
    for (Eigen::Index r = 0; r < layer.weight.rows(); ++r) {
      for (Eigen::Index c = 0; c < layer.weight.cols(); ++c) h.value(layer.weight(r, c));
    }
    for (Eigen::Index r = 0; r < layer.bias.size(); ++r) h.value(layer.bias[r]);
  }
  fp.hash = fmt::format("{:016x}", h.h);
  return fp;
}

void writeBoundsJson(const std::string& path, const nn::Network& net, const NetworkBounds& bounds,
                     const std::string& domain_description, const std::vector<LayerStats>& stats) {
  encode::checkBoundsFor(net, bounds);
  const NetworkFingerprint fp = fingerprint(net);
  nlohmann::json j;
  j["schema"] = kSchema;
  j["network"] = {
      {"name", net.name}, {"sizes", fp.sizes}, {"activations", fp.activations}, {"hash", fp.hash}};
  j["domain"] = {{"description", domain_description},
                 {"lo", toVector(bounds.input.lo)},
                 {"hi", toVector(bounds.input.hi)}};
  j["method"] = bounds.method;
  nlohmann::json layers = nlohmann::json::array();
  for (int l = 0; l < bounds.numLayers(); ++l) {
    const LayerBounds& b = bounds.layers[static_cast<size_t>(l)];
    // A final softmax's bounds are on its logits (what the encodings see), never probabilities.
    const bool logits = net.layer(l).activation == nn::Activation::kSoftmax;
    nlohmann::json jl = {{"layer", l + 1},
                         {"quantity", logits ? "logits" : "pre-activation"},
                         {"lo", toVector(b.lo)},
                         {"hi", toVector(b.hi)}};
    if (static_cast<size_t>(l) < stats.size()) {
      const LayerStats& s = stats[static_cast<size_t>(l)];
      jl["stats"] = {{"mean_width", s.mean_width},
                     {"max_width", s.max_width},
                     {"relu", s.relu},
                     {"stable_active", s.stable_active},
                     {"stable_inactive", s.stable_inactive},
                     {"unstable", s.unstable},
                     {"lps", s.lps},
                     {"milps", s.milps},
                     {"failed", s.failed},
                     {"lp_iterations", s.lp_iterations},
                     {"mip_nodes", s.mip_nodes},
                     {"time_s", s.time_s}};
    }
    layers.push_back(std::move(jl));
  }
  j["layers"] = std::move(layers);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) fail(ErrorKind::kIo, "{}: cannot open for writing", tmp);
    out << j.dump() << '\n';
    if (!out) fail(ErrorKind::kIo, "{}: write failed", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(ErrorKind::kIo, "{}: cannot rename to {}: {}", tmp, path, ec.message());
}

NetworkBounds readBoundsJson(const std::string& path, const nn::Network& net) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::kIo, "{}: cannot open bounds file", path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::kInvalidInput, "{}: not valid JSON: {}", path, e.what());
  }
  try {
    if (j.value("schema", std::string()) != kSchema) {
      fail(ErrorKind::kInvalidInput, "{}: not a bounds file (schema '{}', expected '{}')", path,
           j.value("schema", std::string()), kSchema);
    }
    const NetworkFingerprint want = fingerprint(net);
    NetworkFingerprint got;
    got.sizes = j.at("network").at("sizes").get<std::vector<int>>();
    got.activations = j.at("network").at("activations").get<std::vector<std::string>>();
    got.hash = j.at("network").at("hash").get<std::string>();
    if (!(got == want)) {
      fail(ErrorKind::kInvalidInput,
           "{}: bounds were computed for another network (sizes [{}], hash {}), not this one "
           "(sizes [{}], hash {})",
           path, fmt::join(got.sizes, ","), got.hash, fmt::join(want.sizes, ","), want.hash);
    }
    NetworkBounds b;
    b.method = j.at("method").get<std::string>();
    b.input =
        encode::Box(toVec(j.at("domain").at("lo").get<std::vector<double>>()),
                    toVec(j.at("domain").at("hi").get<std::vector<double>>()), path + ": domain");
    for (const auto& jl : j.at("layers")) {
      b.layers.push_back({toVec(jl.at("lo").get<std::vector<double>>()),
                          toVec(jl.at("hi").get<std::vector<double>>())});
    }
    encode::checkBoundsFor(net, b);
    return b;
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::kInvalidInput, "{}: malformed bounds file: {}", path, e.what());
  }
}

}  // namespace nnmip::bounds
