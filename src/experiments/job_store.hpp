#pragma once
// A small job store for campaigns: typed job specs with stable ids, one JSON line per finished
// job, resume that skips finished jobs, one progress line per job.
//
// File format: <stem>.jsonl, one JSON object per finished job, its id under "key" (the field
// name older bdnn tables used, so their files resume). Ids are the caller's: equal ids mean the
// same job.
//
// Writing: append adds one line with a single write(2) on a descriptor opened with O_APPEND, then
// fdatasync(2), so a finished job is on disk before the next one is reported (O(1) per job; the
// earlier whole-file rewrite was O(n)). A crash can leave at most the last line torn: the reader
// skips any line that does not parse (that job runs again), and opening a store cuts a torn tail
// (bytes after the last newline) so the next line starts on a line of its own.
//
// Writers: one store object per file. append is thread-safe within the process (a mutex orders
// the lines). Several processes appending to one file do not corrupt each other's lines on a
// local Linux file system (each line is one O_APPEND write), but they do not see each other's
// jobs: a job may then run twice, and the reader keeps the first line of an id. Campaigns
// therefore have one writer (under MPI, rank 0).
//
// Progress: runJobs reports one log line per job through Callbacks::on_log ("job 3/12 <id>:
// running", "...: done in 12.3 s", "...: finished earlier, skipped") and an on_progress event
// (phase "job", done/total); it never prints.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/callbacks.hpp"

namespace nnmip::experiments {

inline constexpr const char* kJobIdField = "key";

class JobStore {
 public:
  // Opens (or starts) <stem>.jsonl; creates the parent directory; reads the finished jobs and
  // cuts a torn last line. Error{kIo} when the file cannot be opened for appending.
  explicit JobStore(std::filesystem::path jsonl_path);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool done(const std::string& id) const { return index_.count(id) != 0; }
  // The stored result of a finished job, or nullptr.
  const nlohmann::json* find(const std::string& id) const;
  // Every stored result in file order.
  const std::vector<nlohmann::json>& rows() const { return rows_; }
  // Stores `result` (an object) under `id` (written into its "key" field): one line appended and
  // flushed to disk. Throws Error{kInternal} when the id is already stored, Error{kIo} when the
  // write fails. Thread-safe against other appends (not against done/find/rows).
  void append(const std::string& id, nlohmann::json result);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<nlohmann::json> rows_;
  std::map<std::string, size_t> index_;
};

// Runs, in order, every job whose id the store does not hold: `run(i)` computes job i's result
// (a JSON object, typically a typed result's to_json), which is stored before the next job
// starts. Returns how many jobs ran.
int runJobs(JobStore& store, const std::vector<std::string>& ids,
            const std::function<nlohmann::json(size_t)>& run, const Callbacks& callbacks = {});

}  // namespace nnmip::experiments
