// The experiment framework: the thesis's relative gap on a tiny net with literal values, an
// interrupted campaign that resumes to the tables of an uninterrupted one, the job store's torn
// tail, and the CPU-hour estimate of --dry-run.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "bounds/bounder.hpp"
#include "bounds/layer_bounds.hpp"
#include "core/error.hpp"
#include "experiments/campaign.hpp"
#include "experiments/job_store.hpp"
#include "nn/network.hpp"

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

//   x1, x2 in [-1, 1]
//   a1 = x1 + x2, a2 = x1 - x2          (both in [-2, 2], exact for every tier)
//   h = relu(a)
//   y = h1 + h2                          (identity output)
// max y = max_x relu(x1+x2) + relu(x1-x2) = 2 (x1 = 1), the MILP's value. The LP relaxation
// (triangle h_i <= (a_i + 2) / 2) gives h1 + h2 <= x1 + 2 <= 3. min y = 0 for both. So the
// relative gap |B_lp - B_milp| / (|B_milp| + 1e-10) is 0 on layer 1 and on the lower side, and
// (3 - 2) / 2 = 0.5 on the upper side of the output. A gap taken the other way round (B_lp in
// the denominator) would give 1/3.
TEST(CompareBounds, TinyNetLiteralGap) {
  nn::Network net;
  nn::DenseLayer l1;
  l1.weight.resize(2, 2);
  l1.weight << 1, 1, 1, -1;
  l1.bias = Eigen::VectorXd::Zero(2);
  l1.activation = nn::Activation::kRelu;
  nn::DenseLayer l2;
  l2.weight.resize(1, 2);
  l2.weight << 1, 1;
  l2.bias = Eigen::VectorXd::Zero(1);
  l2.activation = nn::Activation::kIdentity;
  net.addLayer(l1);
  net.addLayer(l2);
  const bounds::Box box = bounds::Box::uniform(2, -1.0, 1.0);
  bounds::BoundsOptions o;
  o.symbolic_seed = false;
  o.method = bounds::Method::kLp;
  const bounds::BoundsResult lp = bounds::computeBounds(net, box, o);
  o.method = bounds::Method::kMilp;
  const bounds::BoundsResult milp = bounds::computeBounds(net, box, o);
  EXPECT_NEAR(lp.bounds.layers[1].hi[0], 3.0, 1e-6);
  EXPECT_NEAR(milp.bounds.layers[1].hi[0], 2.0, 1e-6);
  EXPECT_NEAR(lp.bounds.layers[1].lo[0], 0.0, 1e-6);
  EXPECT_NEAR(milp.bounds.layers[1].lo[0], 0.0, 1e-6);
  const std::vector<bounds::LayerGap> g = bounds::compareBounds(lp.bounds, milp.bounds);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_NEAR(g[0].mean_lo, 0.0, 1e-9);
  EXPECT_NEAR(g[0].max_hi, 0.0, 1e-9);
  EXPECT_NEAR(g[1].mean_hi, 0.5, 1e-6);
  EXPECT_NEAR(g[1].max_hi, 0.5, 1e-6);
  EXPECT_LT(g[1].mean_lo, 1e-3);  // both 0 up to the safety margins: 1e-7 / (1e-7 + 1e-10)
}

CampaignContext selftestContext(const fs::path& root) {
  CampaignContext ctx;
  ctx.root = root;
  ctx.scale = Scale::kSmall;
  return ctx;
}

// A stop request after 5 jobs, then a resume: every job once, the same table as a fresh run.
TEST(Campaign, StoppedCampaignResumesToTheSameTables) {
  const fs::path dir = freshDir("campaign_resume");
  CampaignContext ctx = selftestContext(dir / "a");
  int started = 0;
  ctx.callbacks.on_log = [&](Level, std::string_view m) {
    started += m.find(": running") != std::string_view::npos;
  };
  ctx.callbacks.should_stop = [&] { return started >= 5; };
  auto c = makeCampaign("selftest");
  const CampaignSummary first = runCampaign(*c, ctx);
  EXPECT_FALSE(first.complete);
  EXPECT_EQ(first.ran, 5);
  ctx.callbacks = {};
  const CampaignSummary second = runCampaign(*c, ctx);
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(second.skipped, 5);
  EXPECT_EQ(second.ran, second.jobs - 5);
  std::map<std::string, int> ids;
  {
    std::ifstream in(dir / "a" / "selftest" / "jobs.jsonl");
    std::string line;
    while (std::getline(in, line))
      ++ids[nlohmann::json::parse(line).at(kJobIdField).get<std::string>()];
  }
  EXPECT_EQ(static_cast<int>(ids.size()), second.jobs);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  const CampaignSummary fresh = runCampaign(*c, selftestContext(dir / "b"));
  EXPECT_TRUE(fresh.complete);
  EXPECT_EQ(readText(dir / "a" / "selftest" / "selftest.csv"),
            readText(dir / "b" / "selftest" / "selftest.csv"));
  EXPECT_TRUE(fs::exists(dir / "a" / "selftest" / "report.md"));
  // --dry-run from the finished small run: a job count and an estimate.
  const std::vector<DryRun> d = dryRun("selftest", selftestContext(dir / "a"), dir / "a");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].jobs, 24);
  EXPECT_TRUE(d[0].cpu_hours.has_value());
  fs::remove_all(dir);
}

