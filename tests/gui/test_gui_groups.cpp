// Seed groups in the GUI: the A/B seeds box, group-by in the run browser, the Groups view
// (mean curves with min–max / ±1 sd bands, final accuracy with 95 % error bars) and the
// verdicts under the comparison table. Stores are written with the real RunWriter from
// hand-made records whose accuracies are the SciPy-checked samples of test_sample_stats.
#include <QtTest>

#include <QComboBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>

#include "plots/group_band_plot.hpp"
#include "plots/param_plot.hpp"
#include "storage/run_writer.hpp"
#include "ui/compare_view.hpp"
#include "ui/group_view.hpp"
#include "ui/main_window.hpp"
#include "ui/run_browser.hpp"
#include "ui/config_panel.hpp"
#include "ui/sweep_dialog.hpp"

using namespace halflab;

namespace {

const std::vector<double> kFp32{0.8512, 0.8467, 0.8558, 0.8493, 0.8531};
const std::vector<double> kBf16{0.8391, 0.8422, 0.8367, 0.8405, 0.8380};

void writeRuns(const QString& db) {
  RunWriter w(db.toStdString());
  for (const auto& [mode, accs] : {std::pair{std::string("fp32"), kFp32}, std::pair{std::string("bf16-amp"), kBf16}}) {
    for (std::size_t s = 0; s < accs.size(); ++s) {
      RunInfo info;
      info.name = mode + " seed " + std::to_string(s + 1);
      info.precision_mode = mode;
      info.seed = s + 1;
      info.device = "cpu (1 threads)";
      info.total_steps = 100;
      info.config_json = R"({"precision":{"mode":")" + mode + R"("},"training":{"seed":)" + std::to_string(s + 1) + "}}";
      w.onRunStarted(info);
      for (int step = 1; step <= 100; ++step) {
        StepRecord r;
        r.step = step;
        r.loss = 1.0 / step + 0.01 * static_cast<double>(s);
        r.step_time_ms = 2.0;
        w.onStep(r);
        if (step % 25 == 0) {
          EvalRecord e;
          e.step = step;
          e.val_accuracy = accs[s] * step / 100.0;
          w.onEval(e);
        }
      }
      RunSummary sum;
      sum.steps = 100;
      sum.final_val_accuracy = sum.best_val_accuracy = accs[s];
      sum.final_loss = 0.01;
      w.onRunFinished(sum);
    }
  }
}

}  // namespace

