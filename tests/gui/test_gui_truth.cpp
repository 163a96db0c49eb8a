// The workbench tells the truth (issue 9, item 11): a run keeps its colour for its whole
// life, the second A/B arm shows its real step total and ETA, the HTML report draws plots
// of tabs never opened, the export dialog honours the chosen type, legends never cover
// data, a run is listed (once) while it trains, accuracies never measured read "—", and a
// computed memory figure says it is an estimate.
#include <QtTest>

#include <QAction>
#include <QFileDialog>
#include <QImage>
#include <QLineEdit>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include "plots/histogram_plot.hpp"
#include "plots/metric_plot.hpp"
#include "plots/plot_panel.hpp"
#include "plots/run_palette.hpp"
#include "plots/scale_plot.hpp"
#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "ui/comparison.hpp"
#include "ui/config_panel.hpp"
#include "ui/main_window.hpp"

#include <QSpinBox>
#include "ui/run_browser.hpp"

using namespace halflab;

namespace {
RunConfig spiralsConfig(std::int64_t steps, PrecisionMode mode = PrecisionMode::FP16Amp) {
  RunConfig cfg;
  cfg.name = "truth test";
  cfg.dataset.kind = "spirals";
  cfg.dataset.synthetic_samples = 2000;
  cfg.model.preset = "mlp";
  cfg.model.hidden = {32, 32};
  cfg.precision.mode = mode;
  cfg.precision.scaler = defaultScalerConfig(defaultScalerFor(mode));
  cfg.training.batch_size = 32;
  cfg.training.epochs = 100000;  // max_steps ends it
  cfg.training.max_steps = steps;
  cfg.training.eval_every = 10;
  cfg.training.histogram_every = 5;
  cfg.training.seed = 7;
  return cfg;
}

// A finished run written with the real writer: `evals` evaluations, histograms in fp16.
qint64 writeRun(const QString& db, const std::string& name, const std::string& device, int evals) {
  RunWriter writer(db.toStdString());
  RunInfo info;
  info.name = name;
  info.precision_mode = "fp16-amp";
  info.config_json = R"({"name":"truth test"})";
  info.device = device;
  info.total_steps = 40;
  writer.onRunStarted(info);
  for (int s = 1; s <= 40; ++s) {
    StepRecord r;
    r.step = s;
    r.loss = 2.0 / s;
    r.wall_ms = s * 10.0;
    r.scale_before = r.scale_after = 1024;
    writer.onStep(r);
    if (s % 10 == 0 && s / 10 <= evals) {
      EvalRecord e;
      e.step = s;
      e.val_accuracy = 0.8;
      writer.onEval(e);
    }
  }
  HistogramRecord h;
  h.step = 40;
  h.tensor = "fc1.weight";
  h.kind = "grad";
  h.format = Format::FP16;
  h.bins.assign(57, 0);
  h.bins[20] = 400;
  h.bins[22] = 900;
  writer.onHistogram(h);
  RunSummary sum;
  sum.steps = 40;
  sum.final_val_accuracy = sum.best_val_accuracy = evals > 0 ? 0.8 : 0.0;
  sum.peak_memory_bytes = 3 << 20;
  sum.device = device;
  writer.onRunFinished(sum);
  writer.flush();
  return writer.runId();
}

// The colour of each drawn run on the loss plot, by legend label.
QMap<QString, QColor> colorsOnLossPlot(MainWindow& w) {
  QMap<QString, QColor> out;
  for (const auto& t : w.plotPanel()->lossPlot()->traces()) out[t->label] = t->color;
  return out;
}

// The label of a run whose legend text contains `part`.
QColor colorOf(const QMap<QString, QColor>& colors, const QString& part) {
  for (auto it = colors.begin(); it != colors.end(); ++it)
    if (it.key().contains(part)) return it.value();
  return {};
}

// Waits until the GUI shows a modal file dialog, then lets `drive` fill it in.
void whenFileDialogOpens(const std::function<void(QFileDialog*)>& drive) {
  auto* poll = new QTimer;
  poll->setInterval(20);
  QObject::connect(poll, &QTimer::timeout, [poll, drive] {
    if (auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget())) {
      poll->stop();
      poll->deleteLater();
      drive(dialog);
    }
  });
  poll->start();
}
}  // namespace