// A torn tail (a crash inside the last write) is cut on open, so the next line stands alone.
TEST(JobStoreAppend, TornTailIsCutBeforeTheNextAppend) {
  const fs::path dir = freshDir("jobstore_tail");
  {
    std::ofstream out(dir / "t.jsonl");
    out << R"({"key":"a","v":1})"
        << "\n"
        << R"({"key":"b","v)";
  }
  {
    JobStore s(dir / "t.jsonl");
    EXPECT_TRUE(s.done("a"));
    EXPECT_FALSE(s.done("b"));
    s.append("b", {{"v", 2}});
  }
  EXPECT_EQ(readText(dir / "t.jsonl"), "{\"key\":\"a\",\"v\":1}\n{\"key\":\"b\",\"v\":2}\n");
  JobStore again(dir / "t.jsonl");
  EXPECT_EQ(again.rows().size(), 2u);
  EXPECT_EQ(again.find("b")->at("v"), 2);
  fs::remove_all(dir);
}

// A campaign over `nets` runs only the networks it reads: mineps one (15x2), compare the three
// of its pairs, pv the four L1 2e-4 networks; pruning reads the whole grid, bounds the 28 grid
// networks without the side rows. --only narrows the named campaign's jobs and so its needs.
TEST(Campaign, DependenciesRunOnlyTheJobsTheirDependentsNeed) {
  CampaignContext paper;
  paper.scale = Scale::kPaper;
  const std::vector<PlannedCampaign> mineps = experimentPlan("mineps", paper);
  ASSERT_EQ(mineps.size(), 2u);
  EXPECT_EQ(mineps[0].name, "nets");
  EXPECT_EQ(mineps[0].needed, (std::set<std::string>{"nets|mnist_15x2_l1_2e-4_sum_e50_s1"}));
  EXPECT_EQ(mineps[1].name, "mineps");
  EXPECT_FALSE(mineps[1].needed.has_value());
  EXPECT_EQ(experimentPlan("compare", paper)[0].needed,
            (std::set<std::string>{"nets|mnist_800x2_l1_2e-4_sum_e50_s1",
                                   "nets|mnist_200x5_l1_2e-4_sum_e50_s1",
                                   "nets|mnist_100x10_l1_2e-4_sum_e50_s1"}));
  EXPECT_EQ(experimentPlan("pv", paper)[0].needed,
            (std::set<std::string>{
                "nets|mnist_3000x1_l1_2e-4_sum_e50_s1", "nets|mnist_800x2_l1_2e-4_sum_e50_s1",
                "nets|mnist_200x5_l1_2e-4_sum_e50_s1", "nets|mnist_100x10_l1_2e-4_sum_e50_s1"}));
  EXPECT_EQ(experimentPlan("pruning", paper)[0].needed->size(), 33u);
  EXPECT_EQ(experimentPlan("bounds", paper)[0].needed->size(), 28u);
  ASSERT_EQ(experimentPlan("selftest", paper).size(), 1u);
  CampaignContext one_pair = paper;
  one_pair.job_filter = R"(^compare\|thesis\|800x2_100x10\|)";
  EXPECT_EQ(experimentPlan("compare", one_pair)[0].needed,
            (std::set<std::string>{"nets|mnist_800x2_l1_2e-4_sum_e50_s1",
                                   "nets|mnist_100x10_l1_2e-4_sum_e50_s1"}));
  // --dry-run counts the needed jobs only.
  const std::vector<DryRun> d = dryRun("mineps", paper, "/nonexistent");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].jobs, 1);
  EXPECT_EQ(d[1].jobs, 920);
}

// needed_jobs: only those jobs run and count for `complete`; a later run with other needs runs
// only what is missing; the report covers every stored job.
TEST(Campaign, NeededJobsRunAloneAndTheRestLater) {
  const fs::path dir = freshDir("campaign_needed");
  CampaignContext ctx = selftestContext(dir);
  ctx.needed_jobs = std::set<std::string>{"selftest|seed2|epochs20", "selftest|seed7|epochs20"};
  auto c = makeCampaign("selftest");
  const CampaignSummary first = runCampaign(*c, ctx);
  EXPECT_EQ(first.jobs, 2);
  EXPECT_EQ(first.ran, 2);
  EXPECT_TRUE(first.complete);
  ctx.needed_jobs = std::set<std::string>{"selftest|seed7|epochs20", "selftest|seed9|epochs20"};
  const CampaignSummary second = runCampaign(*c, ctx);
  EXPECT_EQ(second.jobs, 2);
  EXPECT_EQ(second.skipped, 1);
  EXPECT_EQ(second.ran, 1);
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(storedCampaignRows("selftest", ctx).size(), 3u);
  EXPECT_NE(readText(dir / "selftest" / "report.md").find("3 of 24 jobs stored"),
            std::string::npos);
  ctx.needed_jobs = std::set<std::string>{"selftest|seed99|epochs20"};  // not one of its jobs
  EXPECT_THROW(runCampaign(*c, ctx), Error);
  fs::remove_all(dir);
}

