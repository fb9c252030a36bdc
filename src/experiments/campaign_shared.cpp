// What the campaigns share (campaigns.hpp): number formats, reading stored rows, stored images,
// the MNIST test set.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "data/mnist.hpp"
#include "experiments/campaigns.hpp"

namespace nnmip::experiments {

std::string pct(double fraction, int digits) {
  return std::isfinite(fraction) ? fmt::format("{:.{}f}", 100.0 * fraction, digits) : "-";
}
std::string num(double v, int digits) {
  return std::isfinite(v) ? fmt::format("{:.{}g}", v, digits) : "-";
}

double numberOr(const nlohmann::json& j, const char* key, double fallback) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::vector<std::string> specValuesInOrder(const std::vector<nlohmann::json>& rows,
                                           const char* key) {
  std::vector<std::string> out;
  for (const nlohmann::json& r : rows) {
    const std::string v = r.at("spec").at(key);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

nlohmann::json imageJson(const std::vector<double>& x) {
  nlohmann::json out = nlohmann::json::array();
  for (double v : x) out.push_back(std::round(v * 1e4) / 1e4);
  return out;
}

std::vector<double> imageOf(const nlohmann::json& row, const char* key) {
  std::vector<double> out;
  if (!row.contains(key) || !row[key].is_array()) return out;
  for (const nlohmann::json& v : row[key]) {
    if (!v.is_number()) return {};
    out.push_back(v.get<double>());
  }
  return out;
}

std::vector<double> imageDifference(const std::vector<double>& x, const std::vector<double>& x0) {
  if (x.empty() || x.size() != x0.size()) return {};
  std::vector<double> d(x.size());
  for (size_t i = 0; i < x.size(); ++i) d[i] = x[i] - x0[i];
  return d;
}

void MnistTestSet::load(const CampaignContext& ctx) {
  std::call_once(once_, [&] { test_ = data::readMnist(ctx.dataDir(), false); });
}

}  // namespace nnmip::experiments
