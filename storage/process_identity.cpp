#include "storage/process_identity.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace halflab {
namespace {

std::string readBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

struct ProcStat {
  char state = '?';
  std::int64_t start_ticks = 0;  // 0 = no such process / unreadable
};

// Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat. The command name (field 2)
// may contain spaces and parentheses, so counting starts after the last ')'.
ProcStat readProcStat(std::int64_t pid) {
  ProcStat st;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return st;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return st;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return st;
    if (i == 3) st.state = field.empty() ? '?' : field[0];
  }
  try {
    st.start_ticks = std::stoll(field);
  } catch (...) {
    st.start_ticks = 0;
  }
  return st;
}

}  // namespace

ProcessIdentity currentProcessIdentity() {
  ProcessIdentity me;
  me.pid = static_cast<std::int64_t>(::getpid());
  me.boot_id = readBootId();
  me.start_ticks = readProcStat(me.pid).start_ticks;
  return me;
}

bool isProcessAlive(const ProcessIdentity& who) {
  if (who.pid <= 0) return false;
  if (!who.boot_id.empty()) {
    const std::string boot = readBootId();
    if (!boot.empty() && boot != who.boot_id) return false;  // rebooted since
  }
  if (::kill(static_cast<pid_t>(who.pid), 0) != 0 && errno == ESRCH) return false;
  if (who.start_ticks != 0) {
    const ProcStat now = readProcStat(who.pid);
    if (now.start_ticks == 0) return false;                // no /proc entry: gone
    if (now.start_ticks != who.start_ticks) return false;  // the pid was reused
    if (now.state == 'Z' || now.state == 'X') return false; // dead, not yet reaped
  }
  return true;
}

}  // namespace halflab
