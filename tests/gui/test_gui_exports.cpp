// Every export writes a non-empty file that parses: plots as PNG / PDF / SVG, selected
// runs as CSV and JSON, and the comparison as a self-contained HTML report. The runs are
// written with the real RunWriter from hand-made records (no training needed).
#include <QtTest>

#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include "plots/metric_plot.hpp"
#include "plots/plot_panel.hpp"
#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "ui/compare_view.hpp"
#include "ui/main_window.hpp"
#include "ui/run_browser.hpp"

using namespace halflab;

namespace {
void writeRun(const QString& db, const std::string& mode, double acc, double wall_s) {
  RunWriter writer(db.toStdString());
  RunInfo info;
  info.name = "export test " + mode;
  info.precision_mode = mode;
  info.config_json = R"({"name":"export test"})";
  info.seed = 3;
  info.total_steps = 50;
  writer.onRunStarted(info);
  for (int s = 1; s <= 50; ++s) {
    StepRecord r;
    r.step = s;
    r.loss = 2.0 / s;
    r.wall_ms = s * 20.0;
    r.scale_before = 1024;
    r.scale_after = s == 10 ? 512 : 1024;
    r.found_inf = r.skipped = s == 10;
    r.samples_per_s = 500;
    r.step_time_ms = wall_s * 1000 / 50;  // the comparison's speedup reads step times
    writer.onStep(r);
  }
  EvalRecord e;
  e.step = 50;
  e.val_accuracy = acc;
  writer.onEval(e);
  HistogramRecord h;
  h.step = 50;
  h.tensor = "fc1.weight";
  h.kind = "grad";
  h.format = Format::FP16;
  h.bins.assign(57, 3);
  writer.onHistogram(h);
  RunSummary sum;
  sum.steps = 50;
  sum.final_val_accuracy = sum.best_val_accuracy = acc;
  sum.wall_time_s = wall_s;
  sum.skipped_steps = 1;
  sum.overflow_steps = 1;
  sum.peak_memory_bytes = 1 << 20;
  writer.onRunFinished(sum);
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}
}  // namespace

class TestGuiExports : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<MainWindow> window_;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HalfLabTest");
    QCoreApplication::setApplicationName("halflab-export-test");
    QSettings().clear();
    const QString db = dir_.filePath("runs.sqlite");
    writeRun(db, "fp32", 0.80, 10.0);
    writeRun(db, "fp16-amp", 0.81, 5.0);
    window_ = std::make_unique<MainWindow>(db, /*quiet=*/true);
    window_->resize(1400, 900);
    window_->show();
    QCOMPARE(window_->runBrowser()->listedCount(), 2);
    QList<qint64> ids;
    for (const auto& r : window_->runBrowser()->rows()) ids << r.id;
    window_->runBrowser()->selectRuns(ids);
    QCOMPARE(window_->plotPanel()->lossPlot()->traces().size(), 2);
  }

  void comparisonHasBaselineAndDeltas() {
    const auto rows = window_->compareView()->comparison();
    QCOMPARE(rows.size(), std::size_t(2));
    const int base = window_->compareView()->baseline();
    QCOMPARE(window_->compareView()->runs()[base].precision_mode, std::string("fp32"));
    const auto& other = rows[1 - base];
    QVERIFY(std::abs(other.speedup - 2.0) < 1e-9);
    QVERIFY(std::abs(other.d_final_acc - 0.01) < 1e-9);
    QCOMPARE(other.skipped_steps, std::int64_t(1));
  }

  void plotPng() {
    const QString path = dir_.filePath("loss.png");
    QCOMPARE(window_->exportPlot("loss", path), QString());
    const QByteArray bytes = readAll(path);
    QVERIFY(bytes.startsWith("\x89PNG\r\n\x1a\n"));
    QVERIFY(!QImage(path).isNull());
  }

  void plotPdf() {
    const QString path = dir_.filePath("scale.pdf");
    QCOMPARE(window_->exportPlot("scale", path), QString());
    QVERIFY(readAll(path).startsWith("%PDF"));
  }

  void plotSvg() {
    const QString path = dir_.filePath("hist.svg");
    QCOMPARE(window_->exportPlot("histogram", path), QString());
    QXmlStreamReader xml(readAll(path));
    bool saw_svg = false;
    int elements = 0;
    while (!xml.atEnd()) {
      if (xml.readNext() == QXmlStreamReader::StartElement) {
        ++elements;
        if (xml.name() == QLatin1String("svg")) saw_svg = true;
      }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(saw_svg);
    QVERIFY(elements > 10);
  }

  // A plot or report saved through a symlink (or hard link) to the open store must not
  // truncate it: the export is refused and the store's bytes are unchanged.
  void exportsRefuseTheStore() {
    const QString db = dir_.filePath("runs.sqlite");
    const QByteArray before = readAll(db);
    QVERIFY(!before.isEmpty());
    const QString png_link = dir_.filePath("store-link.png");
    QVERIFY(QFile::link(db, png_link));
    const QString html_link = dir_.filePath("store-link.html");
    QVERIFY(QFile::link(db, html_link));
    for (const QString& path : {png_link, html_link}) {
      const QString problem = window_->exportByPath(path);
      QVERIFY2(problem.contains("is the run store"), qPrintable(problem));
    }
    QVERIFY(window_->exportPlot("loss", png_link).contains("is the run store"));
    QCOMPARE(readAll(db), before);
  }

  void runsCsv() {
    const QString path = dir_.filePath("runs.csv");
    QCOMPARE(window_->exportByPath(path), QString());
    const QList<QByteArray> lines = readAll(path).trimmed().split('\n');
    QCOMPARE(lines.front().trimmed(), QByteArray("run,step,key,value,wall_time"));
    QVERIFY(lines.size() > 100);  // 2 runs x 50 steps x several keys
    for (const QByteArray& line : lines.mid(1, 20)) QCOMPARE(line.count(','), 4);
  }

  void runsJson() {
    const QString path = dir_.filePath("runs.json");
    QCOMPARE(window_->exportByPath(path), QString());
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(readAll(path), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QCOMPARE(doc.object()["runs"].toArray().size(), 2);
  }

  void htmlReport() {
    const QString path = dir_.filePath("report.html");
    QCOMPARE(window_->exportByPath(path), QString());
    const QString html = QString::fromUtf8(readAll(path));
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QVERIFY(html.contains("data:image/png;base64,"));
    QVERIFY(html.contains("Speedup"));
    QVERIFY(html.contains("2.00×"));
    QVERIFY(!html.contains("src=\"http"));  // self-contained
  }

  void badExportPathIsAnError() {
    QVERIFY(!window_->exportPlot("loss", "/nonexistent-dir/x.png").isEmpty());
    QVERIFY(window_->exportByPath(dir_.filePath("x.docx")).contains("docx"));
  }

  void browserEditsRuns() {
    RunBrowser* b = window_->runBrowser();
    const qint64 id = b->rows().front().id;
    QCOMPARE(b->renameRun(id, "renamed"), QString());
    QCOMPARE(b->setRunNote(id, "a note"), QString());
    QCOMPARE(b->addRunTag(id, "keep"), QString());
    const auto row = b->rowsFor({id}).front();
    QCOMPARE(row.name, std::string("renamed"));
    QCOMPARE(row.notes, std::string("a note"));
    QCOMPARE(row.tags, std::vector<std::string>{"keep"});
    QCOMPARE(b->deleteRuns({id}), QString());
    QCOMPARE(b->listedCount(), 1);
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestGuiExports)
#include "test_gui_exports.moc"
