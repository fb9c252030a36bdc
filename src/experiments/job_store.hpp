#pragma once
// A small job store for campaigns: typed job specs with stable ids, one JSON line per finished
// job, resume that skips finished jobs, one progress line per job.
//
// File format: <stem>.jsonl, one JSON object per finished job, its id under "key" (the field
// name older bdnn tables used, so their files resume). Each append rewrites the whole file through
// a temporary file and a rename (core/file_io.hpp), so an interrupted campaign leaves every
// finished job's line whole and no half line; a torn line from an older writer is skipped (that
// job runs again). Ids are the caller's: equal ids mean the same job.
//
// Progress: runJobs reports one log line per job through Callbacks::on_log ("job 3/12 <id>:
// running", "...: done in 12.3 s", "...: finished earlier, skipped") and an on_progress event
// (phase "job", done/total); it never prints.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/callbacks.hpp"

namespace nnmip::experiments {

inline constexpr const char* kJobIdField = "key";

class JobStore {
 public:
  // Opens (or starts) <stem>.jsonl; creates the parent directory.
  explicit JobStore(std::filesystem::path jsonl_path);

  const std::filesystem::path& path() const { return path_; }
  bool done(const std::string& id) const { return index_.count(id) != 0; }
  // The stored result of a finished job, or nullptr.
  const nlohmann::json* find(const std::string& id) const;
  // Every stored result in file order.
  const std::vector<nlohmann::json>& rows() const { return rows_; }
  // Stores `result` (an object) under `id` (written into its "key" field) and rewrites the file
  // atomically. Throws Error{kInternal} when the id is already stored.
  void append(const std::string& id, nlohmann::json result);

 private:
  std::filesystem::path path_;
  std::vector<nlohmann::json> rows_;
  std::map<std::string, size_t> index_;
};

// Runs, in order, every job whose id the store does not hold: `run(i)` computes job i's result
// (a JSON object, typically a typed result's to_json), which is stored before the next job
// starts. Returns how many jobs ran.
int runJobs(JobStore& store, const std::vector<std::string>& ids,
            const std::function<nlohmann::json(size_t)>& run, const Callbacks& callbacks = {});

}  // namespace nnmip::experiments
