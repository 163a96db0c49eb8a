#include "app/cli/runs_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "app/cli/exit_codes.hpp"
#include "app/cli/flag_values.hpp"
#include "app/cli/group_report.hpp"
#include "app/cli/std_output.hpp"
#include "app/cli/terminal_text.hpp"
#include "app/cli/text_table.hpp"
#include "engine/json/bounded_json.hpp"
#include "engine/stats/step_timing.hpp"
#include "storage/default_path.hpp"
#include "storage/output_guard.hpp"
#include "storage/run_export.hpp"
#include "storage/run_store.hpp"
#include "storage/store_check.hpp"
#include "storage/store_merge.hpp"
#include "storage/writer_bench.hpp"

namespace halflab {
namespace {

struct RunsArgs {
  std::string db;
  RunFilter filter;
  std::vector<std::int64_t> ids;
  std::int64_t id = 0;
  std::string format, out, tag, text;
  bool remove = false, full_config = false, read_only = false;
  // Run ids as typed: parsed strictly (no "1.5" -> 1, no huge number -> INT64_MAX).
  std::string id_text;
  std::vector<std::string> id_texts;

  void parseIds() {
    const auto parse = [](const std::string& text) {
      const std::int64_t v = cli::parseWholeFlag("run id", text);
      if (v < 1) cli::usageError("run id: must be 1 or more " + cli::gotText(text));
      return v;
    };
    if (!id_text.empty()) id = parse(id_text);
    ids.clear();
    for (const auto& t : id_texts) ids.push_back(parse(t));
  }
  std::string sweep_id, baseline;
  bool groups = false;
  std::vector<std::string> merge_sources;
  std::string merge_into;
  std::int64_t bench_steps = 50000;
  std::string bench_file;
};

using cli::printable;
using cli::printTable;

// Store problems become one-line CLI failures: exit 6 for a damaged store, else 1.
template <typename Fn>
std::function<void()> guarded(std::shared_ptr<RunsArgs> a, Fn fn) {
  return [a, fn] {
    try {
      a->parseIds();
      fn();
    } catch (const StoreDamaged& e) {
      throw CLI::RuntimeError(e.what(), cli::kExitStoreDamaged);
    } catch (const StoreError& e) {
      throw CLI::RuntimeError(e.what(), cli::kExitFailure);
    }
  };
}

std::string storePath(const RunsArgs& a) { return a.db.empty() ? defaultStorePath() : a.db; }

RunStore openStore(const RunsArgs& a) {
  // The default store is created on first use; an explicit --db must already exist (a
  // typo should not silently make an empty store). --read-only never writes (a store on
  // read-only media, a file mode 0444, or just to be sure): edits are refused.
  const std::string path = storePath(a);
  if (const std::string clash = standardStreamHitsStore(path); !clash.empty())
    throw StoreError(clash);
  const StoreOpenMode mode = a.read_only ? StoreOpenMode::ReadOnly
                             : a.db.empty() ? StoreOpenMode::Create
                                            : StoreOpenMode::ReadWrite;
  RunStore store = RunStore::open(path, mode);
  if (!store.checkNote().empty()) std::cerr << "note: " << printable(store.checkNote()) << '\n';
  return store;
}

// Edits on a store opened with --read-only: say that this flag is why.
template <typename Fn>
void editing(const RunsArgs& a, Fn&& edit) {
  try {
    edit();
  } catch (const StoreError& e) {
    if (a.read_only) throw StoreError(std::string(e.what()) + " (--read-only was given)");
    throw;
  }
}

std::string fmt(double v, int precision = 4) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double v) { return std::isnan(v) ? "-" : fixed(100.0 * v, 2) + "%"; }

std::string localTime(std::int64_t epoch_ms) {
  if (epoch_ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// Live numbers for runs without a summary yet (running / interrupted).
struct RunNumbers {
  double val_acc = NAN, best_val_acc = NAN, loss = NAN, wall_s = NAN, scale = NAN;
  std::string skipped = "-", overflow_steps = "-";
};

RunNumbers numbersOf(const RunStore& store, const RunRow& r) {
  RunNumbers n;
  if (r.summary) {
    const RunSummary& s = *r.summary;
    n.val_acc = s.final_val_accuracy;
    n.best_val_acc = s.best_val_accuracy;
    n.loss = s.final_loss;
    n.wall_s = s.wall_time_s;
    n.scale = s.final_scale;
    n.skipped = std::to_string(s.skipped_steps);
    n.overflow_steps = std::to_string(s.overflow_steps);
    return n;
  }
  for (const MetricStats& m : store.metricStats(r.id)) {
    if (m.key == "val_accuracy") {
      n.val_acc = m.value;
      n.best_val_acc = m.max;
    } else if (m.key == "loss") {
      n.loss = m.value;
      n.wall_s = NAN;
    } else if (m.key == "scale") {
      n.scale = m.value;
    }
  }
  return n;
}

void listRuns(const RunsArgs& a) {
  const RunStore store = openStore(a);
  const auto runs = store.listRuns(a.filter);
  if (runs.empty()) {
    std::cout << "no runs in " << printable(store.path()) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const RunRow& r : runs) {
    const RunNumbers n = numbersOf(store, r);
    rows.push_back({std::to_string(r.id), printable(r.name), runStatusName(r.status), printable(r.precision_mode),
                    std::to_string(r.seed), percent(n.val_acc), fmt(n.loss),
                    fixed(n.wall_s, 1), n.skipped});
  }
  printTable({"id", "name", "status", "mode", "seed", "val acc", "loss", "wall s", "skipped"},
             {true, false, false, false, true, true, true, true, true}, rows);
}

void showRun(const RunsArgs& a) {
  const RunStore store = openStore(a);
  const RunRow r = store.run(a.id);
  // Everything read from the store is escaped: a name or note may hold control codes.
  std::cout << "Run " << r.id << ": " << printable(r.name) << "  [" << runStatusName(r.status) << "]\n"
            << "  uuid       " << printable(r.uuid) << '\n'
            << "  started    " << localTime(r.started_ms) << "   ended " << localTime(r.ended_ms) << '\n'
            << "  mode       " << printable(r.precision_mode) << "   seed " << r.seed << "   device "
            << printable(r.device) << '\n'
            << "  parameters " << r.parameter_count << "   planned steps " << r.total_steps
            << "   app " << printable(r.app_version) << '\n';
  if (!r.tags.empty()) std::cout << "  tags       " << printable(joined(r.tags)) << '\n';
  if (!r.notes.empty()) std::cout << "  notes      " << printable(r.notes) << '\n';

  std::cout << "Config\n";
  if (a.full_config) {
    const auto j = parseBoundedJsonOrDiscarded(r.config_json);
    // dump() escapes control characters inside strings; a config that is not JSON is not.
    std::cout << (j.is_discarded() ? printable(r.config_json)
                                   : j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
              << '\n';
  } else {
    const auto params = store.params(r.id);
    for (const char* key : {"dataset.kind", "model.preset", "model.hidden", "model.activation",
                            "precision.mode", "precision.scaler.kind", "optimizer.kind", "lr",
                            "training.epochs", "training.batch_size", "training.seed"}) {
      auto it = params.find(key);
      if (it != params.end()) std::cout << "  " << key << " = " << printable(it->second) << '\n';
    }
    std::cout << "  (" << params.size() << " settings; --config prints them all)\n";
  }

  std::cout << "Summary\n";
  if (r.summary) {
    const RunSummary& s = *r.summary;
    std::cout << "  steps " << s.steps << "   skipped " << s.skipped_steps << "   overflow steps "
              << s.overflow_steps << '\n'
              << "  final loss " << fmt(s.final_loss) << "   final val loss " << fmt(s.final_val_loss)
              << '\n'
              << "  val accuracy final " << percent(s.final_val_accuracy) << "   best "
              << percent(s.best_val_accuracy) << '\n'
              << "  final loss scale " << fmt(s.final_scale, 6) << "   wall time "
              << fixed(s.wall_time_s, 2) << " s   time to target "
              << (s.time_to_target_s < 0 ? std::string("never") : fixed(s.time_to_target_s, 2) + " s")
              << '\n'
              << "  samples/s " << fixed(s.mean_samples_per_s, 0)
              // CPU runs compute what the run would hold on a device; the GPU measures it.
              << (isCpuDevice(s.device) ? "   peak memory (estimate) " : "   peak memory ")
              << fixed(static_cast<double>(s.peak_memory_bytes) / (1024.0 * 1024.0), 1) << " MiB\n";
    if (!s.error.empty()) std::cout << "  error: " << printable(s.error) << '\n';
  } else {
    std::cout << "  (none yet: the run is " << runStatusName(r.status) << ")\n";
  }

  const auto events = store.events(r.id);
  std::map<std::string, int> by_kind;
  for (const auto& e : events) ++by_kind[eventKindName(e.kind)];
  std::string kinds;
  for (const auto& [k, n] : by_kind) kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(n);
  std::cout << "Events: " << events.size() << (kinds.empty() ? "" : " (" + kinds + ")") << '\n';

  std::cout << "Metrics\n";
  std::vector<std::vector<std::string>> rows;
  for (const MetricStats& m : store.metricStats(r.id))
    rows.push_back({printable(m.key), std::to_string(m.count), std::to_string(m.step), fmt(m.value, 6),
                    fmt(m.min, 6), fmt(m.max, 6)});
  if (rows.empty()) std::cout << "  (none)\n";
  else printTable({"key", "points", "last step", "last", "min", "max"},
                  {false, true, true, true, true, true}, rows);
  const auto tensors = store.histogramTensors(r.id);
  if (!tensors.empty()) std::cout << "Histograms: " << printable(joined(tensors)) << '\n';
}

// Each step's step_time_ms in step order, for estimateSpeedup.
std::vector<double> stepTimes(const RunStore& store, std::int64_t id) {
  std::vector<double> ms;
  for (const MetricPoint& p : store.metricSeries(id, "step_time_ms")) ms.push_back(p.value);
  return ms;
}

void compareRuns(const RunsArgs& a) {
  const RunStore store = openStore(a);
  std::vector<RunRow> runs;
  if (!a.sweep_id.empty()) {
    RunFilter f;
    f.sweep_id = a.sweep_id;
    runs = store.listRuns(f);
    std::reverse(runs.begin(), runs.end());  // oldest first: groups in the sweep's order
    if (runs.empty()) throw StoreError(printable(store.path()) + ": no runs of sweep '" + a.sweep_id + "'");
  }
  for (std::int64_t id : a.ids) runs.push_back(store.run(id));
  if (runs.empty()) cli::usageError("runs compare: give run ids, or --sweep ID");
  if (a.groups || !a.sweep_id.empty()) {
    cli::printGroupReport(store, runs, a.baseline);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  const std::vector<double> base_times = stepTimes(store, runs.front().id);
  bool any_cpu = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRow& r = runs[i];
    const RunNumbers n = numbersOf(store, r);
    any_cpu = any_cpu || isCpuDevice(r.device);
    std::size_t overflow_events = 0;
    for (const auto& e : store.events(r.id))
      if (e.kind == EventKind::Overflow) ++overflow_events;
    // The same statistic as `train --ab` and the GUI: median segment step times.
    const SpeedupEstimate sp = estimateSpeedup(base_times, stepTimes(store, r.id));
    std::string speedup = "-", ms_per_step = "-";
    if (sp.valid) {
      ms_per_step = fixed(sp.other_ms_per_step, 3);
      speedup = i == 0 ? "1.00x" : fixed(sp.speedup, 2) + "x (" + fixed(sp.ratio_q1, 2) + "-" + fixed(sp.ratio_q3, 2) + ")";
    }
    rows.push_back({std::to_string(r.id), printable(r.name), printable(r.precision_mode), runStatusName(r.status),
                    percent(n.val_acc), percent(n.best_val_acc), fmt(n.loss), fixed(n.wall_s, 1),
                    ms_per_step, speedup, n.skipped, std::to_string(overflow_events), fmt(n.scale, 6)});
  }
  printTable({"id", "name", "mode", "status", "final acc", "best acc", "final loss", "wall s",
              "ms/step", "speedup (IQR)", "skipped", "overflows", "final scale"},
             {true, false, false, false, true, true, true, true, true, true, true, true, true}, rows);
  std::cout << "speedup = median ms/step of run " << runs.front().id
            << " / that of the run, over segments of " << kTimingSegmentSteps
            << " steps (warm-up dropped; IQR of the per-segment ratios); wall s excludes pauses\n";
  if (any_cpu) std::cout << kCpuTimingCaveat << '\n';
}

void exportCmd(const RunsArgs& a) {
  std::string format = a.format;
  if (format.empty()) {
    const std::string ext = std::filesystem::path(a.out).extension().string();
    format = ext == ".json" ? "json" : "csv";
  }
  const ExportFormat f = parseExportFormat(format);
  const RunStore store = openStore(a);
  if (a.out == "-") {
    if (f == ExportFormat::Json) std::cout << runsToJson(store, a.ids).dump(2) << '\n';
    else writeMetricsCsv(store, a.ids, std::cout);
    return;
  }
  exportRuns(store, a.ids, f, a.out);
  std::cerr << "exported " << a.ids.size() << " run(s) as " << format << " to " << printable(a.out) << '\n';
}

void deleteCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  for (std::int64_t id : a.ids) store.run(id);  // all ids valid, or nothing is deleted
  for (std::int64_t id : a.ids) {
    editing(a, [&] { store.deleteRun(id); });
    std::cout << "deleted run " << id << '\n';
  }
}

void tagCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  editing(a, [&] {
    if (a.remove) store.removeTag(a.id, a.tag);
    else store.addTag(a.id, a.tag);
  });
  std::cout << "run " << a.id << " tags: " << printable(joined(store.run(a.id).tags)) << '\n';
}

void noteCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  editing(a, [&] { store.setNote(a.id, a.text); });
}

// A full integrity check: exit 0 when healthy, 6 when damaged (findings on stdout).
void checkCmd(const RunsArgs& a) {
  const std::string path = storePath(a);
  const store::IntegrityReport r = store::checkStoreFile(path);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  char size[32];
  std::snprintf(size, sizeof size, "%.1f MiB", ec ? 0.0 : static_cast<double>(bytes) / 1048576.0);
  if (r.healthy()) {
    std::cout << printable(path) << ": ok (integrity check found no problems; " << size << ", "
              << fixed(r.seconds, 2) << " s)\n";
    return;
  }
  std::cout << printable(path) << ": damaged (" << r.problems.size()
            << (r.problems.size() >= 100 ? "+" : "") << " problem(s) found)\n";
  for (const std::string& p : r.problems) std::cout << "  " << printable(p) << '\n';
  std::cout << "Nothing is written to a damaged store. To save what is readable: "
               "sqlite3 " << printable(path) << " .recover | sqlite3 recovered.sqlite\n";
  throw CLI::RuntimeError(printable(path) + ": the store is damaged (see above)", cli::kExitStoreDamaged);
}

// All sources into --into, in one transaction (storage/store_merge.hpp).
void mergeCmd(const RunsArgs& a) {
  if (const std::string clash = standardStreamHitsStore(a.merge_into); !clash.empty())
    throw StoreError(clash);
  // HALFLAB_MERGE_STALL_MS (tests only): wait this long after each copied run, inside the
  // transaction, so that a test can kill the merge part-way and check the target.
  int stall_ms = 0;
  if (const char* e = std::getenv("HALFLAB_MERGE_STALL_MS")) stall_ms = std::atoi(e);
  const MergeReport r = mergeStores(a.merge_sources, a.merge_into,
                                    [stall_ms](const std::string& src, const std::string& uuid) {
    if (stall_ms <= 0) return;
    std::cerr << "copied run " << printable(uuid) << " from " << printable(src) << std::endl;
    ::usleep(static_cast<useconds_t>(stall_ms) * 1000);
  });
  for (const MergeSourceReport& s : r.sources) {
    std::cout << printable(s.path) << ": " << s.added << " run(s) added, " << s.duplicates
              << " already there";
    if (s.still_running) std::cout << ", " << s.still_running << " still being written (left out)";
    std::cout << '\n';
  }
  std::cout << "merged " << r.added() << " run(s) into " << printable(a.merge_into) << " ("
            << r.duplicates() << " duplicate(s) skipped)\n";
}

void benchWriter(const RunsArgs& a) {
  namespace fs = std::filesystem;
  // A scratch file by default: the benchmark never touches the user's store.
  const bool scratch = a.bench_file.empty();
  const std::string path = scratch ? (fs::temp_directory_path() /
                                      ("halflab-bench-writer-" + std::to_string(::getpid()) + ".sqlite"))
                                         .string()
                                   : a.bench_file;
  if (scratch) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  } else if (const std::string clash = outputHitsStore(path, storePath(a)); !clash.empty()) {
    throw StoreError("--file " + path + ": " + clash +
                     "; the benchmark writes synthetic runs (choose another file)");
  }
  const WriterBenchResult r = benchmarkRunWriter(path, a.bench_steps);
  if (scratch)
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  cli::printOut("run writer: %lld metric rows (%lld steps) committed in %.3f s = %.0f rows/s\n",
              static_cast<long long>(r.metric_rows), static_cast<long long>(r.steps), r.seconds,
              r.rows_per_s);
  cli::printOut("onStep on the training thread: mean %.0f ns, max %.1f us\n", r.mean_push_ns,
              r.max_push_us);
  if (!r.error.empty()) throw CLI::RuntimeError("run writer reported: " + r.error, 1);
}

}  // namespace

