// The comparison table's speedup (ui/comparison): the same segment-median statistic as
// `halflab-cli train --ab`, read from the stored step_time_ms series, never the ratio of
// wall times; and the CPU-timing caveat under the table and in the HTML report.
#include <QtTest>

#include <QTemporaryDir>

#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "ui/compare_view.hpp"
#include "ui/comparison.hpp"

using namespace halflab;

namespace {

// A finished run of `steps` steps taking `step_ms` each, with `wall_s` as its wall time
// (which includes whatever else the run did: evals, data loading).
void writeRun(const QString& db, const std::string& mode, const std::string& device, int steps,
                      double step_ms, double wall_s) {
  RunWriter writer(db.toStdString());
  RunInfo info;
  info.name = "cmp " + mode;
  info.precision_mode = mode;
  info.device = device;
  info.config_json = "{}";
  info.total_steps = steps;
  writer.onRunStarted(info);
  for (int s = 1; s <= steps; ++s) {
    StepRecord r;
    r.step = s;
    r.loss = 1.0;
    r.step_time_ms = s <= 20 ? 50.0 : step_ms;  // a slow warm-up segment
    r.wall_ms = s * step_ms;
    writer.onStep(r);
  }
  RunSummary sum;
  sum.steps = steps;
  sum.wall_time_s = wall_s;
  sum.device = device;
  writer.onRunFinished(sum);
  QVERIFY2(writer.flush(), writer.lastError().c_str());
}

}  // namespace

class TestComparison : public QObject {
  Q_OBJECT

 private slots:
  // Wall times 10 s vs 8 s (1.25x) but steps of 4 ms vs 1 ms: the table says 4.00x.
  void speedupIsTheMedianOfStepTimesNotWallTimes() {
    QTemporaryDir dir;
    const QString db = dir.filePath("runs.sqlite");
    writeRun(db, "fp32", "cpu (2 threads)", 200, 4.0, 10.0);
    writeRun(db, "fp16-amp", "cpu (2 threads)", 200, 1.0, 8.0);
    RunStore store = RunStore::open(db.toStdString(), StoreOpenMode::ReadOnly);
    std::vector<RunRow> runs = store.listRuns();
    std::sort(runs.begin(), runs.end(), [](const RunRow& a, const RunRow& b) { return a.id < b.id; });
    const StepTimesByRun times = storedStepTimes(store, runs);
    QCOMPARE(times.at(runs[0].id).size(), std::size_t{200});
    const auto rows = buildComparison(runs, 0, times);
    QCOMPARE(rows[0].ms_per_step, 4.0);
    QCOMPARE(rows[1].ms_per_step, 1.0);
    QVERIFY(rows[1].speed_valid);
    QCOMPARE(rows[1].speedup, 4.0);
    QCOMPARE(rows[1].speedup_q1, 4.0);
    QCOMPARE(rows[1].speedup_q3, 4.0);
    const QStringList headers = comparisonHeaders();
    const QStringList cells = comparisonCells(rows[1], false);
    QCOMPARE(cells.size(), headers.size());
    QCOMPARE(cells[headers.indexOf("Speedup (IQR)")], QString("4.00× (4.00–4.00)"));
    QCOMPARE(cells[headers.indexOf("ms/step (median)")], QString("1.000"));
    QCOMPARE(comparisonCells(rows[0], true)[headers.indexOf("Speedup (IQR)")], QString("1.00×"));

    CompareView view;
    view.setRuns(runs, times);
    QCOMPARE(view.comparison()[1].speedup, 4.0);
    QVERIFY(view.timingNote().contains("not indicative of GPU speed"));
    view.setRuns(runs);  // no step times: no speedup rather than a wall-time ratio
    QVERIFY(!view.comparison()[1].speed_valid);
    QCOMPARE(comparisonCells(view.comparison()[1], false)[headers.indexOf("Speedup (IQR)")], QString("–"));
  }

  void noCaveatForGpuRuns() {
    RunRow gpu;
    gpu.device = "cuda:0 NVIDIA H200 (139.8 GiB, sm_90)";
    QVERIFY(comparisonTimingNote({gpu}).isEmpty());
    RunRow cpu;
    cpu.device = "cpu (1 threads)";
    QCOMPARE(comparisonTimingNote({gpu, cpu}),
             QString::fromUtf8("timings: CPU emulation of fp16/bf16/tf32 — not indicative of GPU speed"));
  }
};

QTEST_MAIN(TestComparison)
#include "test_comparison.moc"
