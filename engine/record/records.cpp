#include "engine/record/records.hpp"

#include <stdexcept>

namespace halflab {

const char* runStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::Pending: return "pending";
    case RunStatus::Running: return "running";
    case RunStatus::Completed: return "completed";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
    case RunStatus::Diverged: return "diverged";
    case RunStatus::Interrupted: return "interrupted";
  }
  return "unknown";
}

RunStatus parseRunStatus(const std::string& s) {
  for (auto st : {RunStatus::Pending, RunStatus::Running, RunStatus::Completed, RunStatus::Failed,
                  RunStatus::Cancelled, RunStatus::Diverged, RunStatus::Interrupted})
    if (s == runStatusName(st)) return st;
  throw std::invalid_argument("unknown run status '" + s + "'");
}

const char* eventKindName(EventKind k) {
  switch (k) {
    case EventKind::RunStarted: return "run_started";
    case EventKind::RunFinished: return "run_finished";
    case EventKind::RunFailed: return "run_failed";
    case EventKind::Diverged: return "diverged";
    case EventKind::Overflow: return "overflow";
    case EventKind::ScaleChange: return "scale_change";
    case EventKind::LrChange: return "lr_change";
    case EventKind::Checkpoint: return "checkpoint";
    case EventKind::Warning: return "warning";
    case EventKind::Cancelled: return "cancelled";
    case EventKind::Paused: return "paused";
    case EventKind::Resumed: return "resumed";
  }
  return "unknown";
}

}  // namespace halflab
