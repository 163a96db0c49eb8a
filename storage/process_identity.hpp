#pragma once
// Who is writing a run: enough to tell, from another process, whether that writer is
// still alive. A pid alone is not enough (pids are reused, and a reboot resets them), so
// the Linux boot id and the process start time (clock ticks since boot) come with it.
#include <cstdint>
#include <string>

namespace halflab {

struct ProcessIdentity {
  std::int64_t pid = 0;
  std::string boot_id;          // /proc/sys/kernel/random/boot_id; empty where unknown
  std::int64_t start_ticks = 0; // field 22 of /proc/<pid>/stat; 0 where unknown
};

ProcessIdentity currentProcessIdentity();

// False when the pid does not exist, the machine rebooted since, or the pid now belongs
// to a different (later started) process.
bool isProcessAlive(const ProcessIdentity& who);

}  // namespace halflab
