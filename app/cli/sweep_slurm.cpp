#include "app/cli/sweep_slurm.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <sys/stat.h>
#include <sys/wait.h>

#include "app/cli/exit_codes.hpp"
#include "app/cli/terminal_text.hpp"
#include "engine/json/bounded_json.hpp"
#include "storage/run_store.hpp"

namespace halflab::cli {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& message) { throw CLI::RuntimeError(message, kExitFailure); }

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string cellName(std::size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "cell-%04zu", index);
  return buf;
}

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  out.close();
  if (!out) fail("sweep --slurm: cannot write " + p.string());
}

std::string selfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("halflab-cli") : p.string();
}

// Runs a command, returns its stdout; exit status in *code (-1 when it could not start).
std::string capture(const std::string& command, int* code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) {
    *code = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

enum class CellState { Missing, Running, Finished, Unfinished };

CellState stateOf(const fs::path& store_file) {
  std::error_code ec;
  if (!fs::exists(store_file, ec)) return CellState::Missing;
  try {
    const RunStore s = RunStore::open(store_file.string(), StoreOpenMode::ReadOnly);
    CellState state = CellState::Unfinished;
    for (const RunRow& r : s.listRuns()) {
      if (r.status == RunStatus::Completed || r.status == RunStatus::Diverged) return CellState::Finished;
      if (r.status == RunStatus::Running) state = CellState::Running;
    }
    return state;
  } catch (const std::exception&) {
    return CellState::Unfinished;  // just created, or damaged: not finished either way
  }
}

nlohmann::json readManifest(const fs::path& dir) {
  std::ifstream in(dir / "sweep.json");
  if (!in) fail((dir / "sweep.json").string() + ": no Slurm sweep in this folder (written by sweep --slurm)");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return parseBoundedJson(buf.str());
  } catch (const std::exception& e) {
    fail((dir / "sweep.json").string() + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace

void submitSlurmSweep(const SweepPlan& plan, const std::string& dir_text, const SlurmOptions& o) {
  const fs::path dir = fs::absolute(dir_text);
  std::error_code ec;
  for (const char* sub : {"cells", "stores", "logs"}) fs::create_directories(dir / sub, ec);
  if (ec) fail("sweep --slurm: cannot create " + dir.string() + ": " + ec.message());
  if (fs::exists(dir / "sweep.json")) {
    const nlohmann::json old = readManifest(dir);
    if (old.value("id", std::string()) != plan.id)
      fail(dir.string() + " holds sweep " + old.value("id", std::string("?")) + ", not " + plan.id +
           " (use another --dir)");
  }
  nlohmann::json manifest{{"id", plan.id}, {"cells", nlohmann::json::array()}};
  std::vector<std::size_t> todo;
  for (const SweepCell& c : plan.cells) {
    manifest["cells"].push_back({{"index", c.index}, {"key", c.key}});
    writeFile(dir / "cells" / (cellName(c.index) + ".json"), c.config.dump(2) + "\n");
    writeFile(dir / "cells" / (cellName(c.index) + ".key"), c.key);
    if (stateOf(dir / "stores" / (cellName(c.index) + ".sqlite")) != CellState::Finished) todo.push_back(c.index);
  }
  writeFile(dir / "sweep.json", manifest.dump(2) + "\n");
  if (todo.empty()) {
    std::cout << "sweep " << plan.id << ": every cell already has a finished run in " << (dir / "stores").string()
              << "; merge with: halflab-cli runs merge " << (dir / "stores").string() << "/*.sqlite --into STORE\n";
    return;
  }
  std::string array;
  for (std::size_t i : todo) array += (array.empty() ? "" : ",") + std::to_string(i);

  std::string s = "#!/bin/bash\n# HalfLab sweep " + plan.id + ": one array task per cell (written by halflab-cli sweep --slurm)\n";
  s += "#SBATCH --job-name=halflab-" + plan.id + "\n";
  s += "#SBATCH --array=" + array + "\n";
  s += "#SBATCH --output=" + (dir / "logs").string() + "/cell-%a.log\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(std::max(1, o.cpus_per_task)) + "\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (o.gpus_per_task > 0) s += "#SBATCH --gpus-per-task=" + std::to_string(o.gpus_per_task) + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  s += "set -euo pipefail\n";
  s += "dir=" + shellQuote(dir.string()) + "\n";
  s += "cell=cell-$(printf %04d \"$SLURM_ARRAY_TASK_ID\")\n";
  s += "exec " + shellQuote(selfExe()) +
       " train --config \"$dir/cells/$cell.json\" --db \"$dir/stores/$cell.sqlite\" --quiet"
       " --threads \"${SLURM_CPUS_PER_TASK:-1}\" --sweep-id " + shellQuote(plan.id) +
       " --sweep-cell \"$(cat \"$dir/cells/$cell.key\")\"\n";
  writeFile(dir / "job.sh", s);
  fs::permissions(dir / "job.sh", fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
  if (o.no_submit) {
    std::cout << "wrote " << (dir / "job.sh").string() << " (" << todo.size() << " array task(s)); submit with: sbatch "
              << (dir / "job.sh").string() << '\n';
    return;
  }
  int code = 0;
  const std::string out = capture("sbatch --parsable " + shellQuote((dir / "job.sh").string()), &code);
  if (code != 0)
    fail("sbatch failed (exit " + std::to_string(code) + "): " + printable(out) + "; the script is " +
         (dir / "job.sh").string());
  const std::string job = out.substr(0, out.find_first_of(";\n"));
  std::ofstream(dir / "job_ids", std::ios::app) << job << '\n';
  std::cout << "sweep " << plan.id << ": submitted job array " << job << " with " << todo.size() << " task(s)\n"
            << "progress: halflab-cli sweep --status --dir " << dir.string() << '\n'
            << "when done: halflab-cli runs merge " << (dir / "stores").string() << "/*.sqlite --into STORE\n";
}

void printSlurmStatus(const std::string& dir_text) {
  const fs::path dir = fs::absolute(dir_text);
  const nlohmann::json manifest = readManifest(dir);
  std::map<CellState, int> counts;
  std::size_t cells = 0;
  for (const auto& c : manifest["cells"]) {
    ++cells;
    ++counts[stateOf(dir / "stores" / (cellName(c["index"].get<std::size_t>()) + ".sqlite"))];
  }
  std::cout << "sweep " << manifest.value("id", std::string("?")) << ": " << cells << " cell(s): "
            << counts[CellState::Finished] << " finished, " << counts[CellState::Running] << " running, "
            << counts[CellState::Missing] + counts[CellState::Unfinished] << " not finished (from the cell stores)\n";
  std::vector<std::string> jobs;
  {
    std::ifstream in(dir / "job_ids");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) jobs.push_back(line);
  }
  if (jobs.empty()) {
    std::cout << "no job submitted from " << dir.string() << " yet\n";
  } else {
    std::string list;
    for (const auto& j : jobs) list += (list.empty() ? "" : ",") + j;
    int code = 0;
    const std::string q = capture("squeue -h -r -j " + shellQuote(list) + " -o %T", &code);
    std::map<std::string, int> queue;
    if (code == 0) {
      std::stringstream ss(q);
      std::string state;
      while (ss >> state) ++queue[state];
    }
    std::string qs;
    for (const auto& [k, n] : queue) qs += (qs.empty() ? "" : ", ") + std::to_string(n) + " " + k;
    std::cout << "squeue (job " << list << "): " << (code != 0 ? "unavailable (" + printable(q) + ")" : qs.empty() ? "nothing queued or running" : qs) << '\n';
    const std::string a = capture("sacct -n -X -P -j " + shellQuote(list) + " -o State", &code);
    std::map<std::string, int> acct;
    if (code == 0) {
      std::stringstream ss(a);
      std::string state;
      while (std::getline(ss, state))
        if (!state.empty()) ++acct[state.substr(0, state.find(' '))];
    }
    std::string as;
    for (const auto& [k, n] : acct) as += (as.empty() ? "" : ", ") + std::to_string(n) + " " + k;
    std::cout << "sacct: " << (code != 0 ? "unavailable (" + printable(a) + ")" : as.empty() ? "no records" : as) << '\n';
  }
  if (counts[CellState::Finished] == static_cast<int>(cells))
    std::cout << "all cells finished; merge with: halflab-cli runs merge " << (dir / "stores").string()
              << "/*.sqlite --into STORE\n";
}

}  // namespace halflab::cli
