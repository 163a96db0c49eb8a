// RunWriter -> SQLite -> RunStore: schema, round trips, downsampling, filters, lifecycle,
// editing, export, a second process writing while this one reads, and the bench.
#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "storage/config_params.hpp"
#include "storage/default_path.hpp"
#include "storage/process_identity.hpp"
#include "storage/run_export.hpp"
#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "storage/store_schema.hpp"
#include "storage/writer_bench.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

constexpr const char* kChildEnv = "HALFLAB_STORE_TEST_WRITER_CHILD";

std::int64_t count(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

// Writes one complete run with every record kind; returns its id.
std::int64_t writeFullRun(const std::string& path, const std::string& name,
                          const std::string& mode, RunStatus status, int steps = 300) {
  RunWriter w(path);
  w.onRunStarted(test::syntheticRunInfo(name, mode));
  for (int s = 1; s <= steps; ++s) w.onStep(test::syntheticStep(s, s * 2.0));
  EvalRecord e;
  e.step = steps;
  e.train_loss = 0.5;
  e.train_accuracy = 0.8;
  e.val_loss = 0.6;
  e.val_accuracy = 0.75;
  e.wall_ms = steps * 2.0;
  w.onEval(e);
  RunSummary sum;
  sum.status = status;
  sum.steps = steps;
  sum.final_loss = 0.1;
  sum.final_val_accuracy = 0.75;
  sum.best_val_accuracy = 0.8;
  sum.wall_time_s = steps * 0.002;
  sum.skipped_steps = steps / 50;
  w.onRunFinished(sum);
  return w.runId();
}

}  // namespace

