// The `compare` and `mineps` campaigns (thesis chapter 4): job counts at both scales, stable ids,
// and a tiny run (two maxout jobs and one maxdiff job on made-up networks of the small stand-in
// shapes, MNIST references) that is stopped after its first job, resumed, and then gives the same
// tables from the store as the report's CSV, with every job stored once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "core/data_dir.hpp"
#include "core/rng.hpp"
#include "experiments/campaign.hpp"
#include "experiments/campaigns.hpp"
#include "experiments/compare_campaign.hpp"
#include "nn/onnx_io.hpp"
#include "nn/prune.hpp"
#include "train/mlp.hpp"
#include "train/trainer.hpp"

namespace nnmip::experiments {
namespace {

namespace fs = std::filesystem;

fs::path freshDir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("nnmip_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ids(const std::string& name, const CampaignContext& ctx) {
  std::vector<std::string> out;
  for (const Job& j : makeCampaign(name)->jobs(ctx)) out.push_back(j.id);
  return out;
}

std::map<std::string, int> kindCounts(const std::string& name, const CampaignContext& ctx) {
  std::map<std::string, int> out;
  for (const Job& j : makeCampaign(name)->jobs(ctx)) ++out[j.spec.at("kind").get<std::string>()];
  return out;
}

// Paper: 3 pairs x (box + 10 references x {linf, neighbours}) x {lp, alpha} x {attack, none} =
// 252 thesis jobs; maxout 90 ordered pairs over the box + 10 references x 9 = 180. mineps: 40
// levels x 10 digits x 2 orders = 800, flips 4 levels x 10 = 40, certify 2 radii x 40 = 80.
TEST(CompareCampaign, JobCountsAtBothScales) {
  CampaignContext paper;
  paper.scale = Scale::kPaper;
  EXPECT_EQ(kindCounts("compare", paper),
            (std::map<std::string, int>{{"thesis", 252}, {"maxout", 180}}));
  EXPECT_EQ(kindCounts("mineps", paper),
            (std::map<std::string, int>{{"mineps", 800}, {"flips", 40}, {"certify", 80}}));
  CampaignContext small;
  small.scale = Scale::kSmall;
  // Small: 3 pairs x (box + 2 references x 2 domains) x alpha x 2 = 30; maxout 2 x 9 = 18.
  EXPECT_EQ(kindCounts("compare", small),
            (std::map<std::string, int>{{"thesis", 30}, {"maxout", 18}}));
  // Small: 5 levels x 3 digits x 2 orders = 30; flips 2 x 3 = 6; certify 2 x 5 = 10.
  EXPECT_EQ(kindCounts("mineps", small),
            (std::map<std::string, int>{{"mineps", 30}, {"flips", 6}, {"certify", 10}}));
}

TEST(CompareCampaign, IdsAreStableAndUnique) {
  for (const Scale scale : {Scale::kSmall, Scale::kPaper}) {
    for (const std::string name : {"compare", "mineps"}) {
      CampaignContext a, b;
      a.scale = b.scale = scale;
      a.root = "/tmp/one";
      b.root = "/elsewhere/two";  // the output folder is not part of an id
      const std::vector<std::string> ia = ids(name, a);
      EXPECT_EQ(ia, ids(name, b)) << name;
      EXPECT_EQ(std::set<std::string>(ia.begin(), ia.end()).size(), ia.size()) << name;
    }
  }
  CampaignContext paper;
  paper.scale = Scale::kPaper;
  const std::vector<std::string> c = ids("compare", paper), m = ids("mineps", paper);
  // Literal ids: a stored job of an earlier run must keep resuming.
  EXPECT_EQ(c.front(), "compare|thesis|800x2_200x5|box|lp|attack");
  EXPECT_NE(std::find(c.begin(), c.end(), "compare|maxout|800x2_200x5|linf_ref61_0.05|c8_c3"),
            c.end());
  EXPECT_EQ(m.front(), "mineps|mineps|mnist_15x2_l1_2e-4_sum_e50_s1|p5|digit0|forward");
  EXPECT_NE(std::find(m.begin(), m.end(),
                      "mineps|mineps|mnist_15x2_l1_2e-4_sum_e50_s1|p92.75|digit9|swap"),
            m.end());
  EXPECT_EQ(m.back(), "mineps|certify|mnist_15x2_l1_2e-4_sum_e50_s1|r0.05|p92.75");
}

// Made-up networks at the small stand-ins' paths (784 -> arch -> 10, seeded).
void writeNets(const CampaignContext& ctx) {
  for (const NetSpec& n : thesisNets(Scale::kSmall)) {
    if (n.reg != "l1" || n.lambda != "2e-4" || n.lambda_scale != "sum") continue;
    Rng rng(7);
    const nn::Network net = train::makeMlp(784, train::parseArch(n.arch), 10, true, rng);
    fs::create_directories(netPath(ctx, n).parent_path());
    nn::writeOnnx(net, netPath(ctx, n), nn::OnnxPrecision::kFloat);
  }
}

std::string tablesText(const std::vector<nlohmann::json>& rows) {
  std::string s;
  for (const std::string kind : {"thesis", "maxout"}) {
    for (const NamedTable& t : compareTables(kind, rows)) s += t.heading + "\n" + csvText(t.table);
  }
  return s;
}

TEST(CompareCampaign, TinyRunStopsResumesAndPrintsTheSameTables) {
  const auto data = resolveDataDir();
  if (!data || !fs::exists(*data / "mnist")) GTEST_SKIP() << "no MNIST under the data directory";
  const fs::path dir = freshDir("compare_campaign");
  CampaignContext ctx;
  ctx.scale = Scale::kSmall;
  ctx.root = dir;
  ctx.data_dir = *data;
  ctx.job_filter =
      R"(^compare\|(maxout\|16x2_8x5\|linf_ref3_0\.05\|c0_c[12]|thesis\|16x2_8x5\|linf_ref3_0\.05\|alpha\|attack)$)";
  writeNets(ctx);
  // Stop after the first job is stored.
  int done = 0;
  ctx.callbacks.on_log = [&done](Level, std::string_view m) {
    if (m.find(" done in ") != std::string_view::npos) ++done;
  };
  ctx.callbacks.should_stop = [&done] { return done >= 1; };
  auto c = makeCampaign("compare");
  const CampaignSummary first = runCampaign(*c, ctx);
  EXPECT_EQ(first.jobs, 3);
  EXPECT_EQ(first.ran, 1);
  EXPECT_FALSE(first.complete);
  ctx.callbacks.should_stop = {};
  const CampaignSummary second = runCampaign(*c, ctx);
  EXPECT_EQ(second.skipped, 1);
  EXPECT_EQ(second.ran, 2);
  EXPECT_TRUE(second.complete);
  const std::string after_resume = tablesText(storedCampaignRows("compare", ctx));
  // A third run runs nothing and reports the same tables.
  const CampaignSummary third = runCampaign(*c, ctx);
  EXPECT_EQ(third.ran, 0);
  EXPECT_EQ(tablesText(storedCampaignRows("compare", ctx)), after_resume);
  // The report's CSV is the table the CLI prints.
  EXPECT_EQ(readText(dir / "compare" / "thesis_runs.csv"),
            csvText(compareTables("thesis", storedCampaignRows("compare", ctx))[0].table));
  // Every job stored exactly once.
  std::map<std::string, int> seen;
  std::ifstream in(dir / "compare" / "jobs.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ++seen[nlohmann::json::parse(line).at("key").get<std::string>()];
  }
  EXPECT_EQ(seen.size(), 3u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  // The maxout rows: C1 = 0 (reference 3 is a 0), a status per pair.
  const std::vector<nlohmann::json> rows = storedCampaignRows("compare", ctx);
  MnistTestSet test;  // for the thesis rows' pruned accuracies
  test.load(ctx);
  for (const auto& r : rows) {
    EXPECT_FALSE(r.value("status", "").empty());
    if (r.at("spec").at("kind") == "maxout") {
      EXPECT_EQ(r.at("spec").at("class1"), 0);
    }
    if (r.at("spec").at("kind") != "thesis") continue;
    // The accuracy of each pruned network encoded, as an independent evaluation gives it.
    for (const auto& [file, field] :
         {std::pair{"file_a", "n1_pruned_accuracy"}, std::pair{"file_b", "n2_pruned_accuracy"}}) {
      nn::Network net = nn::readOnnx(r.at("spec").at(file).get<std::string>());
      nn::pruneByPercent(net, r.at("spec").at("prune_percent").get<double>(),
                         nn::PruneScope::kGlobal);
      EXPECT_DOUBLE_EQ(r.at(field).get<double>(), train::evaluateAccuracy(net, test.get()))
          << field;
    }
    // The thesis row keeps its input and reference (rounded to 1e-4) for Figure 4.2's picture:
    // the input lies in the linf 0.05 ball of the reference and in [0, 1].
    const std::vector<double> x = imageOf(r, "x"), x0 = imageOf(r, "x0");
    ASSERT_EQ(x.size(), 784u);
    ASSERT_EQ(x0.size(), 784u);
    double dist = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      dist = std::max(dist, std::abs(x[i] - x0[i]));
      EXPECT_GE(x[i], 0.0);
      EXPECT_LE(x[i], 1.0);
    }
    EXPECT_LE(dist, 0.05 + 1e-4);
    EXPECT_GT(dist, 0.0);
  }
  EXPECT_TRUE(fs::exists(dir / "compare" / "plots" / "fig4_2_800x2_200x5_linf.png"));
  const std::string report = readText(dir / "compare" / "report.md");
  EXPECT_NE(report.find("(plots/fig4_2_800x2_200x5_linf.png)"), std::string::npos);
  EXPECT_NE(report.find("test accuracy after the pruning"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nnmip::experiments