TEST(Campaign, NamesAndScales) {
  EXPECT_EQ(parseScale("paper"), Scale::kPaper);
  EXPECT_FALSE(parseScale("huge").has_value());
  EXPECT_THROW(makeCampaign("nope"), Error);
  for (const char* name :
       {"nets", "pruning", "bounds", "bdnn", "verify", "pv", "compare", "mineps", "selftest"})
    EXPECT_EQ(makeCampaign(name)->name(), name);
  // Paper-scale job counts are fixed by the documents' grids.
  CampaignContext ctx;
  ctx.scale = Scale::kPaper;
  EXPECT_EQ(makeCampaign("nets")->jobs(ctx).size(), 33u);  // 28 grid + 15x2 + 4 mean side rows
  EXPECT_EQ(makeCampaign("pruning")->jobs(ctx).size(), 33u);
  EXPECT_EQ(makeCampaign("bounds")->jobs(ctx).size(), 28u * 6 + 2 * 8);
  EXPECT_EQ(makeCampaign("pv")->jobs(ctx).size(), 4u * 10 * 6 * 3);
}

// The pv campaign imports what scripts/pv_study.sh wrote beside the campaign root (results/pv
// for -o results/experiments): attack runs from attack/ or else the first attack_t<S>/, no-attack
// runs from the net's folder, other objectives from a subfolder; a torn file is not imported.
TEST(Campaign, PvImportsTheStudyScriptsFiles) {
  const fs::path dir = freshDir("pv_import");
  CampaignContext ctx;
  ctx.scale = Scale::kPaper;
  ctx.root = dir / "experiments/";  // a trailing slash names the same root
  auto c = makeCampaign("pv");
  const std::vector<Job> jobs = c->jobs(ctx);
  auto find = [&](const std::string& suffix, bool attack, const std::string& objective) {
    for (const Job& j : jobs) {
      const std::string& id = j.id;
      if (id.size() >= suffix.size() &&
          id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          j.spec.at("attack").get<bool>() == attack && j.spec.at("objective") == objective &&
          j.spec.at("paper_arch") == "200x5")
        return j;
    }
    ADD_FAILURE() << "no job " << suffix;
    return Job{};
  };
  const Job no_attack = find("|ref3|alpha", false, "softmax-l1");
  const Job attack = find("|ref3|lp", true, "softmax-l1");
  const Job margin = find("|ref2|milp", true, "margin");
  const fs::path net_dir = dir / "pv" / no_attack.spec.at("study_name").get<std::string>();
  auto write = [](const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  };
  EXPECT_FALSE(c->imported(no_attack, ctx).has_value());  // nothing written yet
  write(net_dir / "ref3_alpha.json", R"({"value": 0.25, "bound": 0.5, "proven": false})");
  write(net_dir / "attack_t60" / "ref3_lp.json", R"({"value": 0.75, "bound": 1.5})");
  write(net_dir / "margin" / "attack" / "ref2_milp.json", R"({"value": 3.0, "bound": null})");
  const std::optional<nlohmann::json> a = c->imported(no_attack, ctx);
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ(a->at("value").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(a->at("bound").get<double>(), 0.5);
  EXPECT_EQ(a->at("imported_from").get<std::string>(), (net_dir / "ref3_alpha.json").string());
  const std::optional<nlohmann::json> b = c->imported(attack, ctx);
  ASSERT_TRUE(b.has_value());
  EXPECT_DOUBLE_EQ(b->at("value").get<double>(), 0.75);
  const std::optional<nlohmann::json> m = c->imported(margin, ctx);
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->at("value").get<double>(), 3.0);
  EXPECT_TRUE(std::isnan(m->at("bound").get<double>()));  // null stays "no number"
  // attack/ wins over attack_t60/; a torn file there is not imported.
  write(net_dir / "attack" / "ref3_lp.json", R"({"value": 0.)");
  EXPECT_FALSE(c->imported(attack, ctx).has_value());
  // Small scale never imports (its jobs are other networks).
  ctx.scale = Scale::kSmall;
  EXPECT_FALSE(c->imported(no_attack, ctx).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nnmip::experiments
