#pragma once
// The project's one thread pool: a parallel loop over a fixed number of chunks.
//
// parallelFor(num_chunks, threads, work) calls work(chunk) exactly once for every chunk in
// [0, num_chunks), on up to `threads` threads (the caller's thread is one of them). Threads take
// the next unclaimed chunk in turn, so which thread runs a chunk is not fixed: results stay
// deterministic only when work(chunk) writes to its own slot and the caller reduces the slots in
// chunk order afterwards. After the first exception no further chunk is started; the loop waits
// for the running ones and rethrows that first exception.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nnmip {

template <typename Work>
void parallelFor(int num_chunks, int threads, Work&& work) {
  if (num_chunks <= 0) return;
  const int workers = std::max(1, std::min(threads, num_chunks));
  if (workers == 1) {
    for (int c = 0; c < num_chunks; ++c) work(c);
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto loop = [&]() {
    try {
      for (int c = next++; c < num_chunks; c = next++) work(c);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = num_chunks;  // start no further chunk
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (int t = 1; t < workers; ++t) pool.emplace_back(loop);
  loop();
  for (std::thread& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// The same loop over [0, n) cut into consecutive ranges of chunk_size (the last may be shorter):
// work(begin, end) once per range.
template <typename Work>
void parallelForRanges(int n, int chunk_size, int threads, Work&& work) {
  const int chunk = std::max(1, chunk_size);
  const int num_chunks = n > 0 ? (n + chunk - 1) / chunk : 0;
  parallelFor(num_chunks, threads, [&](int c) { work(c * chunk, std::min(n, (c + 1) * chunk)); });
}

}  // namespace nnmip
