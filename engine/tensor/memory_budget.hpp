#pragma once
// How much memory this process may still allocate, for refusing work that cannot fit
// before it is attempted (a huge allocation otherwise ends in bad_alloc or the OOM killer).
#include <cstdint>
#include <string>

namespace halflab {

struct MemoryBudget {
  std::int64_t bytes = -1;  // -1: unknown (no /proc/meminfo), so nothing is refused
  std::string source;       // where the figure came from, for messages
};

// MemAvailable from /proc/meminfo, capped by a cgroup (container) memory limit when one is
// set. The environment variable HALFLAB_MEMORY_LIMIT_BYTES (a whole number of bytes)
// replaces both, so tests can pin the limit. Throws std::invalid_argument naming the
// variable when it is not a whole number >= 0.
MemoryBudget availableMemory();

// "512 B", "1.5 KiB", "48.0 GiB": binary units, one decimal.
std::string formatBytes(std::int64_t bytes);

}  // namespace halflab
