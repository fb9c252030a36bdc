#pragma once
// The campaigns of `nnmip experiment` (campaign.hpp) and what they share: the thesis's network
// grid (the `nets` campaign trains it; pruning, bounds and pv read its files).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "experiments/campaign.hpp"

namespace nnmip::experiments {

std::unique_ptr<Campaign> makeNetsCampaign();
std::unique_ptr<Campaign> makePruningCampaign();
std::unique_ptr<Campaign> makeBoundsCampaign();
std::unique_ptr<Campaign> makeBdnnCampaign();
std::unique_ptr<Campaign> makeVerifyCampaign();
std::unique_ptr<Campaign> makePvCampaign();
std::unique_ptr<Campaign> makeCompareCampaign();
std::unique_ptr<Campaign> makeMinepsCampaign();
std::unique_ptr<Campaign> makeSelftestCampaign();  // tests: made-up data, seconds

// One network of the thesis's grid (Table 2.1) or its small stand-in.
struct NetSpec {
  std::string arch;                  // "200x5" (paper) or "8x5" (small)
  std::string paper_arch;            // the thesis architecture it stands for ("200x5")
  std::string reg = "none";          // none | l1 | l2
  std::string lambda = "0";          // as written in the thesis: "1e-4", "2e-4", "3e-4"
  std::string lambda_scale = "sum";  // sum (the grid) | mean (side rows)
  int epochs = 50;
  int train_limit = 0;  // first N training images (0: all 60,000)
  uint64_t seed = 1;
  bool side = false;  // a side row (mean convention, or the mineps 15x2 net), not in the figures

  // "mnist_8x5_l1_2e-4_sum_e3_n20000_s1" (paper: "mnist_200x5_l1_2e-4_sum_e50_s1").
  std::string name() const;
  double lambdaValue() const;
  int depth() const;          // hidden layers
  double parameters() const;  // weights and biases of 784 -> arch -> 10
};

// The grid at a scale: 4 architectures x (none, L1 and L2 at 1e-4, 2e-4, 3e-4) under `sum`, then
// the side rows: the mineps 15x2 L1 2e-4 net, and the `mean` L1 1e-4 / L2 {1e-4,2e-4,3e-4} nets of
// the 200x5 stand-in.
std::vector<NetSpec> thesisNets(Scale scale);
// <root>/nets/<name>.onnx
std::filesystem::path netPath(const CampaignContext& ctx, const NetSpec& net);
// "nets|<name>": the `nets` job that trains `net`.
std::string netsJobId(const NetSpec& net);
// The `nets` jobs whose networks `jobs` read: the values of the spec fields `file_keys` that are
// the netPath of a network of ctx.scale's grid (Campaign::neededJobs of a campaign over `nets`).
std::set<std::string> netsJobsReadBy(const std::vector<Job>& jobs, const CampaignContext& ctx,
                                     const std::vector<std::string>& file_keys);

// The thesis's references: the first MNIST test image of each class (index k holds class k).
inline const std::vector<int> kFirstOfClassRefs = {3, 2, 1, 18, 4, 8, 11, 0, 61, 7};

// The MNIST test set that the jobs of one campaign share: read by the first load() (a campaign's
// prepare(); a failed read is tried again by the next), read-only afterwards.
class MnistTestSet {
 public:
  void load(const CampaignContext& ctx);
  const data::Dataset& get() const { return test_; }

 private:
  std::once_flag once_;
  data::Dataset test_;
};

// The Rounder's eps grid (thesis §2.3.1).
inline const std::vector<double> kPruneEps = {1e-4, 1e-3, 1e-2, 4e-2, 1e-1};

// "12.34" (percent of a fraction), "-" for NaN.
std::string pct(double fraction, int digits = 1);
std::string num(double v, int digits = 4);  // {:.4g}, "-" for NaN
// j[key] when it is a number, else `fallback` (missing, null for +-inf, or not a number).
double numberOr(const nlohmann::json& j, const char* key, double fallback);
// The distinct values of spec[key] over the rows, in the order they first appear (table and plot
// order follows job order).
std::vector<std::string> specValuesInOrder(const std::vector<nlohmann::json>& rows,
                                           const char* key);
// An input stored in a job row for the report's pictures (data::ImageGrid): values rounded to
// 1e-4 (MNIST pixels k / 255 keep 4 digits; the exact input was re-evaluated when the job ran).
nlohmann::json imageJson(const std::vector<double>& x);
// row[key] as values; empty when absent or not an array of numbers.
std::vector<double> imageOf(const nlohmann::json& row, const char* key);
// x - x0 value by value; empty when x is empty or the sizes differ (a blank picture cell).
std::vector<double> imageDifference(const std::vector<double>& x, const std::vector<double>& x0);

}  // namespace nnmip::experiments
