// The Model panel: a preset's node list and the `model show` summary for the configured
// data; table edits applied as model.layers (the config panel then says "layers" and the run
// config stores the list); every bad row reported with its path and nothing applied; an image
// folder's sample shape read in the background on request.
#include <QtTest>

#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include "engine/train/model_fit.hpp"
#include "engine/train/model_summary.hpp"
#include "ui/config_panel.hpp"
#include "ui/main_window.hpp"
#include "ui/model_view.hpp"

using namespace halflab;

namespace {

RunConfig lenetConfig() {
  RunConfig cfg;
  cfg.dataset.kind = "fashion-mnist";
  cfg.model.preset = "lenet";
  cfg.model.hidden = {120, 84};
  return cfg;
}

int rowNamed(QTableWidget* t, const QString& name) {
  for (int r = 0; r < t->rowCount(); ++r)
    if (t->item(r, 0) && t->item(r, 0)->text() == name) return r;
  return -1;
}

}  // namespace

class TestGuiModelView : public QObject {
  Q_OBJECT
 private slots:
  void init() {
    QCoreApplication::setOrganizationName("HalfLabTest");
    QCoreApplication::setApplicationName("test_gui_model_view");
  }

  void presetShowsNodesAndSummary() {
    ModelView view;
    const RunConfig cfg = lenetConfig();
    view.showConfig(cfg);
    const ModelPlan plan = planModelFor(cfg, {1, 28, 28}, 10);
    const ModelSummary want = summarizeModel(cfg, plan);
    QCOMPARE(view.layerTable()->rowCount(), static_cast<int>(plan.layers.size()));
    for (int r = 0; r < view.layerTable()->rowCount(); ++r) {
      QCOMPARE(view.layerTable()->item(r, ModelView::kName)->text().toStdString(), plan.layers[r].name);
      QCOMPARE(view.layerTable()->item(r, ModelView::kOp)->text().toStdString(), plan.layers[r].node.op);
    }
    // One row per node plus the total; the columns carry every precision mode.
    QTableWidget* s = view.summaryTable();
    QCOMPARE(s->rowCount(), static_cast<int>(want.rows.size()) + 1);
    QCOMPARE(s->columnCount(), 6 + static_cast<int>(want.modes.size()));
    const int fc1 = rowNamed(s, "fc1");
    QVERIFY(fc1 >= 0);
    QCOMPARE(s->item(fc1, 3)->text(), QString("[120]"));
    QCOMPARE(s->item(fc1, 4)->text().toStdString(), summaryCountText(400.0 * 120 + 120));
    QCOMPARE(s->item(s->rowCount() - 1, 4)->text().toStdString(),
             summaryCountText(static_cast<double>(want.total.parameters)));
    QVERIFY2(view.statusText().contains("[1x28x28]"), qPrintable(view.statusText()));
    QVERIFY(!view.hasUnappliedEdits());
  }

  void badRowsAreReportedWithTheirPathAndNothingApplied() {
    ModelView view;
    view.showConfig(lenetConfig());
    QSignalSpy applied(&view, &ModelView::layersApplied);
    QTableWidget* t = view.layerTable();
    const int fc1 = rowNamed(t, "fc1");
    QVERIFY(fc1 >= 0);
    t->item(fc1, ModelView::kAttrs)->setText("{\"units\": 0}");
    QVERIFY(view.hasUnappliedEdits());
    const int flatten = rowNamed(t, "flatten");
    t->item(flatten, ModelView::kAttrs)->setText("{not json");
    QVERIFY(!view.applyEdits());
    QCOMPARE(applied.count(), 0);
    const QString status = view.statusText();
    QVERIFY2(status.contains(QString("model.layers[%1]: attributes are not JSON").arg(flatten)), qPrintable(status));
    QVERIFY2(status.contains(QString("model.layers[%1].units").arg(fc1)), qPrintable(status));
    // Another section changing keeps the unapplied edits; Revert brings the preset back.
    RunConfig other = lenetConfig();
    other.training.batch_size = 64;
    view.showConfig(other);
    QVERIFY(view.hasUnappliedEdits());
    QCOMPARE(t->item(fc1, ModelView::kAttrs)->text(), QString("{\"units\": 0}"));
    view.revertEdits();
    QVERIFY(!view.hasUnappliedEdits());
    QVERIFY(t->item(fc1, ModelView::kAttrs)->text().contains("120"));
  }

