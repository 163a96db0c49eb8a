#include "engine/tensor/memory_budget.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace halflab {
namespace {

constexpr const char* kOverrideVariable = "HALFLAB_MEMORY_LIMIT_BYTES";

// The first whole number in a file (cgroup limits; "max" = no limit gives nothing).
bool readNumber(const char* path, std::int64_t& out) {
  std::ifstream in(path);
  long long v = 0;
  if (!(in >> v) || v < 0) return false;
  out = v;
  return true;
}

bool memAvailable(std::int64_t& out) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long long kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:") {
      out = kib > std::numeric_limits<std::int64_t>::max() / 1024 ? std::numeric_limits<std::int64_t>::max()
                                                                   : static_cast<std::int64_t>(kib) * 1024;
      return true;
    }
  }
  return false;
}

}  // namespace

MemoryBudget availableMemory() {
  if (const char* text = std::getenv(kOverrideVariable); text && *text) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0)
      throw std::invalid_argument(std::string(kOverrideVariable) + ": '" + std::string(text).substr(0, 40) +
                                  "' is not a whole number of bytes >= 0");
    return {static_cast<std::int64_t>(v), kOverrideVariable};
  }
  MemoryBudget b;
  std::int64_t v = 0;
  if (memAvailable(v)) b = {v, "MemAvailable in /proc/meminfo"};
  // A container's limit can be far below the machine's free memory (cgroup v2, then v1;
  // v1 reports "no limit" as a huge number, which never wins the comparison).
  for (const char* limit_file : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"})
    if (readNumber(limit_file, v) && (b.bytes < 0 || v < b.bytes)) b = {v, std::string("the cgroup limit in ") + limit_file};
  return b;
}

std::string formatBytes(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1024.0 && unit < 5) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

}  // namespace halflab