void registerRunsCommand(CLI::App& app) {
  auto a = std::make_shared<RunsArgs>();
  auto* runs = app.add_subcommand("runs", "Browse, compare, export and edit stored runs");
  runs->require_subcommand(1);
  runs->fallthrough();  // `runs list --db X` works as well as `runs --db X list`
  runs->add_option("--db", a->db,
                   "Run store file (default: $XDG_DATA_HOME/HalfLab/runs.sqlite or "
                   "~/.local/share/HalfLab/runs.sqlite)");
  runs->add_flag("--read-only", a->read_only,
                 "Never write to the store (browse a read-only or damaged store; edits are refused)");

  auto* list = runs->add_subcommand("list", "Table of runs, newest first");
  list->add_option("--name", a->filter.name_contains, "Name contains (case-insensitive)");
  list->add_option("--tag", a->filter.tag, "Has this tag");
  list->add_option("--mode", a->filter.precision_mode, "Precision mode (fp32, fp16, bf16, ...)");
  list->add_option("--sweep", a->filter.sweep_id, "Runs of this sweep id");
  list->add_option("--status", a->filter.status,
                   "running|completed|failed|cancelled|diverged|interrupted");
  list->callback(guarded(a, [a] { listRuns(*a); }));

  auto* show = runs->add_subcommand("show", "Config, summary, events and metrics of one run");
  show->add_option("id", a->id_text, "Run id")->required();
  show->add_flag("--config", a->full_config, "Print the full config JSON");
  show->callback(guarded(a, [a] { showRun(*a); }));

  auto* compare = runs->add_subcommand("compare", "Compare runs side by side (first = baseline)");
  compare->add_option("ids", a->id_texts, "Run ids")->expected(0, -1);
  compare->add_option("--sweep", a->sweep_id, "Compare all runs of this sweep, grouped (config minus seed)");
  compare->add_flag("--groups", a->groups,
                    "Group the runs by config minus seed: mean, 95 % interval, Welch test, verdict");
  compare->add_option("--baseline", a->baseline,
                      "key=value naming each group's baseline (default precision.mode=fp32)");
  compare->callback(guarded(a, [a] { compareRuns(*a); }));

  auto* exp = runs->add_subcommand("export", "Export runs as CSV (metrics) or JSON (everything)");
  exp->add_option("ids", a->id_texts, "Run ids")->required()->expected(1, -1);
  exp->add_option("--format", a->format, "csv|json (default: from the --out extension)")
      ->check(CLI::IsMember({"csv", "json"}));
  exp->add_option("--out", a->out, "Output file (- = stdout)")->required();
  exp->callback(guarded(a, [a] { exportCmd(*a); }));

  auto* del = runs->add_subcommand("delete", "Delete runs with all their data");
  del->add_option("ids", a->id_texts, "Run ids")->required()->expected(1, -1);
  del->callback(guarded(a, [a] { deleteCmd(*a); }));

  auto* tag = runs->add_subcommand("tag", "Add (or with --remove, remove) a tag");
  tag->add_option("id", a->id_text, "Run id")->required();
  tag->add_option("tag", a->tag, "Tag")->required();
  tag->add_flag("--remove", a->remove, "Remove the tag instead");
  tag->callback(guarded(a, [a] { tagCmd(*a); }));

  auto* note = runs->add_subcommand("note", "Set a run's note (\"\" clears it)");
  note->add_option("id", a->id_text, "Run id")->required();
  note->add_option("text", a->text, "Note text")->required();
  note->callback(guarded(a, [a] { noteCmd(*a); }));

  auto* check = runs->add_subcommand("check",
                                     "Full integrity check of the store (exit 0 healthy, 6 damaged)");
  check->callback(guarded(a, [a] { checkCmd(*a); }));

  auto* merge = runs->add_subcommand(
      "merge", "Merge stores into one (all or nothing; runs deduplicated by uuid)");
  merge->add_option("sources", a->merge_sources, "Source store files")->required()->expected(1, -1);
  merge->add_option("--into", a->merge_into, "Target store (created if missing)")->required();
  merge->callback(guarded(a, [a] { mergeCmd(*a); }));

  auto* bench = runs->add_subcommand("bench-writer",
                                     "Measure how many metric rows/s the run writer commits");
  bench->add_option("--steps", a->bench_steps, "Step records to write (16 rows each)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  bench->add_option("--file", a->bench_file, "Store file to write (default: a scratch file)");
  bench->callback(guarded(a, [a] { benchWriter(*a); }));
}

}  // namespace halflab