class TestRunStore : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const char* name) { return dir_.filePath(name).toStdString(); }

 private slots:
  void schemaAndPragmas() {
    const std::string path = file("schema.sqlite");
    auto db = store::openStoreDatabase(path, StoreOpenMode::Create, 1234);
    QCOMPARE(db->execAndGet("PRAGMA application_id").getInt(), store::kApplicationId);
    QCOMPARE(db->execAndGet("PRAGMA user_version").getInt(), store::kSchemaVersion);
    QCOMPARE(db->execAndGet("PRAGMA journal_mode").getString(), std::string("wal"));
    QCOMPARE(db->execAndGet("PRAGMA synchronous").getInt(), 1);  // NORMAL
    QCOMPARE(db->execAndGet("PRAGMA foreign_keys").getInt(), 1);
    QCOMPARE(db->execAndGet("PRAGMA busy_timeout").getInt(), 1234);
    for (const char* table : {"runs", "params", "tags", "metrics", "latest_metrics", "events",
                              "histograms", "run_summary"}) {
      SQLite::Statement q(*db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
      q.bind(1, table);
      QVERIFY(q.executeStep());
      QVERIFY2(q.getColumn(0).getInt() == 1, table);
    }
    // The migration list is contiguous and ends at the current version.
    QCOMPARE(static_cast<int>(store::migrations().size()), store::kSchemaVersion);
    for (std::size_t i = 0; i < store::migrations().size(); ++i)
      QCOMPARE(store::migrations()[i].version, static_cast<int>(i + 1));
    // Reopening an existing store migrates nothing and keeps its data.
    db->exec("INSERT INTO runs (uuid, status, created_ms) VALUES ('x', 'completed', 1)");
    db.reset();
    auto again = store::openStoreDatabase(path, StoreOpenMode::ReadWrite, 100);
    QCOMPARE(again->execAndGet("SELECT count(*) FROM runs").getInt(), 1);
  }

  void flattenConfig() {
    const auto flat = flattenConfigJson(nlohmann::json::parse(
        R"({"a":{"b":1,"c":"x","d":[1,2]},"e":true,"f":{}})"));
    std::map<std::string, std::string> m(flat.begin(), flat.end());
    QCOMPARE(m.at("a.b"), std::string("1"));
    QCOMPARE(m.at("a.c"), std::string("x"));
    QCOMPARE(m.at("a.d"), std::string("[1,2]"));
    QCOMPARE(m.at("e"), std::string("true"));
    QCOMPARE(m.at("f"), std::string("{}"));
    QCOMPARE(m.size(), std::size_t{5});
  }

  void roundTripEveryRecordKind() {
    const std::string path = file("roundtrip.sqlite");
    std::int64_t id = 0;
    const RunInfo info = test::syntheticRunInfo("round trip", "bf16-amp", 0xFFFFFFFFFFFFFFF0ull);
    std::vector<StepRecord> steps;
    {
      RunWriter w(path);
      w.onRunStarted(info);
      id = w.runId();
      QVERIFY(id > 0);
      // The row exists synchronously, status running, before anything is flushed.
      RunStore live = RunStore::open(path, StoreOpenMode::ReadOnly);
      QCOMPARE(live.run(id).status, RunStatus::Running);

      for (int s = 1; s <= 120; ++s) {
        StepRecord r = test::syntheticStep(s, s * 3.0);
        if (s == 60) r.loss = std::numeric_limits<double>::quiet_NaN();
        if (s == 61) r.grad_norm = std::numeric_limits<double>::infinity();
        steps.push_back(r);
        w.onStep(r);
      }
      EvalRecord e{100, 0, 0.4, 0.85, 0.5, 0.8, 300.0};
      w.onEval(e);
      HistogramRecord h;
      h.step = 100;
      h.tensor = "fc1.weight";
      h.kind = "grad";
      h.format = Format::FP16;
      h.min_exp = -30;
      h.max_exp = 2;
      for (int i = 0; i <= 32; ++i) h.bins.push_back(i == 5 ? (1ll << 40) : i * 3);
      h.zeros = 4;
      h.infs = 1;
      h.nans = 2;
      w.onHistogram(h);
      HistogramRecord h2 = h;
      h2.tensor = "fc2.bias";
      h2.kind = "weight";
      w.onHistogram(h2);
      w.onEvent({50, EventKind::Overflow, 65536.0, "overflow at step 50", 150.0});
      w.onEvent({50, EventKind::ScaleChange, 32768.0, "scale 65536 -> 32768", 150.0});
      RunSummary sum;
      sum.status = RunStatus::Diverged;
      sum.steps = 120;
      sum.skipped_steps = 2;
      sum.overflow_steps = 2;
      sum.final_loss = 0.25;
      sum.final_val_loss = 0.5;
      sum.final_val_accuracy = 0.8;
      sum.best_val_accuracy = 0.81;
      sum.final_scale = 32768;
      sum.wall_time_s = 0.36;
      sum.time_to_target_s = -1;
      sum.mean_samples_per_s = 12345;
      sum.peak_memory_bytes = 987654321;
      sum.device = "synthetic cpu";
      sum.error = "loss became NaN";
      sum.ended_ms = info.started_ms + 360;
      w.onRunFinished(sum);
      QVERIFY2(w.lastError().empty(), w.lastError().c_str());
      QCOMPARE(w.committedMetricRows(), std::int64_t{120 * 19 + 4});
    }
    RunStore s = RunStore::open(path, StoreOpenMode::ReadOnly);
    const RunRow r = s.run(id);
    QCOMPARE(r.name, info.name);
    QCOMPARE(r.status, RunStatus::Diverged);
    QCOMPARE(r.precision_mode, std::string("bf16-amp"));
    QCOMPARE(r.seed, info.seed);  // full uint64 range survives
    QCOMPARE(r.started_ms, info.started_ms);
    QCOMPARE(r.ended_ms, info.started_ms + 360);
    QCOMPARE(r.config_json, info.config_json);
    QCOMPARE(r.total_steps, info.total_steps);
    QCOMPARE(r.parameter_count, info.parameter_count);
    QCOMPARE(r.uuid.size(), std::size_t{36});
    QVERIFY(r.summary.has_value());
    QCOMPARE(r.summary->final_loss, 0.25);
    QCOMPARE(r.summary->best_val_accuracy, 0.81);
    QCOMPARE(r.summary->final_scale, 32768.0);
    QCOMPARE(r.summary->peak_memory_bytes, std::int64_t{987654321});
    QCOMPARE(r.summary->skipped_steps, std::int64_t{2});
    QCOMPARE(r.summary->overflow_steps, std::int64_t{2});
    QCOMPARE(r.summary->time_to_target_s, -1.0);
    QCOMPARE(r.summary->error, std::string("loss became NaN"));

    const auto params = s.params(id);
    QCOMPARE(params.at("dataset.kind"), std::string("spirals"));
    QCOMPARE(params.at("model.hidden"), std::string("[64,64]"));

    const std::vector<std::string> expected_keys{
        "found_inf", "grad_elements", "grad_norm", "growth_tracker", "hysteresis", "loss", "lr",
        "overflow", "samples_per_s", "scale", "scale_before", "skipped", "stalled_updates",
        "step_time_ms", "subnormal", "train_accuracy", "train_loss", "underflow",
        "updated_elements", "val_accuracy", "val_loss", "weight_grad_elements", "zero_weight_grads"};
    QCOMPARE(s.metricKeys(id), expected_keys);

    const auto loss = s.metricSeries(id, "loss");
    QCOMPARE(loss.size(), std::size_t{120});
    for (std::size_t i = 0; i < loss.size(); ++i) {
      QCOMPARE(loss[i].step, steps[i].step);
      QCOMPARE(loss[i].wall_ms, steps[i].wall_ms);
      if (i == 59) QVERIFY(std::isnan(loss[i].value));
      else QCOMPARE(loss[i].value, steps[i].loss);
    }
    const auto norm = s.metricSeries(id, "grad_norm");
    QVERIFY(std::isinf(norm[60].value));
    const auto scale = s.metricSeries(id, "scale");
    QCOMPARE(scale[49].value, 32768.0);  // scale = scale_after
    QCOMPARE(s.metricSeries(id, "scale_before")[49].value, 65536.0);
    QCOMPARE(s.metricSeries(id, "skipped")[49].value, 1.0);
    QCOMPARE(s.metricSeries(id, "underflow")[9].value, static_cast<double>(10 % 7));
    QCOMPARE(s.metricSeries(id, "subnormal")[9].value, static_cast<double>(10 % 11));
    QCOMPARE(s.metricSeries(id, "stalled_updates")[8].value, static_cast<double>(9 % 5));
    QCOMPARE(s.metricSeries(id, "hysteresis")[0].value, 2.0);
    const auto val = s.metricSeries(id, "val_accuracy");
    QCOMPARE(val.size(), std::size_t{1});
    QCOMPARE(val[0].step, std::int64_t{100});
    QCOMPARE(val[0].value, 0.8);
    QCOMPARE(s.metricSeries(id, "train_loss")[0].value, 0.4);
    QVERIFY(s.metricSeries(id, "no such key").empty());

    // latest_metrics: latest value and range (NaN excluded from the range).
    bool seen_loss = false;
    for (const MetricStats& m : s.metricStats(id)) {
      if (m.key != "loss") continue;
      seen_loss = true;
      QCOMPARE(m.step, std::int64_t{120});
      QCOMPARE(m.value, steps.back().loss);
      QCOMPARE(m.max, steps.front().loss);
      QCOMPARE(m.min, steps.back().loss);
      QCOMPARE(m.count, std::int64_t{120});
    }
    QVERIFY(seen_loss);

    const auto events = s.events(id);
    QCOMPARE(events.size(), std::size_t{2});
    QCOMPARE(events[0].kind, EventKind::Overflow);
    QCOMPARE(events[0].value, 65536.0);
    QCOMPARE(events[0].text, std::string("overflow at step 50"));
    QCOMPARE(events[1].kind, EventKind::ScaleChange);
    QCOMPARE(events[1].wall_ms, 150.0);

    QCOMPARE(s.histogramTensors(id), (std::vector<std::string>{"fc1.weight", "fc2.bias"}));
    const auto hs = s.histograms(id, "fc1.weight");
    QCOMPARE(hs.size(), std::size_t{1});
    QCOMPARE(hs[0].step, std::int64_t{100});
    QCOMPARE(hs[0].kind, std::string("grad"));
    QCOMPARE(hs[0].format, Format::FP16);
    QCOMPARE(hs[0].min_exp, -30);
    QCOMPARE(hs[0].max_exp, 2);
    QCOMPARE(hs[0].bins.size(), std::size_t{33});
    QCOMPARE(hs[0].bins[5], std::int64_t{1} << 40);
    QCOMPARE(hs[0].bins[32], std::int64_t{96});
    QCOMPARE(hs[0].zeros, std::int64_t{4});
    QCOMPARE(hs[0].infs, std::int64_t{1});
    QCOMPARE(hs[0].nans, std::int64_t{2});
    QCOMPARE(s.histograms(id).size(), std::size_t{2});
    QCOMPARE(s.histograms(id, "fc2.bias")[0].kind, std::string("weight"));
  }

  void backgroundThreadCommitsWithoutFlush() {
    // Records become visible to another connection within ~250 ms without any flush().
    const std::string path = file("interval.sqlite");
    RunWriter w(path);
    w.onRunStarted(test::syntheticRunInfo("interval"));
    for (int s = 1; s <= 10; ++s) w.onStep(test::syntheticStep(s, s));
    RunStore reader = RunStore::open(path, StoreOpenMode::ReadOnly);
    QTRY_COMPARE_WITH_TIMEOUT(reader.metricSeries(w.runId(), "loss").size(), std::size_t{10}, 2000);
  }

  void writerReusedForSeveralRuns() {
    const std::string path = file("ab.sqlite");
    RunWriter w(path);
    std::vector<std::int64_t> ids;
    for (const char* mode : {"fp32", "fp16-amp"}) {
      w.onRunStarted(test::syntheticRunInfo(std::string("ab ") + mode, mode));
      ids.push_back(w.runId());
      for (int s = 1; s <= 30; ++s) w.onStep(test::syntheticStep(s, s));
      w.onRunFinished(RunSummary{});
    }
    QVERIFY(ids[0] != ids[1]);
    RunStore s = RunStore::open(path);
    for (auto id : ids) {
      QCOMPARE(s.metricSeries(id, "loss").size(), std::size_t{30});
      QCOMPARE(s.run(id).status, RunStatus::Completed);
    }
  }

  void downsamplingKeepsSpikes() {
    const std::string path = file("spikes.sqlite");
    std::int64_t id = 0;
    {
      RunWriter w(path);
      w.onRunStarted(test::syntheticRunInfo("spiky"));
      id = w.runId();
      for (int s = 1; s <= 10000; ++s) {
        StepRecord r = test::syntheticStep(s, s);
        r.loss = 1.0 + 0.01 * std::sin(s * 0.1);
        if (s == 4321) r.loss = 1e6;   // overflow spike
        if (s == 777) r.loss = -5.0;   // dip
        if (s == 9001) r.loss = std::numeric_limits<double>::quiet_NaN();
        w.onStep(r);
      }
      QVERIFY(w.flush());
    }
    RunStore s = RunStore::open(path, StoreOpenMode::ReadOnly);
    QCOMPARE(s.metricSeries(id, "loss").size(), std::size_t{10000});
    QCOMPARE(s.metricSeries(id, "loss", 20000).size(), std::size_t{10000});
    const auto pts = s.metricSeries(id, "loss", 200);
    QVERIFY(pts.size() <= 200);
    QVERIFY(pts.size() >= 150);
    bool spike = false, dip = false, nan = false;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (i > 0) QVERIFY(pts[i].step > pts[i - 1].step);
      if (pts[i].step == 4321) spike = pts[i].value == 1e6;
      if (pts[i].step == 777) dip = pts[i].value == -5.0;
      if (pts[i].step == 9001) nan = std::isnan(pts[i].value);
    }
    QVERIFY(spike);
    QVERIFY(dip);
    QVERIFY(nan);
    QCOMPARE(pts.front().step, std::int64_t{1});      // the ends are always kept
    QCOMPARE(pts.back().step, std::int64_t{10000});
  }

  void filters() {
    const std::string path = file("filters.sqlite");
    const auto a = writeFullRun(path, "Alpha fp16 baseline", "fp16-amp", RunStatus::Completed, 20);
    const auto b = writeFullRun(path, "beta", "fp32", RunStatus::Completed, 20);
    const auto c = writeFullRun(path, "gamma ALPHA", "fp32", RunStatus::Diverged, 20);
    RunStore s = RunStore::open(path);
    s.addTag(b, "paper");
    s.addTag(c, "paper");
    const auto ids = [](const std::vector<RunRow>& rows) {
      std::vector<std::int64_t> out;
      for (const auto& r : rows) out.push_back(r.id);
      return out;
    };
    QCOMPARE(ids(s.listRuns()), (std::vector<std::int64_t>{c, b, a}));  // newest first
    QCOMPARE(ids(s.listRuns({"alpha", "", "", ""})), (std::vector<std::int64_t>{c, a}));
    QCOMPARE(ids(s.listRuns({"", "paper", "", ""})), (std::vector<std::int64_t>{c, b}));
    QCOMPARE(ids(s.listRuns({"", "", "fp32", ""})), (std::vector<std::int64_t>{c, b}));
    QCOMPARE(ids(s.listRuns({"", "", "", "diverged"})), (std::vector<std::int64_t>{c}));
    QCOMPARE(ids(s.listRuns({"alpha", "paper", "fp32", "diverged"})), (std::vector<std::int64_t>{c}));
    QVERIFY(s.listRuns({"nothing like this", "", "", ""}).empty());
    const auto rows = s.listRuns({"beta", "", "", ""});
    QCOMPARE(rows[0].tags, std::vector<std::string>{"paper"});
    QVERIFY(rows[0].summary.has_value());
    QCOMPARE(rows[0].summary->best_val_accuracy, 0.8);
    try {
      s.listRuns({"", "", "", "finished"});
      QFAIL("an unknown status must be rejected");
    } catch (const StoreError& e) {
      QVERIFY(std::string(e.what()).find("'finished'") != std::string::npos);
    }
  }

  void lifecycleAndInterruptedOnReopen() {
    const std::string path = file("lifecycle.sqlite");
    for (auto [status, name] : {std::pair{RunStatus::Completed, "completed"},
                                {RunStatus::Failed, "failed"},
                                {RunStatus::Cancelled, "cancelled"},
                                {RunStatus::Diverged, "diverged"}}) {
      const auto id = writeFullRun(path, name, "fp32", status, 5);
      QCOMPARE(RunStore::open(path).run(id).status, status);
    }

    // A live writer in this very process: opening read-write must leave it running.
    RunWriter live(path);
    live.onRunStarted(test::syntheticRunInfo("live"));
    for (int s = 1; s <= 5; ++s) live.onStep(test::syntheticStep(s, s * 100.0));
    QVERIFY(live.flush());
    const auto live_id = live.runId();

    // Dead writers: a pid that exited, and a pid from a previous boot.
    QProcess gone;
    gone.start("/bin/true");
    QVERIFY(gone.waitForFinished(5000));
    const qint64 dead_pid = gone.processId() > 0 ? gone.processId() : 999999999;
    std::int64_t dead_id = 0, rebooted_id = 0;
    {
      RunWriter w(path);
      w.onRunStarted(test::syntheticRunInfo("dead"));
      for (int s = 1; s <= 7; ++s) w.onStep(test::syntheticStep(s, s * 10.0));
      QVERIFY(w.flush());
      dead_id = w.runId();
      w.onRunStarted(test::syntheticRunInfo("rebooted"));
      QVERIFY(w.flush());
      rebooted_id = w.runId();
    }  // destroyed without onRunFinished: both rows stay `running`, owned by this pid
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      db.exec("UPDATE runs SET writer_pid = " + std::to_string(dead_pid) +
              " WHERE id = " + std::to_string(dead_id));
      db.exec("UPDATE runs SET writer_boot_id = 'some-earlier-boot' WHERE id = " +
              std::to_string(rebooted_id));
    }
    // A read-only open never marks anything.
    QCOMPARE(RunStore::open(path, StoreOpenMode::ReadOnly).run(dead_id).status, RunStatus::Running);

    RunStore s = RunStore::open(path);
    QCOMPARE(s.run(live_id).status, RunStatus::Running);
    const RunRow dead = s.run(dead_id);
    QCOMPARE(dead.status, RunStatus::Interrupted);
    QCOMPARE(dead.ended_ms, dead.started_ms + 70);  // last committed wall time
    QCOMPARE(s.metricSeries(dead_id, "loss").size(), std::size_t{7});  // data intact
    const auto ev = s.events(dead_id);
    QVERIFY(!ev.empty());
    QVERIFY(ev.back().text.find("interrupted") != std::string::npos);
    QCOMPARE(s.run(rebooted_id).status, RunStatus::Interrupted);
    QCOMPARE(s.markInterruptedRuns(), 0);

    live.onRunFinished(RunSummary{});
    QCOMPARE(s.run(live_id).status, RunStatus::Completed);
  }

  void processIdentity() {
    const ProcessIdentity me = currentProcessIdentity();
    QVERIFY(me.pid > 0);
    QVERIFY(!me.boot_id.empty());
    QVERIFY(me.start_ticks > 0);
    QVERIFY(isProcessAlive(me));
    ProcessIdentity reused = me;
    reused.start_ticks += 1;  // same pid, different process
    QVERIFY(!isProcessAlive(reused));
    ProcessIdentity other_boot = me;
    other_boot.boot_id = "00000000-0000-0000-0000-000000000000";
    QVERIFY(!isProcessAlive(other_boot));
    QVERIFY(!isProcessAlive(ProcessIdentity{0, me.boot_id, 0}));
  }

  void editing() {
    const std::string path = file("editing.sqlite");
    const auto keep = writeFullRun(path, "keep", "fp32", RunStatus::Completed, 10);
    const auto id = writeFullRun(path, "old name", "fp16-amp", RunStatus::Completed, 10);
    {
      RunWriter w(path);  // add a histogram and an event to the run to delete
      w.onRunStarted(test::syntheticRunInfo("extra"));
      w.onRunFinished(RunSummary{});
    }
    RunStore s = RunStore::open(path);
    s.rename(id, "new name");
    s.setNote(id, "looks fine; compare with 1");
    s.addTag(id, "b");
    s.addTag(id, "a");
    s.addTag(id, "a");  // twice is once
    QCOMPARE(s.run(id).name, std::string("new name"));
    QCOMPARE(s.run(id).notes, std::string("looks fine; compare with 1"));
    QCOMPARE(s.run(id).tags, (std::vector<std::string>{"a", "b"}));
    s.removeTag(id, "a");
    QCOMPARE(s.run(id).tags, (std::vector<std::string>{"b"}));

    // Unknown ids: clear errors naming the store and the id.
    for (auto edit : std::vector<std::function<void()>>{
             [&] { s.rename(999, "x"); }, [&] { s.setNote(999, "x"); },
             [&] { s.addTag(999, "x"); }, [&] { s.deleteRun(999); }, [&] { s.run(999); }}) {
      try {
        edit();
        QFAIL("an unknown run id must throw");
      } catch (const StoreError& e) {
        QVERIFY2(std::string(e.what()).find("no run with id 999") != std::string::npos, e.what());
        QVERIFY(std::string(e.what()).find(path) != std::string::npos);
      }
    }

    // deleteRun cascades to every table.
    s.deleteRun(id);
    QVERIFY(!s.findRun(id).has_value());
    for (const char* table : {"params", "tags", "metrics", "latest_metrics", "events",
                              "histograms", "run_summary"}) {
      const auto n = count(path, std::string("SELECT count(*) FROM ") + table +
                                     " WHERE run_id = " + std::to_string(id));
      QVERIFY2(n == 0, table);
    }
    QCOMPARE(s.metricSeries(keep, "loss").size(), std::size_t{10});  // others untouched

    // A read-only store refuses edits with a message naming the file.
    RunStore ro = RunStore::open(path, StoreOpenMode::ReadOnly);
    try {
      ro.rename(keep, "x");
      QFAIL("read-only store must refuse edits");
    } catch (const StoreError& e) {
      QVERIFY(std::string(e.what()).find("read-only") != std::string::npos);
      QVERIFY(std::string(e.what()).find(path) != std::string::npos);
    }
    QCOMPARE(s.run(keep).name, std::string("keep"));
  }

  void exportCsvAndJson() {
    const std::string path = file("export.sqlite");
    const auto a = writeFullRun(path, "export a", "fp32", RunStatus::Completed, 12);
    const auto b = writeFullRun(path, "export b", "fp16-amp", RunStatus::Completed, 8);
    RunStore s = RunStore::open(path);
    {
      RunWriter w(path);
      (void)w;
    }
    const std::string csv_path = file("out.csv");
    exportRuns(s, {a, b}, ExportFormat::Csv, csv_path);
    std::ifstream in(csv_path);
    std::string line;
    std::getline(in, line);
    QCOMPARE(line, std::string("run,step,key,value,wall_time"));
    std::size_t rows = 0;
    bool found = false;
    while (std::getline(in, line)) {
      ++rows;
      // syntheticStep(3, 6.0): loss = 2 exp(-3/300) + 0.05, wall 6 ms = 0.006 s
      std::istringstream f(line);
      std::string run, step, key, value, wall;
      std::getline(f, run, ',');
      std::getline(f, step, ',');
      std::getline(f, key, ',');
      std::getline(f, value, ',');
      std::getline(f, wall, ',');
      if (run == std::to_string(a) && step == "3" && key == "loss") {
        found = true;
        QCOMPARE(std::stod(value), test::syntheticStep(3, 0).loss);
        QCOMPARE(std::stod(wall), 0.006);
      }
    }
    QVERIFY(found);
    QCOMPARE(rows, std::size_t{(12 + 8) * 19 + 2 * 4});

    const std::string json_path = file("out.json");
    exportRuns(s, {b}, ExportFormat::Json, json_path);
    std::ifstream jin(json_path);
    const auto j = nlohmann::json::parse(jin);
    QCOMPARE(j["format"].get<std::string>(), std::string("halflab-runs"));
    QCOMPARE(j["runs"].size(), std::size_t{1});
    const auto& r = j["runs"][0];
    QCOMPARE(r["id"].get<std::int64_t>(), b);
    QCOMPARE(r["name"].get<std::string>(), std::string("export b"));
    QCOMPARE(r["config"]["dataset"]["kind"].get<std::string>(), std::string("spirals"));
    QCOMPARE(r["summary"]["final_loss"].get<double>(), 0.1);
    QCOMPARE(r["summary"]["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(r["series"]["loss"]["step"].size(), std::size_t{8});
    QCOMPARE(r["series"]["loss"]["value"][7].get<double>(), test::syntheticStep(8, 0).loss);
    QCOMPARE(r["series"]["val_accuracy"]["value"][0].get<double>(), 0.75);
    QVERIFY(r["events"].is_array());

    // Bad requests: clear errors, no file written.
    const std::string bad_out = file("never.csv");
    try {
      exportRuns(s, {a, 4242}, ExportFormat::Csv, bad_out);
      QFAIL("unknown id must throw");
    } catch (const StoreError& e) {
      QVERIFY(std::string(e.what()).find("4242") != std::string::npos);
    }
    QVERIFY(!QFile::exists(QString::fromStdString(bad_out)));
    try {
      exportRuns(s, {a}, ExportFormat::Csv, file("no/such/folder/out.csv"));
      QFAIL("unwritable output must throw");
    } catch (const StoreError& e) {
      QVERIFY(std::string(e.what()).find("no/such/folder/out.csv") != std::string::npos);
    }
    try {
      parseExportFormat("xml");
      QFAIL("unknown format must throw");
    } catch (const StoreError& e) {
      QVERIFY(std::string(e.what()).find("'xml'") != std::string::npos);
    }
  }

  void readerWhileAnotherProcessWrites() {
    const std::string path = file("two_processes.sqlite");
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(kChildEnv, QString::fromStdString(path));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForStarted(5000));
    QVERIFY(child.waitForReadyRead(10000));
    const QString first = QString::fromUtf8(child.readLine()).trimmed();
    QVERIFY2(first.startsWith("run "), qPrintable(first));
    const std::int64_t id = first.mid(4).toLongLong();
    QVERIFY(id > 0);

    std::size_t last = 0;
    int growing = 0, polls = 0;
    while (child.state() != QProcess::NotRunning && polls < 400) {
      // Read-write open on purpose: the live child must not be marked interrupted.
      RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);
      const auto rows = s.listRuns();
      QCOMPARE(rows.size(), std::size_t{1});
      const RunRow r = s.run(id);
      QVERIFY(r.status == RunStatus::Running || r.status == RunStatus::Completed);
      const auto n = s.metricSeries(id, "loss").size();
      QVERIFY(n >= last);
      if (n > last) ++growing;
      last = n;
      s.metricSeries(id, "loss", 100);
      s.events(id);
      ++polls;
      child.waitForFinished(100);
    }
    if (child.state() != QProcess::NotRunning) QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitStatus(), QProcess::NormalExit);
    QCOMPARE(child.exitCode(), 0);
    QVERIFY2(growing >= 2, "the reader should have seen the series grow while it was written");
    RunStore s = RunStore::open(path);
    QCOMPARE(s.run(id).status, RunStatus::Completed);
    QCOMPARE(s.metricSeries(id, "loss").size(), std::size_t{3000});
  }

  void benchWriter() {
    const WriterBenchResult r = benchmarkRunWriter(file("bench.sqlite"), 50000);
    QVERIFY2(r.error.empty(), r.error.c_str());
    QCOMPARE(r.metric_rows, std::int64_t{50000 * 19});
    qInfo("RunWriter: %lld metric rows in %.3f s = %.0f rows/s (onStep mean %.0f ns, max %.1f us)",
          static_cast<long long>(r.metric_rows), r.seconds, r.rows_per_s, r.mean_push_ns,
          r.max_push_us);
    QCOMPARE(count(file("bench.sqlite"), "SELECT count(*) FROM metrics"), std::int64_t{950000});
  }

  void defaultPath() {
    const QByteArray old_xdg = qgetenv("XDG_DATA_HOME"), old_home = qgetenv("HOME");
    const std::string xdg = file("xdg");
    qputenv("XDG_DATA_HOME", QByteArray::fromStdString(xdg));
    QCOMPARE(defaultStorePath(), xdg + "/HalfLab/runs.sqlite");
    QVERIFY(QDir(QString::fromStdString(xdg + "/HalfLab")).exists());
    qunsetenv("XDG_DATA_HOME");
    qputenv("HOME", QByteArray::fromStdString(file("home")));
    QCOMPARE(defaultStorePath(), file("home") + "/.local/share/HalfLab/runs.sqlite");
    QVERIFY(QDir(QString::fromStdString(file("home") + "/.local/share/HalfLab")).exists());
    if (old_xdg.isNull()) qunsetenv("XDG_DATA_HOME");
    else qputenv("XDG_DATA_HOME", old_xdg);
    qputenv("HOME", old_home);
  }
};

int main(int argc, char** argv) {
  // Child mode for readerWhileAnotherProcessWrites: ~3 s of steps at ~1 kHz.
  if (const char* db = std::getenv(kChildEnv)) return test::runWriterChild(db, 3000, 1000);
  QCoreApplication app(argc, argv);
  TestRunStore t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_run_store.moc"