  void appliedEditsBecomeTheRunsLayerList() {
    const QTemporaryDir dir;
    MainWindow w(dir.filePath("store.sqlite"), true);
    w.configPanel()->setConfig(lenetConfig());
    ModelView* view = w.modelView();
    QTableWidget* t = view->layerTable();
    const int rows = t->rowCount();
    QVERIFY(rows > 5);
    // fc1 narrower, plus a residual branch: fc1b from the same input, joined by add.
    const int fc1 = rowNamed(t, "fc1");
    t->item(fc1, ModelView::kAttrs)->setText("{\"units\": 64}");
    t->setCurrentCell(fc1, 0);
    view->layerTable()->insertRow(fc1 + 1);
    t->setItem(fc1 + 1, ModelView::kName, new QTableWidgetItem("fc1b"));
    t->setItem(fc1 + 1, ModelView::kOp, new QTableWidgetItem("linear"));
    t->setItem(fc1 + 1, ModelView::kInputs, new QTableWidgetItem("flatten"));
    t->setItem(fc1 + 1, ModelView::kAttrs, new QTableWidgetItem("{\"units\": 64}"));
    t->insertRow(fc1 + 2);
    t->setItem(fc1 + 2, ModelView::kName, new QTableWidgetItem("join"));
    t->setItem(fc1 + 2, ModelView::kOp, new QTableWidgetItem("add"));
    t->setItem(fc1 + 2, ModelView::kInputs, new QTableWidgetItem("fc1, fc1b"));
    t->setItem(fc1 + 2, ModelView::kAttrs, new QTableWidgetItem(""));
    // The activation after fc1 now reads the join.
    const int act = rowNamed(t, "act_fc1");
    QVERIFY(act > fc1 + 2);
    QVERIFY(view->applyEdits());

    const RunConfig cfg = w.configPanel()->config();
    QCOMPARE(cfg.model.preset, std::string("layers"));
    QCOMPARE(static_cast<int>(cfg.model.layers.size()), rows + 2);
    QVERIFY(w.configPanel()->issues().empty());
    const auto preset_box = qobject_cast<QComboBox*>(w.configPanel()->fieldWidget("model.preset"));
    QCOMPARE(preset_box->currentText(), QString("layers"));
    // The stored config carries the list; the summary was recomputed for it.
    const nlohmann::json j = cfg.toJson();
    QCOMPARE(j["model"]["layers"].size(), static_cast<std::size_t>(rows + 2));
    QCOMPARE(t->rowCount(), rows + 2);
    const int join = rowNamed(view->summaryTable(), "join");
    QVERIFY(join >= 0);
    QCOMPARE(view->summaryTable()->item(join, 2)->text(), QString("fc1, fc1b"));
    QCOMPARE(view->summaryTable()->item(join, 3)->text(), QString("[64]"));
    QVERIFY(!view->hasUnappliedEdits());

    // Back to a preset: the layer list no longer counts.
    preset_box->setCurrentText("mlp");
    QVERIFY(w.configPanel()->config().model.layers.empty());
    QCOMPARE(view->layerTable()->item(0, ModelView::kOp)->text(), QString("flatten"));
  }

  void imageFolderShapeIsReadOnRequest() {
    const QTemporaryDir dir;
    for (const char* split : {"train", "test"})
      for (const char* cls : {"a", "b"}) {
        const QString d = QDir(dir.path()).filePath(QString("%1/%2").arg(split, cls));
        QVERIFY(QDir().mkpath(d));
        for (int i = 0; i < 3; ++i) {
          QImage img(12, 10, QImage::Format_RGB32);
          img.fill(QColor(20 * i, 100, 200));
          QVERIFY(img.save(QDir(d).filePath(QString("%1.png").arg(i)), "PNG"));
        }
      }
    RunConfig cfg = lenetConfig();
    cfg.model.preset = "mlp";
    cfg.dataset.kind = "image-folder";
    cfg.dataset.path = dir.path().toStdString();
    ModelView view;
    view.showConfig(cfg);
    QVERIFY(view.statusText().contains("Read data"));
    QCOMPARE(view.summaryTable()->rowCount(), 0);
    view.readDataShape();
    QTRY_VERIFY_WITH_TIMEOUT(view.summaryTable()->rowCount() > 0, 20000);
    QVERIFY2(view.statusText().contains("[3x10x12]"), qPrintable(view.statusText()));
    QVERIFY2(view.statusText().contains("2 classes"), qPrintable(view.statusText()));
  }
};

QTEST_MAIN(TestGuiModelView)
#include "test_gui_model_view.moc"
