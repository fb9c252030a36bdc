// Job store append cost (issue 23 item 3): N appends of a small result to a fresh store, one
// JSON line with the wall time. Run: build/bench/bench_job_store [N=10000] [DIR=/tmp]
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include <unistd.h>

#include "core/timer.hpp"
#include "experiments/job_store.hpp"

int main(int argc, char** argv) {
  using namespace nnmip;
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::filesystem::path dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path();
  const std::filesystem::path path = dir / fmt::format("bench_job_store_{}.jsonl", ::getpid());
  std::filesystem::remove(path);
  Timer clock;
  double first_half = 0.0;
  {
    experiments::JobStore store(path);
    for (int i = 0; i < n; ++i) {
      if (i == n / 2) first_half = clock.seconds();
      store.append(fmt::format("net|eps{}|job{}", i % 5, i),
                   nlohmann::json{{"value", i * 0.5}, {"status", "optimal"}, {"wall_s", 0.01}});
    }
  }
  const double wall = clock.seconds();
  Timer reread;
  experiments::JobStore again(path);
  const double read_s = reread.seconds();
  fmt::print(
      "{{\"appends\": {}, \"wall_s\": {:.3f}, \"first_half_s\": {:.3f}, \"second_half_s\": {:.3f}, "
      "\"us_per_append\": {:.1f}, \"rows_read_back\": {}, \"read_s\": {:.3f}, \"bytes\": {}}}\n",
      n, wall, first_half, wall - first_half, 1e6 * wall / n, again.rows().size(), read_s,
      std::filesystem::file_size(path));
  std::filesystem::remove(path);
  return again.rows().size() == static_cast<size_t>(n) ? 0 : 1;
}