class TestGuiTruth : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  int stores_ = 0;
  QString freshStore() { return dir_.filePath(QStringLiteral("runs%1.sqlite").arg(++stores_)); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HalfLabTest");
    QCoreApplication::setApplicationName("halflab-truth-test");
    QSettings().clear();
    QVERIFY(dir_.isValid());
  }

  void paletteKeysColoursByIdentity() {
    RunPalette p;
    const auto first = p.assign({"live:1:0", "live:1:1"});
    QVERIFY(first[0] != first[1]);
    p.alias("7", "live:1:0");
    p.alias("8", "live:1:1");
    // The stored runs, listed in any order, keep the live runs' colours.
    const auto stored = p.assign({"8", "7"});
    QCOMPARE(stored[0], first[1]);
    QCOMPARE(stored[1], first[0]);
    // A new run shown beside them takes a third colour and repaints neither.
    const auto more = p.assign({"live:2:0", "7", "8"});
    QCOMPARE(more[1], first[0]);
    QCOMPARE(more[2], first[1]);
    QVERIFY(more[0] != first[0] && more[0] != first[1]);
  }

  // A/B: each arm keeps the colour it trained with once both are stored and shown; a
  // new run started beside them does not repaint them.
  void aRunKeepsItsColourForItsWholeLife() {
    MainWindow window(freshStore(), /*quiet=*/true);
    window.show();
    window.configPanel()->setConfig(spiralsConfig(30));
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    window.abSeedsBox()->setValue(1);  // one pair (the seeds box defaults to 3)
    QVERIFY(window.startAB());
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->traces().size() == 2, 60000);
    const auto live = window.session()->traces();
    const QColor fp32_live = live[0]->color, low_live = live[1]->color;
    QVERIFY(fp32_live != low_live);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const auto stored = colorsOnLossPlot(window);
    QCOMPARE(stored.size(), 2);
    QCOMPARE(colorOf(stored, "[fp32]"), fp32_live);
    QCOMPARE(colorOf(stored, "[fp16-amp]"), low_live);

    // A new run while the stored pair stays selected: their colours stand.
    RunConfig next = spiralsConfig(200000);  // stopped long before (a cap keeps a failure short)
    next.name = "third run";
    window.configPanel()->setConfig(next);
    QVERIFY(window.startRun());
    QTRY_VERIFY_WITH_TIMEOUT(colorsOnLossPlot(window).size() == 3, 60000);
    const auto three = colorsOnLossPlot(window);
    QCOMPARE(colorOf(three, "[fp32]"), fp32_live);
    QCOMPARE(colorOf(three, "[fp16-amp]"), low_live);
    const QColor third = colorOf(three, "third run");
    QVERIFY(third.isValid() && third != fp32_live && third != low_live);
    window.stopRun();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
    // Stored now, it is still the colour it trained with.
    window.runBrowser()->selectRuns({window.runBrowser()->rows().front().id});
    QCOMPARE(colorOf(colorsOnLossPlot(window), "third run"), third);
  }

  // The worst case for the second arm: the GUI thread is busy while the first arm ends
  // and the second starts, so both notices and the second run's start record arrive
  // together. The progress must still show the second run's own step total and an ETA.
  void secondArmShowsItsStepTotalAndEta() {
    const QString db = freshStore();
    MainWindow window(db, /*quiet=*/true);
    RunConfig first = spiralsConfig(20, PrecisionMode::FP32);
    first.name = "first arm";
    RunConfig second = spiralsConfig(200000);
    second.name = "second arm";
    window.configPanel()->setConfig(first);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startConfigs({first, second}, true));
    // Block the GUI thread (no events) until the store lists the second run: its start
    // record is in the GUI's buffer by then (the buffer hears every record first).
    for (int i = 0; i < 3000; ++i) {
      if (RunStore::open(db.toStdString(), StoreOpenMode::ReadOnly).listRuns().size() >= 2) break;
      QThread::msleep(10);
    }
    QCOMPARE(RunStore::open(db.toStdString(), StoreOpenMode::ReadOnly).listRuns().size(), std::size_t(2));
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->progress().job == 1 && window.session()->progress().step > 50, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->progress().eta_s > 0, 10000);
    QCOMPARE(window.session()->progress().total_steps, std::int64_t(200000));
    QCOMPARE(window.session()->progress().jobs, 2);
    window.stopRun();
    QVERIFY(finished.wait(60000));
  }

  // The report embeds the gradient histogram although the Gradients tab was never shown.
  void reportDrawsPlotsOfTabsNeverOpened() {
    const QString db = freshStore();
    const qint64 id = writeRun(db, "report run", "cpu (2 threads)", 2);
    MainWindow window(db, /*quiet=*/true);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.runBrowser()->selectRuns({id});
    QVERIFY(!window.plotPanel()->histogramPlot()->isVisible());  // the Overview tab is in front
    const QString path = dir_.filePath("report.html");
    QCOMPARE(window.exportReport(path), QString());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString html = QString::fromUtf8(f.readAll());
    const QRegularExpression image_of_histogram(
        QStringLiteral("<img alt=\"Gradient magnitudes[^\"]*\" src=\"data:image/png;base64,([^\"]+)\""));
    const auto match = image_of_histogram.match(html);
    QVERIFY2(match.hasMatch(), "the report has no gradient histogram image");
    const QImage image = QImage::fromData(QByteArray::fromBase64(match.captured(1).toLatin1()), "PNG");
    QVERIFY(!image.isNull());
    // The bars are filled with the run's colour.
    const QColor bar = window.plotPanel()->histogramPlot()->traces().front()->color;
    int bar_pixels = 0;
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x) bar_pixels += QColor(image.pixel(x, y)) == bar;
    QVERIFY2(bar_pixels > 200, qPrintable(QString("%1 pixels of the bars' colour").arg(bar_pixels)));
  }

  // "plot" with the SVG type chosen becomes plot.svg, an SVG file.
  void exportDialogHonoursTheChosenType() {
    const QString db = freshStore();
    writeRun(db, "dialog run", "cpu (2 threads)", 1);
    MainWindow window(db, /*quiet=*/true);
    window.show();
    QAction* action = nullptr;
    for (QAction* a : window.findChildren<QAction*>())
      if (a->text().startsWith("&Export")) action = a;
    QVERIFY(action);
    const QString typed = dir_.filePath("exported-plot");
    bool driven = false;
    whenFileDialogOpens([&](QFileDialog* dialog) {
      dialog->selectNameFilter("Current plot as SVG (*.svg)");
      // Typed into the name field (selectFile() leaves the field alone once it has focus).
      auto* name = dialog->findChild<QLineEdit*>("fileNameEdit");
      QVERIFY(name);
      name->setText(typed);
      driven = true;
      static_cast<QDialog*>(dialog)->accept();  // QDialog::accept is public
    });
    action->trigger();  // returns when the dialog closed and the export ran
    QVERIFY(driven);
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QVERIFY(!QFileInfo::exists(typed));
    QFile svg(typed + ".svg");
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QVERIFY(svg.readAll().contains("<svg"));
  }

  // No legend lies over the data of any plot, even when the data fill the whole area.
  void legendsNeverCoverData() {
    auto trace = std::make_shared<RunTrace>();
    trace->key = "saw";
    trace->label = "a saw-tooth filling the whole plot with a long legend label";
    trace->color = runColor(0);
    for (int s = 1; s <= 400; ++s) {
      StepRecord r;
      r.step = s;
      r.loss = s % 2 ? 0.1 : 2.5;  // a line through every corner
      r.scale_before = s % 2 ? 16777216.0 : 2.0;
      r.scale_after = s % 2 ? 2.0 : 16777216.0;
      r.found_inf = r.skipped = s % 2 == 1;
      r.samples_per_s = s % 2 ? 10 : 1000;
      trace->add(r);
      if (s % 4 == 0) {
        EvalRecord e;
        e.step = s;
        e.val_accuracy = s % 8 ? 0.05 : 0.95;
        e.train_accuracy = s % 8 ? 0.95 : 0.05;
        trace->add(e);
      }
    }
    PlotPanel panel;
    panel.resize(1300, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.setTraces({trace});
    for (const char* id : {"loss", "accuracy", "scale", "throughput"}) {
      HalflabPlot* plot = panel.plot(id);
      plot->replot();
      QVERIFY2(plot->legend->visible() && plot->legend->itemCount() > 0, id);
      const QRect legend = plot->legend->outerRect();
      QVERIFY2(!legend.intersects(plot->axisRect()->rect()), id);
      for (int g = 0; g < plot->graphCount(); ++g)
        for (auto it = plot->graph(g)->data()->constBegin(); it != plot->graph(g)->data()->constEnd(); ++it) {
          const QPointF p = plot->graph(g)->coordsToPixels(it->key, it->value);
          QVERIFY2(!legend.contains(p.toPoint()), qPrintable(QString("%1: point at step %2 under the legend").arg(id).arg(it->key)));
        }
    }
    // The scale plot names an unscaled (FP32) run instead of flattening the saw-tooth.
    auto fp32 = std::make_shared<RunTrace>();
    fp32->key = "fp32";
    fp32->label = "fp32 run";
    for (int s = 1; s <= 50; ++s) {
      StepRecord r;
      r.step = s;
      fp32->add(r);
    }
    panel.setTraces({trace, fp32});
    ScalePlot* scale = panel.scalePlot();
    QVERIFY(scale->yAxis->range().lower > 1.0);  // 2^0 is not part of the range
    bool named = false;
    for (int i = 0; i < scale->legend->itemCount(); ++i)
      if (auto* item = qobject_cast<QCPPlottableLegendItem*>(scale->legend->item(i)))
        named = named || item->plottable()->name().contains("fp32 run (no loss scale");
    QVERIFY(named);
  }

  // A run is listed while it trains, and selecting it does not draw it twice.
  void aTrainingRunIsListedOnce() {
    MainWindow window(freshStore(), /*quiet=*/true);
    RunConfig long_run = spiralsConfig(200000);  // stopped long before
    long_run.name = "listed while training";
    window.configPanel()->setConfig(long_run);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QTRY_COMPARE_WITH_TIMEOUT(window.runBrowser()->listedCount(), 1, 30000);
    const qint64 id = window.runBrowser()->rows().front().id;
    QCOMPARE(window.runBrowser()->cellText(id, "Status"), QString("running"));
    QTRY_VERIFY_WITH_TIMEOUT(window.storeIdOf(window.session()->traces().front()->key) == id, 10000);
    window.runBrowser()->selectRuns({id});
    QCOMPARE(window.plotPanel()->lossPlot()->traces().size(), 1);
    window.stopRun();
    QVERIFY(finished.wait(60000));
    QCOMPARE(window.runBrowser()->listedCount(), 1);
    QCOMPARE(window.plotPanel()->lossPlot()->traces().size(), 1);
  }

  void accuracyNeverMeasuredReadsDash() {
    const QString db = freshStore();
    const qint64 none = writeRun(db, "never evaluated", "cpu (2 threads)", 0);
    const qint64 some = writeRun(db, "evaluated", "cpu (2 threads)", 2);
    RunBrowser browser;
    browser.setStorePath(db);
    QCOMPARE(browser.cellText(none, "Final acc"), QString("—"));
    QCOMPARE(browser.cellText(none, "Best acc"), QString("—"));
    QCOMPARE(browser.cellText(some, "Final acc"), QString("80.00 %"));
  }

  void computedMemoryIsLabelledAnEstimate() {
    const QString db = freshStore();
    const qint64 cpu = writeRun(db, "cpu run", "cpu (2 threads)", 1);
    const qint64 gpu = writeRun(db, "gpu run", "NVIDIA H200", 1);
    const RunStore store = RunStore::open(db.toStdString(), StoreOpenMode::ReadOnly);
    const auto rows = buildComparison({store.run(cpu), store.run(gpu)}, 0, {});
    const int memory = comparisonHeaders().indexOf("Peak memory (MiB)");
    QVERIFY(memory >= 0);
    QCOMPARE(comparisonCells(rows[0], true)[memory], QString("3.00 (estimate)"));
    QCOMPARE(comparisonCells(rows[1], false)[memory], QString("3.00"));
  }
};

QTEST_MAIN(TestGuiTruth)
#include "test_gui_truth.moc"
