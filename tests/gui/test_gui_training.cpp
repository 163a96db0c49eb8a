// The main window end to end: config validation next to the fields, a short real run
// through the worker thread (records in the store, points on the plots), A/B with the
// same seed, pause/stop, and clear errors for a bad dataset folder and a bad store.
#include <QtTest>

#include <QDockWidget>
#include <QLineEdit>
#include <QTabBar>
#include <QSpinBox>
#include <QTemporaryDir>

#include "plots/histogram_plot.hpp"
#include "plots/metric_plot.hpp"
#include "plots/plot_panel.hpp"
#include "plots/scale_plot.hpp"
#include "engine/train/trainer.hpp"
#include "storage/run_store.hpp"
#include "ui/compare_view.hpp"
#include "ui/config_panel.hpp"
#include "ui/latency_probe.hpp"
#include "ui/lessons_panel.hpp"
#include "ui/main_window.hpp"

#include <QSpinBox>
#include "ui/run_browser.hpp"

using namespace halflab;

namespace {
// The title of the dock in front of the bottom tab group (Comparison / Lessons).
QString frontDockTab(QMainWindow& w) {
  for (auto* bar : w.findChildren<QTabBar*>())
    for (int i = 0; i < bar->count(); ++i)
      if (bar->tabText(i) == "Lessons") return bar->tabText(bar->currentIndex());
  return {};
}

RunConfig spiralsConfig(std::int64_t steps) {
  RunConfig cfg;
  cfg.name = "gui test";
  cfg.dataset.kind = "spirals";
  cfg.dataset.synthetic_samples = 2000;
  cfg.model.preset = "mlp";
  cfg.model.hidden = {32, 32};
  cfg.precision.mode = PrecisionMode::FP16Amp;
  cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
  cfg.precision.scaler.growth_interval = 10;
  cfg.training.batch_size = 32;
  cfg.training.max_steps = steps;
  cfg.training.eval_every = 10;
  cfg.training.histogram_every = 5;
  cfg.training.seed = 7;
  return cfg;
}

void setText(ConfigPanel* panel, const QString& field, const QString& text) {
  auto* edit = qobject_cast<QLineEdit*>(panel->fieldWidget(field));
  QVERIFY2(edit, qPrintable(field));
  edit->setText(text);
  emit edit->textEdited(text);
}
}  // namespace

