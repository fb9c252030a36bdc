// What the campaigns share (campaigns.hpp): number formats, reading stored rows, the MNIST test
// set.
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

void MnistTestSet::load(const CampaignContext& ctx) {
  std::call_once(once_, [&] { test_ = data::readMnist(ctx.dataDir(), false); });
}

}  // namespace nnmip::experiments
