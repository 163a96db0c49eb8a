// Plot widgets fed with hand-made records: smoothing, overflow markers and their
// read-out, histogram zones, the colour map, and the replot benchmark.
#include <QtTest>

#include <cmath>

#include "plots/histogram_plot.hpp"
#include "plots/metric_plot.hpp"
#include "plots/plot_panel.hpp"
#include "plots/replot_benchmark.hpp"
#include "plots/scale_plot.hpp"
#include "plots/smoothing.hpp"

using namespace halflab;

namespace {
std::shared_ptr<RunTrace> makeTrace(int steps, const QList<int>& overflow_steps) {
  auto t = std::make_shared<RunTrace>();
  t->key = "t";
  t->label = "hand-made";
  t->color = runColor(0);
  double scale = 65536;
  for (int s = 1; s <= steps; ++s) {
    StepRecord r;
    r.step = s;
    r.loss = 2.0 / s;
    r.wall_ms = s * 10.0;
    r.scale_before = scale;
    r.found_inf = overflow_steps.contains(s);
    r.skipped = r.found_inf;
    if (r.found_inf) scale /= 2;
    r.scale_after = scale;
    r.samples_per_s = 1000;
    r.grad_elements = 100;
    r.underflow = 10;
    t->add(r);
    if (s % 10 == 0) {
      HistogramRecord h;
      h.step = s;
      h.tensor = "fc1.weight";
      h.kind = "grad";
      h.format = Format::FP16;
      h.min_exp = -40;
      h.max_exp = 16;
      h.bins.assign(57, 0);
      h.bins[20] = 5;  // 2^-20: subnormal in fp16
      h.bins[30] = 50;
      h.zeros = 700;
      h.infs = 2;
      h.nans = 1;
      t->add(h);
      EvalRecord e;
      e.step = s;
      e.val_accuracy = 0.5 + s / 1000.0;
      e.train_accuracy = 0.5;
      t->add(e);
    }
  }
  return t;
}
}  // namespace

class TestGuiPlots : public QObject {
  Q_OBJECT
 private slots:
  void debiasedEmaMatchesTensorBoard() {
    const QVector<double> raw{4, 4, 4, 4};
    const auto flat = debiasedEma(raw, 0.9);
    for (double v : flat) QCOMPARE(v, 4.0);  // debiasing: no pull towards 0 at the start
    const auto s = debiasedEma({1, 3}, 0.5);
    QCOMPARE(s[0], 1.0);
    // last = 0.5*0.5*1 + 0.5*3 = 1.75, debias = 1 - 0.25 = 0.75
    QVERIFY(std::abs(s[1] - 1.75 / 0.75) < 1e-12);
    const auto with_nan = debiasedEma({1, NAN, 1}, 0.5);
    QVERIFY(std::isnan(with_nan[1]));
    QCOMPARE(with_nan[2], 1.0);
  }

  void lossPlotDrawsRawAndSmoothed() {
    std::unique_ptr<MetricPlot> plot(makeLossPlot());
    plot->resize(600, 400);
    plot->setTraces({makeTrace(100, {})});
    QCOMPARE(plot->graphCount(), 2);  // faint raw + smoothed
    QCOMPARE(plot->graph(0)->dataCount(), 100);
    QVERIFY(plot->graph(0)->pen().color().alpha() < 100);
    plot->setSmoothing(0.0);
    QCOMPARE(plot->graphCount(), 1);
    plot->setXAxisMode(XAxisMode::WallTime);
    QCOMPARE(plot->graph(0)->data()->at(0)->key, 0.01);
    plot->setLogY(true);
    QCOMPARE(plot->yAxis->scaleType(), QCPAxis::stLogarithmic);
  }

  void scalePlotMarksEveryOverflowWithReadout() {
    ScalePlot plot;
    plot.resize(700, 400);
    plot.setTraces({makeTrace(50, {5, 6, 30})});
    plot.replot();
    QCOMPARE(plot.graphCount(), 2);
    QCOMPARE(plot.graph(1)->dataCount(), 3);
    QCOMPARE(plot.yAxis->scaleType(), QCPAxis::stLogarithmic);
    const QPointF marker = plot.graph(1)->coordsToPixels(30, 16384);
    const QString text = plot.readoutAt(marker);
    QVERIFY2(text.contains("overflow at step 30"), qPrintable(text));
    QVERIFY2(text.contains("2^14 → 2^13"), qPrintable(text));
  }

  void histogramShadesFormatZones() {
    HistogramPlot plot;
    plot.resize(700, 400);
    plot.setTraces({makeTrace(30, {})});
    QCOMPARE(plot.drawnBins(), 2);
    QVERIFY(plot.itemCount() >= 4);  // underflow, subnormal, normal, overflow zones
    plot.replot();
    const QString text = plot.readoutAt(QPointF(plot.xAxis->coordToPixel(-20 + 0.5), 200));
    QVERIFY2(text.contains("5 elements"), qPrintable(text));

    // Exact zeros and inf/NaN have bars (and rows) of their own.
    const QString zeros = plot.readoutAt(QPointF(plot.xAxis->coordToPixel(-41.5), 200));
    QVERIFY2(zeros.contains("exactly 0") && zeros.contains("700 elements"), qPrintable(zeros));
    const QString bad = plot.readoutAt(QPointF(plot.xAxis->coordToPixel(18.5), 200));
    QVERIFY2(bad.contains("2 inf, 1 NaN"), qPrintable(bad));

    HistogramMapPlot map;
    map.resize(700, 400);
    map.setTraces({makeTrace(30, {})});
    map.replot();
    QCOMPARE(map.columns(), 3);
    QVERIFY(map.yAxis->range().lower <= -44.0 && map.yAxis->range().upper >= 21.0);
    const QString zero_row = map.readoutAt(QPointF(map.xAxis->coordToPixel(20), map.yAxis->coordToPixel(-42.5)));
    QVERIFY2(zero_row.contains("exactly 0") && zero_row.contains("700 elements"), qPrintable(zero_row));
    const QString top_row = map.readoutAt(QPointF(map.xAxis->coordToPixel(20), map.yAxis->coordToPixel(19.5)));
    QVERIFY2(top_row.contains("inf / NaN") && top_row.contains("3 elements"), qPrintable(top_row));
  }

  void panelOffersTensorsAndAllPlots() {
    PlotPanel panel;
    panel.resize(1200, 800);
    auto trace = makeTrace(20, {3});
    panel.setTraces({trace});
    QCOMPARE(panel.tensor(), QString("fc1.weight"));
    QCOMPARE(panel.plots().size(), 7);
    for (auto& [id, p] : panel.plots()) QVERIFY2(panel.plot(id) == p, qPrintable(id));
    // Live growth: new records show after refresh() — at once, or a few ms later when the
    // throttle defers it right after the previous rebuild.
    StepRecord r;
    r.step = 21;
    r.scale_before = r.scale_after = 1;
    trace->add(r);
    panel.refresh();
    QTRY_COMPARE_WITH_TIMEOUT(panel.lossPlot()->graph(0)->dataCount(), 21, 2000);
  }

  void replotBenchmarkPrints() {
    const ReplotBenchmark b = runReplotBenchmark(10, 100000, 5);
    qInfo().noquote() << b.describe() << "(target <= 16 ms)";
    QCOMPARE(b.runs, 10);
    QVERIFY(b.mean_ms > 0);
  }
};

QTEST_MAIN(TestGuiPlots)
#include "test_gui_plots.moc"