class TestGuiTraining : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString store() const { return dir_.filePath("runs.sqlite"); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HalfLabTest");
    QCoreApplication::setApplicationName("halflab-gui-test");
    QSettings().clear();
    QVERIFY(dir_.isValid());
  }

  void configShowsIssuesNextToFields() {
    ConfigPanel panel;
    QVERIFY(panel.validateAndShow());  // the first-launch default is valid
    QCOMPARE(panel.config().precision.mode, PrecisionMode::FP16Amp);
    QCOMPARE(panel.config().model.hidden, (std::vector<int>{256, 128}));
    setText(&panel, "optimizer.lr", "abc");
    setText(&panel, "precision.backoff_factor", "1.5");
    setText(&panel, "precision.init_scale", "-4");
    QVERIFY(!panel.validateAndShow());
    QVERIFY2(panel.shownIssue("optimizer.lr").contains("not a number"), qPrintable(panel.shownIssue("optimizer.lr")));
    QVERIFY(panel.shownIssue("precision.backoff_factor").contains("(0, 1)"));
    QVERIFY(!panel.shownIssue("precision.init_scale").isEmpty());
    QVERIFY(panel.shownIssue("training.batch_size").isEmpty());
    setText(&panel, "optimizer.lr", "0.01");
    QVERIFY(panel.shownIssue("optimizer.lr").isEmpty());
    QCOMPARE(panel.config().lr, 0.01);
    setText(&panel, "model.hidden", "64, x");
    QVERIFY(panel.shownIssue("model.hidden").contains("'x'"));
  }

  void configRoundTripsThroughThePanel() {
    ConfigPanel panel;
    RunConfig cfg = spiralsConfig(123);
    cfg.precision.scaler.hysteresis = 3;
    cfg.precision.scaler.min_scale = 2;
    panel.setConfig(cfg);
    const RunConfig back = panel.config();
    QCOMPARE(back.toJsonText(), cfg.toJsonText());
  }

  void shortRunThroughTheWorkerThread() {
    MainWindow window(store(), /*quiet=*/true);
    window.configPanel()->setConfig(spiralsConfig(40));
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QVERIFY(window.session()->busy());
    QVERIFY(finished.wait(120000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));

    const RunStore s = RunStore::open(store().toStdString(), StoreOpenMode::ReadOnly);
    const auto runs = s.listRuns();
    QCOMPARE(runs.size(), std::size_t(1));
    QCOMPARE(runs[0].status, RunStatus::Completed);
    QCOMPARE(s.metricSeries(runs[0].id, "loss").size(), std::size_t(40));
    QVERIFY(!s.histograms(runs[0].id).empty());

    // The stored run is selected and drawn; the live buffer reached the plots too.
    QCOMPARE(window.runBrowser()->selectedRunIds(), QList<qint64>{runs[0].id});
    auto* loss = window.plotPanel()->lossPlot();
    QVERIFY(loss->graphCount() >= 1);
    QCOMPARE(loss->graph(0)->dataCount(), 40);
    QVERIFY(window.plotPanel()->histogramPlot()->drawnBins() > 0);
    QVERIFY(window.latencyProbe()->samples() > 0);
    qInfo("latency during the test run: p50 %.2f ms p99 %.2f ms", window.latencyProbe()->p50(),
          window.latencyProbe()->p99());
  }

  void abRunsTwoModesWithTheSameSeed() {
    MainWindow window(store(), /*quiet=*/true);
    window.show();
    // The lessons tab in front (as after a lesson): the finished A/B brings the table up.
    if (auto* dock = qobject_cast<QDockWidget*>(window.lessonsPanel()->parentWidget())) dock->raise();
    QTRY_COMPARE(frontDockTab(window), QString("Lessons"));
    window.configPanel()->setConfig(spiralsConfig(30));
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    const auto before = RunStore::open(store().toStdString()).listRuns().size();
    window.abSeedsBox()->setValue(1);  // one pair (the seeds box defaults to 3)
    QVERIFY(window.startAB());
    QVERIFY(finished.wait(120000));
    const RunStore s = RunStore::open(store().toStdString(), StoreOpenMode::ReadOnly);
    const auto runs = s.listRuns();
    QCOMPARE(runs.size(), before + 2);
    // newest first: the low-precision arm ran second.
    QCOMPARE(runs[0].precision_mode, std::string("fp16-amp"));
    QCOMPARE(runs[1].precision_mode, std::string("fp32"));
    QCOMPARE(runs[0].seed, runs[1].seed);
    QCOMPARE(window.compareView()->runs().size(), std::size_t(2));
    QCOMPARE(window.compareView()->table()->rowCount(), 2);
    QCOMPARE(window.plotPanel()->scalePlot()->traces().size(), 2);
    QTRY_COMPARE(frontDockTab(window), QString("Comparison"));
  }

  void pauseAndStop() {
    MainWindow window(store(), /*quiet=*/true);
    RunConfig endless = spiralsConfig(0);
    endless.training.epochs = 100000;  // far longer than the test waits
    window.configPanel()->setConfig(endless);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->progress().step > 3, 60000);
    window.togglePause();
    QVERIFY(window.session()->paused());
    QTest::qWait(300);
    const auto paused_at = window.session()->progress().step;
    QTest::qWait(500);
    QVERIFY(window.session()->progress().step <= paused_at + 1);
    window.togglePause();
    QVERIFY(!window.session()->paused());
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->progress().step > paused_at + 2, 60000);
    window.stopRun();
    QVERIFY(finished.wait(60000));
    const RunStore s = RunStore::open(store().toStdString(), StoreOpenMode::ReadOnly);
    QCOMPARE(s.listRuns().front().status, RunStatus::Cancelled);
  }

  void badDatasetFolderIsAClearError() {
    MainWindow window(store(), /*quiet=*/true);
    RunConfig cfg = spiralsConfig(10);
    cfg.dataset.kind = "fashion-mnist";
    cfg.dataset.path = dir_.filePath("no-such-folder").toStdString();
    window.configPanel()->setConfig(cfg);
    QVERIFY(!window.startRun());
    QVERIFY2(window.lastError().contains("no-such-folder"), qPrintable(window.lastError()));
    QVERIFY(!window.session()->busy());
  }

  void corruptDatasetFileFailsTheRunNotTheApp() {
    QTemporaryDir data;
    for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                             "t10k-labels-idx1-ubyte"}) {
      QFile f(data.filePath(name));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("this is not an IDX file");
    }
    MainWindow window(store(), /*quiet=*/true);
    RunConfig cfg = spiralsConfig(10);
    cfg.dataset.kind = "fashion-mnist";
    cfg.dataset.path = data.path().toStdString();
    window.configPanel()->setConfig(cfg);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().contains("idx", Qt::CaseInsensitive), qPrintable(window.lastError()));
  }

  // "cuda" without a usable GPU fails the run with the reason (only "auto" falls back).
  void cudaWithoutGpuFailsTheRunNotTheApp() {
    RunConfig cfg = spiralsConfig(10);
    cfg.training.device = "cuda";
    if (unusableDeviceReason(cfg).empty()) QSKIP("a usable GPU is present: the run trains on it");
    MainWindow window(store(), /*quiet=*/true);
    window.configPanel()->setConfig(cfg);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().contains("training.device is cuda, but"), qPrintable(window.lastError()));
    QVERIFY(!window.session()->busy());
  }

  void unusableStoreIsReported() {
    const QString bad = dir_.filePath("not-a-db.sqlite");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'x'));
    f.close();
    MainWindow window(bad, /*quiet=*/true);
    QVERIFY2(window.lastError().contains("not-a-db.sqlite"), qPrintable(window.lastError()));
  }

  void abConfigsPairFp32WithLowPrecision() {
    RunConfig cfg = spiralsConfig(5);
    cfg.precision.mode = PrecisionMode::BF16Amp;
    const auto pair = MainWindow::abConfigs(cfg);
    QCOMPARE(pair.size(), std::size_t(2));
    QCOMPARE(pair[0].precision.mode, PrecisionMode::FP32);
    QCOMPARE(pair[1].precision.mode, PrecisionMode::BF16Amp);
    QCOMPARE(pair[0].training.seed, pair[1].training.seed);
    cfg.precision.mode = PrecisionMode::FP32;
    QCOMPARE(MainWindow::abConfigs(cfg)[1].precision.mode, PrecisionMode::FP16Amp);
  }
};

QTEST_MAIN(TestGuiTraining)
#include "test_gui_training.moc"
