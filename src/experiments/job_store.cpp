#include "experiments/job_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/timer.hpp"

namespace nnmip::experiments {

JobStore::JobStore(std::filesystem::path jsonl_path) : path_(std::move(jsonl_path)) {
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  std::string text;
  {
    std::ifstream in(path_, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail(ErrorKind::kIo, "{}: cannot open for appending: {}", path_.string(), std::strerror(errno));
  // A torn tail (a crash inside the last write): cut it so the next line starts clean.
  const size_t whole = text.empty() ? 0 : text.find_last_of('\n') + 1;  // npos + 1 == 0
  if (whole < text.size()) {
    if (::ftruncate(fd_, static_cast<off_t>(whole)) != 0) {
      fail(ErrorKind::kIo, "{}: cannot cut the torn last line: {}", path_.string(),
           std::strerror(errno));
    }
    text.resize(whole);
  }
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty()) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a torn line (a crash, or an older writer): that job runs again
    }
    if (!row.is_object() || !row.contains(kJobIdField) || !row[kJobIdField].is_string()) continue;
    const std::string id = row[kJobIdField].get<std::string>();
    if (index_.count(id)) continue;  // the first result of a job wins
    index_[id] = rows_.size();
    rows_.push_back(std::move(row));
  }
}

JobStore::~JobStore() {
  if (fd_ >= 0) ::close(fd_);
}

const nlohmann::json* JobStore::find(const std::string& id) const {
  const auto it = index_.find(id);
  return it == index_.end() ? nullptr : &rows_[it->second];
}

void JobStore::append(const std::string& id, nlohmann::json result) {
  std::lock_guard<std::mutex> lock(mutex_);
  NNMIP_CHECK(!done(id), "job '{}' is already stored in {}", id, path_.string());
  NNMIP_CHECK(result.is_object(), "job '{}': a result must be a JSON object", id);
  result[kJobIdField] = id;
  const std::string line = result.dump() + "\n";
  // One write(2) of the whole line; a short write (disk full, signal) is finished by further
  // writes, still at the end of the file under O_APPEND.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(ErrorKind::kIo, "{}: append failed: {}", path_.string(), std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    fail(ErrorKind::kIo, "{}: cannot flush to disk: {}", path_.string(), std::strerror(errno));
  }
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
