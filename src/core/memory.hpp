#pragma once
// Memory estimates checked before a large allocation, so that a count from an option or a size
// from an input file ends in a one-line error instead of std::bad_alloc half-way through a run.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace nnmip {

// Memory the estimates are checked against: $NNMIP_MEMORY_LIMIT_MB when set (tests and fuzzers
// use it to get the same answer on every machine), else the machine's physical memory
// (sysconf), else 16 GiB.
std::uint64_t physicalMemoryBytes();

// "1.5 GiB", "320 MiB", "12 KiB", "17 bytes".
std::string formatBytes(double bytes);

// Fails with Error{kind} "<what> needs about X, more than the Y of memory here" when
// `bytes` (an estimate; may be inf) exceeds the physical memory.
void checkMemoryEstimate(double bytes, ErrorKind kind, std::string_view what);

}  // namespace nnmip
