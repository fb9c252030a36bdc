// The job store: resume skips finished jobs, every job is stored exactly once across an
// interrupted campaign, a torn line is redone; and an interrupted bdnn table resumes the same way.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/error.hpp"
#include "experiments/bdnn_campaign.hpp"
#include "experiments/job_store.hpp"
#include "support/tiny_data.hpp"

namespace nnmip::experiments {
namespace {

std::filesystem::path freshDir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("nnmip_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::map<std::string, int> idCounts(const std::filesystem::path& jsonl) {
  std::map<std::string, int> counts;
  std::ifstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++counts[nlohmann::json::parse(line).at(kJobIdField).get<std::string>()];
  }
  return counts;
}

TEST(JobStore, InterruptedCampaignRunsEveryJobExactlyOnce) {
  const auto dir = freshDir("jobstore");
  const std::vector<std::string> ids = {"a|1", "b|2", "c|3", "d|4", "e|5"};
  std::map<std::string, int> runs;
  auto run = [&](size_t i) {
    ++runs[ids[i]];
    if (ids[i] == "c|3" && runs[ids[i]] == 1) throw std::runtime_error("killed during job c");
    return nlohmann::json{{"value", static_cast<int>(i) * 10}};
  };
  {
    JobStore store(dir / "t.jsonl");
    EXPECT_THROW(runJobs(store, ids, run), std::runtime_error);  // interrupted inside job 3
    EXPECT_EQ(store.rows().size(), 2u);
  }
  JobStore resumed(dir / "t.jsonl");
  EXPECT_TRUE(resumed.done("a|1"));
  EXPECT_FALSE(resumed.done("c|3"));
  std::vector<std::string> lines;
  Callbacks cb;
  cb.on_log = [&](Level, std::string_view m) { lines.emplace_back(m); };
  EXPECT_EQ(runJobs(resumed, ids, run, cb), 3);
  // a and b ran once, c twice (the interrupted try stored nothing), d and e once.
  EXPECT_EQ(runs, (std::map<std::string, int>{
                      {"a|1", 1}, {"b|2", 1}, {"c|3", 2}, {"d|4", 1}, {"e|5", 1}}));
  for (const auto& [id, n] : idCounts(dir / "t.jsonl")) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(idCounts(dir / "t.jsonl").size(), 5u);
  EXPECT_EQ(resumed.find("d|4")->at("value"), 30);
  // One progress line per job: skipped ones say so.
  ASSERT_GE(lines.size(), 5u);
  EXPECT_NE(lines[0].find("finished earlier, skipped"), std::string::npos);
  // Everything done: a third run runs nothing.
  JobStore again(dir / "t.jsonl");
  EXPECT_EQ(runJobs(again, ids, run), 0);
  std::filesystem::remove_all(dir);
}

TEST(JobStore, TornLineIsRedoneAndStopRequestEndsBetweenJobs) {
  const auto dir = freshDir("jobstore_torn");
  {
    std::ofstream out(dir / "t.jsonl");
    out << R"({"key":"a","value":1})"
        << "\n"
        << R"({"key":"b","val)";  // an older writer's torn line
  }
  JobStore store(dir / "t.jsonl");
  EXPECT_TRUE(store.done("a"));
  EXPECT_FALSE(store.done("b"));
  int calls = 0;
  Callbacks stop_after_one;
  stop_after_one.should_stop = [&] { return calls >= 1; };
  const std::vector<std::string> ids = {"a", "b", "c"};
  EXPECT_EQ(runJobs(
                store, ids,
                [&](size_t) {
                  ++calls;
                  return nlohmann::json::object();
                },
                stop_after_one),
            1);
  EXPECT_TRUE(store.done("b"));
  EXPECT_FALSE(store.done("c"));
  EXPECT_THROW(store.append("b", nlohmann::json::object()), Error);
  EXPECT_EQ(idCounts(dir / "t.jsonl"), (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  std::filesystem::remove_all(dir);
}

// An interrupted bdnn table (stop request after the second job) resumes with every job exactly
// once and the same rows as an uninterrupted run.
TEST(BdnnCampaign, InterruptedTableResumesEveryJobOnce) {
  const auto dir = freshDir("bdnn_table");
  const data::Dataset all = support::overlapBoxesData(40, 4, 3);
  BdnnSettings s;
  s.heuristic_time_s = 30.0;
  s.restarts = 2;
  s.relu_epochs = 5;
  const std::vector<BdnnJob> jobs =
      bdnnTableJobs(BdnnTableKind::kShuffles, "toy", {"heur", "heur0", "relu"}, {3}, 1, 2, {});
  ASSERT_EQ(jobs.size(), 6u);
  int started = 0;
  Callbacks stop;
  stop.on_log = [&](Level, std::string_view m) {
    started += m.find(": running") != std::string_view::npos;
  };
  stop.should_stop = [&] { return started >= 2; };
  const std::string stem = (dir / "t").string();
  const auto first = runBdnnTable(jobs, all, s, stem, stop);
  EXPECT_EQ(first.size(), 2u);
  int resumed_runs = 0;
  Callbacks count;
  count.on_log = [&](Level, std::string_view m) {
    resumed_runs += m.find(": running") != std::string_view::npos;
  };
  const auto rows = runBdnnTable(jobs, all, s, stem, count);
  EXPECT_EQ(resumed_runs, 4);
  ASSERT_EQ(rows.size(), 6u);
  const auto counts = idCounts(stem + ".jsonl");
  EXPECT_EQ(counts.size(), 6u);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id;
  for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(rows[i].at("key"), jobs[i].id());
  // Deterministic jobs: a fresh uninterrupted run gives the same accuracies.
  const auto fresh = runBdnnTable(jobs, all, s, (dir / "u").string());
  for (size_t i = 0; i < jobs.size(); ++i)
    EXPECT_EQ(rows[i].at("test_acc"), fresh[i].at("test_acc")) << jobs[i].id();
  std::filesystem::remove_all(dir);
}

TEST(BdnnCampaign, JobIdsAreStable) {
  BdnnJob j;
  j.method = BdnnMethod::kEngineHeur;
  j.threshold = bdnn::ThresholdMode::kZero;
  EXPECT_EQ(j.id(), "main|bcw|engine-heur|zero|25|1|0");
  j.method = BdnnMethod::kRelu;
  EXPECT_EQ(j.id(), "main|bcw|relu|-|25|1|0");
  EXPECT_EQ(parseBdnnMethod("milp-m0"), BdnnMethod::kMilpMarginZero);
  EXPECT_FALSE(parseBdnnMethod("gurobi").has_value());
  EXPECT_EQ(to_json(BdnnJobResult{}).at("method"), "milp");
}

}  // namespace
}  // namespace nnmip::experiments
