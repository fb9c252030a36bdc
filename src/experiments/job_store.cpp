#include "experiments/job_store.hpp"

#include <fmt/format.h>

#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/timer.hpp"

namespace nnmip::experiments {

JobStore::JobStore(std::filesystem::path jsonl_path) : path_(std::move(jsonl_path)) {
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a torn line (older writers appended in place): that job runs again
    }
    if (!row.is_object() || !row.contains(kJobIdField) || !row[kJobIdField].is_string()) continue;
    const std::string id = row[kJobIdField].get<std::string>();
    if (index_.count(id)) continue;  // the first result of a job wins
    index_[id] = rows_.size();
    rows_.push_back(std::move(row));
  }
}

const nlohmann::json* JobStore::find(const std::string& id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : &rows_[it->second];
}

void JobStore::append(const std::string& id, nlohmann::json result) {
  NNMIP_CHECK(!done(id), "job '{}' is already stored in {}", id, path_.string());
  NNMIP_CHECK(result.is_object(), "job '{}': a result must be a JSON object", id);
  result[kJobIdField] = id;
  std::string text;
  for (const nlohmann::json& row : rows_) text += row.dump() + "\n";
  text += result.dump() + "\n";
  writeFileAtomic(path_, text);
  index_[id] = rows_.size();
  rows_.push_back(std::move(result));
}

int runJobs(JobStore& store, const std::vector<std::string>& ids,
            const std::function<nlohmann::json(size_t)>& run, const Callbacks& callbacks) {
  Timer clock;
  int ran = 0;
  const size_t total = ids.size();
  for (size_t i = 0; i < total; ++i) {
    const std::string& id = ids[i];
    const std::string head = fmt::format("job {}/{} {}", i + 1, total, id);
    if (store.done(id)) {
      callbacks.log(Level::kInfo, head + ": finished earlier, skipped");
    } else {
      if (callbacks.stopRequested()) break;
      callbacks.log(Level::kInfo,
                    fmt::format("{}: running (campaign {:.0f} s)", head, clock.seconds()));
      Timer t;
      store.append(id, run(i));
      ++ran;
      callbacks.log(Level::kInfo, fmt::format("{}: done in {:.1f} s", head, t.seconds()));
    }
    ProgressEvent e;
    e.phase = "job";
    e.elapsed_s = clock.seconds();
    e.done = static_cast<long>(i + 1);
    e.total = static_cast<long>(total);
    callbacks.progress(e);
  }
  return ran;
}

}  // namespace nnmip::experiments
