#include "app/cli/sweep_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/cli/exit_codes.hpp"
#include "app/cli/progress_reporter.hpp"
#include "app/cli/terminal_text.hpp"
#include "storage/process_identity.hpp"
#include "storage/run_store.hpp"

namespace halflab::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
void onStopSignal(int) { g_stop = true; }

bool finishedStatus(RunStatus s) { return s == RunStatus::Completed || s == RunStatus::Diverged; }

std::string selfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("halflab-cli") : p.string();
}

std::string cellFile(const std::string& dir, std::size_t index, const char* ext) {
  char name[32];
  std::snprintf(name, sizeof name, "cell-%04zu.%s", index, ext);
  return (fs::path(dir) / name).string();
}

struct Worker {
  pid_t pid = 0;
  const SweepCell* cell = nullptr;
  Clock::time_point started;
};

// Runs `train` for one cell in a child process; stdout and stderr go to its log file.
pid_t startWorker(const SweepPlan& plan, const SweepCell& cell, const SweepRunOptions& o, int threads) {
  const std::string config = cellFile(o.work_dir, cell.index, "json");
  const std::string log = cellFile(o.work_dir, cell.index, "log");
  const std::string exe = selfExe();
  const std::string threads_text = std::to_string(threads);
  std::vector<std::string> args{exe, "train", "--config", config, "--db", o.store_path, "--quiet",
                                "--threads", threads_text, "--sweep-id", plan.id, "--sweep-cell", cell.key};
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw CLI::RuntimeError(std::string("sweep: cannot start a worker: ") + std::strerror(errno), kExitFailure);
  if (pid == 0) {
    // The worker stops (SIGTERM: cancelled at the next step) when the driver dies.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(130);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    // BLAS and OpenMP pools follow --threads, never the whole machine.
    ::setenv("OMP_NUM_THREADS", threads_text.c_str(), 1);
    ::setenv("OPENBLAS_NUM_THREADS", threads_text.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", exe.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

// cell key -> the statuses of its runs in the store.
std::map<std::string, std::vector<RunRow>> runsByCell(const RunStore& store, const std::string& sweep_id) {
  RunFilter f;
  f.sweep_id = sweep_id;
  std::map<std::string, std::vector<RunRow>> by;
  for (RunRow& r : store.listRuns(f)) by[r.cell].push_back(std::move(r));
  return by;
}

bool hasFinished(const std::vector<RunRow>& runs) {
  return std::any_of(runs.begin(), runs.end(), [](const RunRow& r) { return finishedStatus(r.status); });
}

bool hasLiveRun(const std::vector<RunRow>& runs) {
  return std::any_of(runs.begin(), runs.end(), [](const RunRow& r) { return r.status == RunStatus::Running; });
}

}  // namespace

int usableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int runSweepLocally(const SweepPlan& plan, const SweepRunOptions& o) {
  fs::create_directories(o.work_dir);
  // One driver per sweep: a second one would run the same cells twice.
  const std::string lock_path = (fs::path(o.work_dir) / "driver.lock").string();
  // O_CLOEXEC: workers must not inherit the lock, or a killed driver's last worker would
  // hold it for the moment it takes to stop, and a resume started then would be refused.
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    throw CLI::RuntimeError("sweep " + plan.id + ": another driver is running this sweep (lock " +
                                lock_path + ")", kExitFailure);

  RunStore store = RunStore::open(o.store_path, StoreOpenMode::Create);  // marks dead writers' runs interrupted
  // Runs still written by live workers of an earlier driver (they stop within a step of
  // its death): wait for them so that no cell is run twice.
  for (int i = 0; i < 300; ++i) {
    bool live = false;
    for (const auto& [cell, runs] : runsByCell(store, plan.id)) live = live || hasLiveRun(runs);
    if (!live) break;
    if (i == 0 && !o.quiet) std::fprintf(stderr, "sweep %s: waiting for workers of an earlier driver to stop\n", plan.id.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    store.markInterruptedRuns();
  }
  auto before = runsByCell(store, plan.id);
  std::vector<const SweepCell*> todo;
  std::size_t done_before = 0, rerun = 0;
  for (const SweepCell& c : plan.cells) {
    auto it = before.find(c.key);
    if (it != before.end() && hasFinished(it->second)) {
      ++done_before;
      continue;
    }
    if (it != before.end()) ++rerun;
    todo.push_back(&c);
  }
  const int cores = usableCores();
  int workers = o.workers > 0 ? o.workers : cores;
  workers = std::max(1, std::min<int>(workers, static_cast<int>(std::max<std::size_t>(todo.size(), 1))));
  const int threads = o.threads_per_worker > 0 ? o.threads_per_worker : std::max(1, cores / workers);
  if (!o.quiet) {
    std::fprintf(stderr, "sweep %s: %zu cells, %zu already finished, %zu to run%s; %d worker(s) x %d thread(s) on %d core(s)\n",
                 plan.id.c_str(), plan.cells.size(), done_before, todo.size(),
                 rerun ? (" (" + std::to_string(rerun) + " interrupted before, run again)").c_str() : "",
                 workers, threads, cores);
    if (workers * threads > cores)
      std::fprintf(stderr, "sweep: note: %d workers x %d threads is more than the %d cores\n", workers, threads, cores);
  }
  for (const SweepCell* c : todo) {
    std::ofstream out(cellFile(o.work_dir, c->index, "json"));
    out << c->config.dump(2) << '\n';
    if (!out) throw CLI::RuntimeError("sweep: cannot write " + cellFile(o.work_dir, c->index, "json"), kExitFailure);
  }

  struct sigaction stop{};
  stop.sa_handler = onStopSignal;
  ::sigaction(SIGINT, &stop, nullptr);
  ::sigaction(SIGTERM, &stop, nullptr);
  const Clock::time_point t0 = Clock::now();
  std::vector<Worker> running;
  std::size_t next = 0, finished = 0, failed = 0;
  bool stop_sent = false;
  double finished_seconds = 0;
  std::vector<std::string> failures;
  Clock::time_point last_print = t0;
  const auto progress = [&](bool force) {
    const auto now = Clock::now();
    if (o.quiet || (!force && now - last_print < std::chrono::seconds(10))) return;
    last_print = now;
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    double eta = NAN;
    if (finished + failed > 0) {
      const double mean = finished_seconds / static_cast<double>(finished + failed);
      double left = static_cast<double>(todo.size() - next) * mean;
      for (const Worker& w : running)
        left += std::max(0.0, mean - std::chrono::duration<double>(now - w.started).count());
      eta = left / workers;
    }
    std::fprintf(stderr, "sweep %s: %zu/%zu cells done%s, %zu running, %zu failed; elapsed %s, ETA %s\n",
                 plan.id.c_str(), done_before + finished, plan.cells.size(),
                 done_before ? (" (" + std::to_string(done_before) + " before)").c_str() : "",
                 running.size(), failed, formatDuration(elapsed).c_str(), formatDuration(eta).c_str());
  };
  progress(true);
  while ((next < todo.size() && !g_stop) || !running.empty()) {
    while (!g_stop && next < todo.size() && static_cast<int>(running.size()) < workers) {
      const SweepCell* c = todo[next++];
      running.push_back({startWorker(plan, *c, o, threads), c, Clock::now()});
    }
    if (g_stop && !stop_sent) {
      for (const Worker& w : running) ::kill(w.pid, SIGTERM);
      stop_sent = true;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR) break;
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      progress(false);
      continue;
    }
    auto it = std::find_if(running.begin(), running.end(), [&](const Worker& w) { return w.pid == pid; });
    if (it == running.end()) continue;
    const double seconds = std::chrono::duration<double>(Clock::now() - it->started).count();
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == kExitOk || code == kExitDiverged) {
      ++finished;
      finished_seconds += seconds;
    } else if (!g_stop) {
      ++failed;
      finished_seconds += seconds;
      failures.push_back("cell " + std::to_string(it->cell->index) + " (" + it->cell->key + "): exit " +
                         std::to_string(code) + ", see " + cellFile(o.work_dir, it->cell->index, "log"));
    }
    running.erase(it);
    progress(true);
  }

  // The store, not the exit codes, says which cells have their run.
  store.markInterruptedRuns();
  const auto after = runsByCell(store, plan.id);
  std::size_t complete = 0;
  for (const SweepCell& c : plan.cells) {
    auto it = after.find(c.key);
    if (it != after.end() && hasFinished(it->second)) ++complete;
  }
  ::close(lock_fd);
  if (!o.quiet)
    std::fprintf(stderr, "sweep %s: %zu of %zu cells have a finished run in %s\n", plan.id.c_str(), complete,
                 plan.cells.size(), printable(o.store_path).c_str());
  for (const std::string& f : failures) std::fprintf(stderr, "sweep: failed: %s\n", printable(f).c_str());
  if (g_stop) {
    std::fprintf(stderr, "sweep %s: stopped; run the same command again to resume (finished cells are skipped)\n",
                 plan.id.c_str());
    return kExitCancelled;
  }
  return complete == plan.cells.size() ? kExitOk : kExitFailure;
}

}  // namespace halflab::cli
