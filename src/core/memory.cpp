#include "core/memory.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace nnmip {

std::uint64_t physicalMemoryBytes() {
  if (const char* env = std::getenv("NNMIP_MEMORY_LIMIT_MB"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0' && mb > 0) return static_cast<std::uint64_t>(mb) << 20;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t{16} << 30;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

std::string formatBytes(double bytes) {
  if (!std::isfinite(bytes)) return "an unbounded amount";
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} bytes", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

void checkMemoryEstimate(double bytes, ErrorKind kind, std::string_view what) {
  const double have = static_cast<double>(physicalMemoryBytes());
  if (!(bytes <= have)) {
    fail(kind, "{} needs about {}, more than the {} of memory here", what, formatBytes(bytes),
         formatBytes(have));
  }
}

}  // namespace nnmip
