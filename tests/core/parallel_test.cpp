#include "core/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nnmip {
namespace {

// Every chunk runs exactly once, whatever the thread count (a pool that skips or repeats a
// chunk leaves a count other than 1).
TEST(ParallelFor, EveryChunkRunsExactlyOnce) {
  for (const int threads : {1, 2, 3, 8, 100}) {
    std::vector<std::atomic<int>> runs(37);
    parallelFor(37, threads, [&](int c) { runs[static_cast<size_t>(c)]++; });
    for (size_t c = 0; c < runs.size(); ++c) {
      EXPECT_EQ(runs[c].load(), 1) << "chunk " << c << " threads " << threads;
    }
  }
}

// Per-chunk slots reduced in chunk order give the same sum with 1 or 4 threads.
TEST(ParallelFor, SlotsReducedInOrderAreDeterministic) {
  auto run = [](int threads) {
    std::vector<double> slot(50);
    parallelFor(50, threads, [&](int c) { slot[static_cast<size_t>(c)] = 1.0 / (c + 1); });
    double sum = 0;
    for (double v : slot) sum += v;
    return sum;
  };
  EXPECT_EQ(run(1), run(4));
  EXPECT_NEAR(run(1), 4.499205338329423, 1e-12);  // H_50
}

// At most `threads` distinct threads run chunks, the caller's among them; one thread only
// when threads = 1 (then it is the caller's).
TEST(ParallelFor, UsesAtMostThreadsWorkersIncludingTheCaller) {
  std::mutex m;
  std::set<std::thread::id> ids;
  parallelFor(64, 3, [&](int) {
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_LE(ids.size(), 3u);
  EXPECT_GE(ids.size(), 1u);
  ids.clear();
  parallelFor(10, 1, [&](int) { ids.insert(std::this_thread::get_id()); });
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
}

TEST(ParallelFor, NoChunksAndNonPositiveThreads) {
  int calls = 0;
  parallelFor(0, 4, [&](int) { ++calls; });
  parallelFor(-3, 4, [&](int) { ++calls; });
  EXPECT_EQ(calls, 0);
  parallelFor(5, 0, [&](int) { ++calls; });  // threads <= 0 runs on the caller
  EXPECT_EQ(calls, 5);
}

// The first exception reaches the caller, and once it is thrown no new chunk starts: with one
// thread, chunks after the throwing one never run.
TEST(ParallelFor, FirstExceptionPropagatesAndStopsFurtherChunks) {
  int ran = 0;
  EXPECT_THROW(parallelFor(10, 1,
                           [&](int c) {
                             ++ran;
                             if (c == 3) throw std::runtime_error("chunk 3");
                           }),
               std::runtime_error);
  EXPECT_EQ(ran, 4);

  std::atomic<int> started{0};
  try {
    parallelFor(1000, 4, [&](int c) {
      started++;
      if (c == 0) throw std::invalid_argument("chunk 0");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "chunk 0");
  }
  EXPECT_LT(started.load(), 1000);
}

TEST(ParallelForRanges, CoversTheRangeInChunks) {
  std::vector<int> owner(23, -1);
  std::vector<std::pair<int, int>> ranges;
  std::mutex m;
  parallelForRanges(23, 5, 2, [&](int begin, int end) {
    std::lock_guard<std::mutex> lock(m);
    ranges.emplace_back(begin, end);
    for (int i = begin; i < end; ++i) owner[static_cast<size_t>(i)] = begin;
  });
  std::sort(ranges.begin(), ranges.end());
  EXPECT_EQ(ranges,
            (std::vector<std::pair<int, int>>{{0, 5}, {5, 10}, {10, 15}, {15, 20}, {20, 23}}));
  for (int i = 0; i < 23; ++i) EXPECT_EQ(owner[static_cast<size_t>(i)], i / 5 * 5);
  int calls = 0;
  parallelForRanges(0, 5, 2, [&](int, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace nnmip