class TestGuiGroups : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;

 private slots:
  void abSeedsBoxMakesPairsPerSeed() {
    RunConfig cfg;
    cfg.training.seed = 7;
    cfg.precision.mode = PrecisionMode::BF16Amp;
    const auto configs = MainWindow::abConfigs(cfg, 3);
    QCOMPARE(configs.size(), std::size_t{6});
    for (int i = 0; i < 3; ++i) {
      QCOMPARE(configs[2 * i].precision.mode, PrecisionMode::FP32);
      QCOMPARE(configs[2 * i + 1].precision.mode, PrecisionMode::BF16Amp);
      QCOMPARE(configs[2 * i].training.seed, std::uint64_t(7 + i));
      QCOMPARE(configs[2 * i + 1].training.seed, std::uint64_t(7 + i));
    }
    MainWindow window(dir_.filePath("empty.sqlite"), true);
    QCOMPARE(window.abSeedsBox()->value(), 3);  // the default
  }

  void groupsBandsAndVerdicts() {
    const QString db = dir_.filePath("groups.sqlite");
    writeRuns(db);
    MainWindow window(db, true);
    window.show();
    RunBrowser* browser = window.runBrowser();
    QCOMPARE(browser->listedCount(), 10);
    QList<qint64> ids;
    for (const RunRow& r : browser->allRows()) ids << r.id;
    browser->selectRuns(ids);

    GroupView* gv = window.groupView();
    QCOMPARE(gv->groups().size(), std::size_t{2});
    // SciPy: difference -1.192 pt, 95 % half width 0.437 pt, Welch p = 0.00041.
    QCOMPARE(gv->verdicts(),
             QStringList{"bf16-amp vs fp32: -1.19 ± 0.44 pt accuracy, significantly lower (p < 0.001) at n = 5; "
                         "speedup 1.00x (median over seeds)"});
    QCOMPARE(window.compareView()->verdicts(), gv->verdicts());

    // Bands: 3 graphs per group (low, high filled to low, mean); min–max, then ±1 sd.
    GroupBandPlot* band = gv->bandPlot();
    QCOMPARE(band->graphCount(), 6);
    const GroupBand minmax = groupBand(band->groups()[0], GroupCurve::ValAccuracy, BandKind::MinMax);
    QCOMPARE(minmax.key.size(), 4);
    QCOMPARE(minmax.high.back(), 0.8558);
    QCOMPARE(minmax.low.back(), 0.8467);
    QVERIFY(qAbs(minmax.mean.back() - 0.85122) < 1e-12);
    gv->bandBox()->setCurrentIndex(1);
    QCOMPARE(band->band(), BandKind::StdDev);
    const GroupBand sd = groupBand(band->groups()[0], GroupCurve::ValAccuracy, BandKind::StdDev);
    QVERIFY(qAbs(sd.high.back() - (0.85122 + 0.0034866889737973348)) < 1e-12);  // SciPy's sd
    QVERIFY(band->graph(2)->name().startsWith("fp32 (n = 5"));

    // Final accuracy per group with 95 % error bars (no numeric swept key: x = group).
    ParamPlot* pp = gv->paramPlot();
    QCOMPARE(pp->lines().size(), std::size_t{1});
    QCOMPARE(pp->lines()[0].mean.size(), 2);
    QVERIFY(qAbs(pp->lines()[0].error[0] - 100 * (0.85554929617169817 - 0.85122)) < 1e-9);

    // The HTML report carries the groups' intervals and the verdict.
    const QString html_path = dir_.filePath("report.html");
    QCOMPARE(window.exportReport(html_path), QString());
    QFile html(html_path);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(html.readAll());
    QVERIFY(text.contains("Seed groups"));
    QVERIFY(text.contains(QString::fromUtf8("<td>85.12 ± 0.43</td>")));
    QVERIFY(text.contains(QString::fromUtf8("bf16-amp vs fp32: -1.19 ± 0.44 pt accuracy, significantly lower")));

    // Group-by in the browser: two group rows with their runs; a group selects its runs.
    browser->setGrouped(true);
    auto* tree = browser->findChild<QTreeWidget*>();
    QVERIFY(tree);
    QCOMPARE(tree->topLevelItemCount(), 2);
    QCOMPARE(tree->topLevelItem(0)->childCount(), 5);
    QVERIFY2(tree->topLevelItem(0)->text(4).contains(QString::fromUtf8("85.12 ± 0.43 %")) ||
                 tree->topLevelItem(1)->text(4).contains(QString::fromUtf8("85.12 ± 0.43 %")),
             qPrintable(tree->topLevelItem(0)->text(4)));
    tree->clearSelection();
    tree->topLevelItem(1)->setSelected(true);
    QCOMPARE(browser->selectedRunIds().size(), 5);
    QCOMPARE(browser->cellText(ids.front(), "Mode"), QString::fromStdString(browser->allRows().front().precision_mode));
  }

  // The sweep dialog runs `halflab-cli sweep` from the current config and shows progress;
  // the finished sweep is selected and grouped.
  void sweepDialogRunsASweep() {
    const QString db = dir_.filePath("sweep.sqlite");
    MainWindow window(db, true);
    RunConfig cfg;
    cfg.dataset.kind = "spirals";
    cfg.training.max_steps = 60;
    cfg.training.seed = 3;
    window.configPanel()->setConfig(cfg);
    SweepDialog* dialog = window.openSweepDialog();
    QVERIFY(dialog);
    dialog->setCliPath(HALFLAB_CLI_PATH);
    dialog->gridEdit()->setPlainText("precision.mode=fp32,bf16-amp");
    dialog->seedsBox()->setValue(2);
    dialog->workersBox()->setValue(2);
    QSignalSpy finished(dialog, &SweepDialog::sweepFinished);
    QCOMPARE(dialog->start(), QString());
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.front().at(0).toInt() == 0, qPrintable(dialog->log()));
    QVERIFY(dialog->sweepId().startsWith("sw-"));
    QCOMPARE(dialog->progressBar()->value(), 4);
    QCOMPARE(dialog->progressBar()->maximum(), 4);
    QCOMPARE(window.runBrowser()->selectedRunIds().size(), 4);
    QVERIFY(window.runBrowser()->grouped());
    QCOMPARE(window.groupView()->groups().size(), std::size_t{2});
    for (const RunRow& r : window.runBrowser()->allRows()) {
      QCOMPARE(QString::fromStdString(r.sweep_id), dialog->sweepId());
      QVERIFY(r.seed == 3 || r.seed == 4);
    }
    QCOMPARE(window.groupView()->verdicts().size(), 1);
    QVERIFY(window.groupView()->verdicts().front().startsWith("bf16-amp vs fp32: "));
  }
};

QTEST_MAIN(TestGuiGroups)
#include "test_gui_groups.moc"
