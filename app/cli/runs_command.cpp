#include "app/cli/runs_command.hpp"

#include <cmath>
#include <cstdio>
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

#include "engine/json/bounded_json.hpp"
#include "storage/default_path.hpp"
#include "storage/run_export.hpp"
#include "storage/run_store.hpp"
#include "storage/writer_bench.hpp"

namespace halflab {
namespace {

struct RunsArgs {
  std::string db;
  RunFilter filter;
  std::vector<std::int64_t> ids;
  std::int64_t id = 0;
  std::string format, out, tag, text;
  bool remove = false, full_config = false;
  std::int64_t bench_steps = 50000;
  std::string bench_file;
};

// Store problems become one-line CLI failures (exit code 1).
template <typename Fn>
std::function<void()> guarded(Fn fn) {
  return [fn] {
    try {
      fn();
    } catch (const StoreError& e) {
      throw CLI::RuntimeError(e.what(), 1);
    }
  };
}

RunStore openStore(const RunsArgs& a) {
  // The default store is created on first use; an explicit --db must already exist (a
  // typo should not silently make an empty store).
  if (a.db.empty()) return RunStore::open(defaultStorePath(), StoreOpenMode::Create);
  return RunStore::open(a.db, StoreOpenMode::ReadWrite);
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

// Prints a plain text table; columns whose flag is true are right-aligned (numbers).
void printTable(const std::vector<std::string>& head, const std::vector<bool>& right,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(head.size());
  for (std::size_t c = 0; c < head.size(); ++c) width[c] = head[c].size();
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      if (c) s += "  ";
      s += right[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    std::cout << s << '\n';
  };
  line(head);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  std::cout << std::string(total > 2 ? total - 2 : 0, '-') << '\n';
  for (const auto& r : rows) line(r);
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
    std::cout << "no runs in " << store.path() << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const RunRow& r : runs) {
    const RunNumbers n = numbersOf(store, r);
    rows.push_back({std::to_string(r.id), r.name, runStatusName(r.status), r.precision_mode,
                    std::to_string(r.seed), percent(n.val_acc), fmt(n.loss),
                    fixed(n.wall_s, 1), n.skipped});
  }
  printTable({"id", "name", "status", "mode", "seed", "val acc", "loss", "wall s", "skipped"},
             {true, false, false, false, true, true, true, true, true}, rows);
}

void showRun(const RunsArgs& a) {
  const RunStore store = openStore(a);
  const RunRow r = store.run(a.id);
  std::cout << "Run " << r.id << ": " << r.name << "  [" << runStatusName(r.status) << "]\n"
            << "  uuid       " << r.uuid << '\n'
            << "  started    " << localTime(r.started_ms) << "   ended " << localTime(r.ended_ms) << '\n'
            << "  mode       " << r.precision_mode << "   seed " << r.seed << "   device "
            << r.device << '\n'
            << "  parameters " << r.parameter_count << "   planned steps " << r.total_steps
            << "   app " << r.app_version << '\n';
  if (!r.tags.empty()) std::cout << "  tags       " << joined(r.tags) << '\n';
  if (!r.notes.empty()) std::cout << "  notes      " << r.notes << '\n';

  std::cout << "Config\n";
  if (a.full_config) {
    const auto j = parseBoundedJsonOrDiscarded(r.config_json);
    std::cout << (j.is_discarded() ? r.config_json : j.dump(2)) << '\n';
  } else {
    const auto params = store.params(r.id);
    for (const char* key : {"dataset.kind", "model.preset", "model.hidden", "model.activation",
                            "precision.mode", "precision.scaler.kind", "optimizer.kind", "lr",
                            "training.epochs", "training.batch_size", "training.seed"}) {
      auto it = params.find(key);
      if (it != params.end()) std::cout << "  " << key << " = " << it->second << '\n';
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
              << "  samples/s " << fixed(s.mean_samples_per_s, 0) << "   peak memory "
              << fixed(static_cast<double>(s.peak_memory_bytes) / (1024.0 * 1024.0), 1) << " MiB\n";
    if (!s.error.empty()) std::cout << "  error: " << s.error << '\n';
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
    rows.push_back({m.key, std::to_string(m.count), std::to_string(m.step), fmt(m.value, 6),
                    fmt(m.min, 6), fmt(m.max, 6)});
  if (rows.empty()) std::cout << "  (none)\n";
  else printTable({"key", "points", "last step", "last", "min", "max"},
                  {false, true, true, true, true, true}, rows);
  const auto tensors = store.histogramTensors(r.id);
  if (!tensors.empty()) std::cout << "Histograms: " << joined(tensors) << '\n';
}

void compareRuns(const RunsArgs& a) {
  const RunStore store = openStore(a);
  std::vector<RunRow> runs;
  for (std::int64_t id : a.ids) runs.push_back(store.run(id));
  std::vector<std::vector<std::string>> rows;
  double base_wall = NAN;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRow& r = runs[i];
    const RunNumbers n = numbersOf(store, r);
    if (i == 0) base_wall = n.wall_s;
    std::size_t overflow_events = 0;
    for (const auto& e : store.events(r.id))
      if (e.kind == EventKind::Overflow) ++overflow_events;
    const double speedup = (n.wall_s > 0 && base_wall > 0) ? base_wall / n.wall_s : NAN;
    rows.push_back({std::to_string(r.id), r.name, r.precision_mode, runStatusName(r.status),
                    percent(n.val_acc), percent(n.best_val_acc), fmt(n.loss), fixed(n.wall_s, 1),
                    std::isnan(speedup) ? "-" : fixed(speedup, 2) + "x", n.skipped,
                    std::to_string(overflow_events), fmt(n.scale, 6)});
  }
  printTable({"id", "name", "mode", "status", "final acc", "best acc", "final loss", "wall s",
              "speedup", "skipped", "overflows", "final scale"},
             {true, false, false, false, true, true, true, true, true, true, true, true}, rows);
  std::cout << "speedup = wall time of run " << runs.front().id << " / wall time of the run\n";
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
  std::cerr << "exported " << a.ids.size() << " run(s) as " << format << " to " << a.out << '\n';
}

void deleteCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  for (std::int64_t id : a.ids) store.run(id);  // all ids valid, or nothing is deleted
  for (std::int64_t id : a.ids) {
    store.deleteRun(id);
    std::cout << "deleted run " << id << '\n';
  }
}

void tagCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  if (a.remove) store.removeTag(a.id, a.tag);
  else store.addTag(a.id, a.tag);
  std::cout << "run " << a.id << " tags: " << joined(store.run(a.id).tags) << '\n';
}

void noteCmd(const RunsArgs& a) {
  RunStore store = openStore(a);
  store.setNote(a.id, a.text);
}

void benchWriter(const RunsArgs& a) {
  namespace fs = std::filesystem;
  // A scratch file by default: the benchmark never touches the user's store.
  const bool scratch = a.bench_file.empty();
  const std::string path = scratch ? (fs::temp_directory_path() /
                                      ("halflab-bench-writer-" + std::to_string(::getpid()) + ".sqlite"))
                                         .string()
                                   : a.bench_file;
  if (scratch)
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  const WriterBenchResult r = benchmarkRunWriter(path, a.bench_steps);
  if (scratch)
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  std::printf("run writer: %lld metric rows (%lld steps) committed in %.3f s = %.0f rows/s\n",
              static_cast<long long>(r.metric_rows), static_cast<long long>(r.steps), r.seconds,
              r.rows_per_s);
  std::printf("onStep on the training thread: mean %.0f ns, max %.1f us\n", r.mean_push_ns,
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

  auto* list = runs->add_subcommand("list", "Table of runs, newest first");
  list->add_option("--name", a->filter.name_contains, "Name contains (case-insensitive)");
  list->add_option("--tag", a->filter.tag, "Has this tag");
  list->add_option("--mode", a->filter.precision_mode, "Precision mode (fp32, fp16, bf16, ...)");
  list->add_option("--status", a->filter.status,
                   "running|completed|failed|cancelled|diverged|interrupted");
  list->callback(guarded([a] { listRuns(*a); }));

  auto* show = runs->add_subcommand("show", "Config, summary, events and metrics of one run");
  show->add_option("id", a->id, "Run id")->required();
  show->add_flag("--config", a->full_config, "Print the full config JSON");
  show->callback(guarded([a] { showRun(*a); }));

  auto* compare = runs->add_subcommand("compare", "Compare runs side by side (first = baseline)");
  compare->add_option("ids", a->ids, "Run ids")->required()->expected(1, -1);
  compare->callback(guarded([a] { compareRuns(*a); }));

  auto* exp = runs->add_subcommand("export", "Export runs as CSV (metrics) or JSON (everything)");
  exp->add_option("ids", a->ids, "Run ids")->required()->expected(1, -1);
  exp->add_option("--format", a->format, "csv|json (default: from the --out extension)")
      ->check(CLI::IsMember({"csv", "json"}));
  exp->add_option("--out", a->out, "Output file (- = stdout)")->required();
  exp->callback(guarded([a] { exportCmd(*a); }));

  auto* del = runs->add_subcommand("delete", "Delete runs with all their data");
  del->add_option("ids", a->ids, "Run ids")->required()->expected(1, -1);
  del->callback(guarded([a] { deleteCmd(*a); }));

  auto* tag = runs->add_subcommand("tag", "Add (or with --remove, remove) a tag");
  tag->add_option("id", a->id, "Run id")->required();
  tag->add_option("tag", a->tag, "Tag")->required();
  tag->add_flag("--remove", a->remove, "Remove the tag instead");
  tag->callback(guarded([a] { tagCmd(*a); }));

  auto* note = runs->add_subcommand("note", "Set a run's note (\"\" clears it)");
  note->add_option("id", a->id, "Run id")->required();
  note->add_option("text", a->text, "Note text")->required();
  note->callback(guarded([a] { noteCmd(*a); }));

  auto* bench = runs->add_subcommand("bench-writer",
                                     "Measure how many metric rows/s the run writer commits");
  bench->add_option("--steps", a->bench_steps, "Step records to write (16 rows each)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  bench->add_option("--file", a->bench_file, "Store file to write (default: a scratch file)");
  bench->callback(guarded([a] { benchWriter(*a); }));
}

}  // namespace halflab
