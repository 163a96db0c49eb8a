// Every compiled-in lesson parses, validates, names a plot that exists, names in its text
// every field it and its reference run set, and shows its explanation; a broken lesson
// file is rejected with its name in the message; lessons draw loss from 0 and accuracy
// over 0..1.
#include <QtTest>

#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include "plots/metric_plot.hpp"
#include "plots/plot_panel.hpp"
#include "ui/config_panel.hpp"
#include "ui/lesson.hpp"
#include "ui/lessons_panel.hpp"
#include "ui/main_window.hpp"

using namespace halflab;

namespace {
// "/precision/mode" -> "precision.mode"
QString dotted(const std::string& pointer) { return QString::fromStdString(pointer).mid(1).replace('/', '.'); }

// The dotted names of the fields where two configs differ (the run name aside).
QStringList differingFields(const RunConfig& a, const RunConfig& b) {
  QStringList out;
  for (const auto& op : nlohmann::json::diff(a.toJson(), b.toJson())) {
    const QString field = dotted(op["path"].get<std::string>());
    if (field != "name") out << field;
  }
  return out;
}

// A lesson whose loss (2.30..2.34) and accuracy (0.04..0.05) barely move.
std::shared_ptr<RunTrace> flatTrace() {
  auto t = std::make_shared<RunTrace>();
  t->key = "flat";
  t->label = "flat";
  t->color = runColor(0);
  for (int s = 1; s <= 100; ++s) {
    StepRecord r;
    r.step = s;
    r.loss = 2.30 + 0.04 * (s % 2);
    t->add(r);
    if (s % 25 == 0) {
      EvalRecord e;
      e.step = s;
      e.val_accuracy = e.train_accuracy = 0.04 + 0.01 * (s % 50 == 0);
      t->add(e);
    }
  }
  return t;
}
}  // namespace

class TestGuiLessons : public QObject {
  Q_OBJECT
 private slots:
  void atLeastFiveLessonsLoadAndValidate() {
    QStringList errors;
    const auto lessons = loadLessons(QStringLiteral(":/lessons"), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join("\n")));
    QVERIFY(lessons.size() >= 5);
    PlotPanel panel;
    for (const Lesson& l : lessons) {
      const auto issues = l.config.validate();
      QVERIFY2(issues.empty(), qPrintable(l.id + ": " + QString::fromStdString(issues.empty() ? "" : issues[0].message)));
      QVERIFY2(panel.plot(l.watch) != nullptr, qPrintable(l.id + " watches unknown plot " + l.watch));
      QVERIFY(!l.explanation.isEmpty());
      // Short enough for a CPU: a step cap or a small training subset.
      QVERIFY2(l.config.training.max_steps > 0 && l.config.training.max_steps <= 2000, qPrintable(l.id));
    }
  }

  void lessonsReproduceTheRightSetups() {
    const auto lessons = loadLessons();
    auto find = [&](const QString& prefix) -> const Lesson& {
      for (const Lesson& l : lessons)
        if (l.id.startsWith(prefix)) return l;
      qFatal("missing lesson %s", qPrintable(prefix));
    };
    const Lesson& a = find("1_");
    QCOMPARE(a.config.precision.mode, PrecisionMode::FP16Amp);
    QCOMPARE(a.config.precision.scaler.flavour, ScalerFlavour::None);
    QVERIFY(a.config.training.loss_weight <= 1e-4);
    const Lesson& b = find("2_");
    QCOMPARE(b.config.precision.scaler.flavour, ScalerFlavour::Static);
    QCOMPARE(b.config.precision.scaler.init_scale, 16777216.0);
    const Lesson& c = find("3_");
    QCOMPARE(c.config.precision.scaler.flavour, ScalerFlavour::PyTorch);
    QCOMPARE(c.config.precision.scaler.growth_interval, 100);
    const Lesson& d = find("4_");
    QCOMPARE(d.config.precision.mode, PrecisionMode::FP16Pure);
    QCOMPARE(d.config.optimizer.kind, OptimizerKind::SGD);
    const Lesson& e = find("5_");
    QCOMPARE(e.config.precision.mode, PrecisionMode::BF16Amp);
    QCOMPARE(e.config.training.loss_weight, a.config.training.loss_weight);

    // Each reference changes one thing, the contrast the lesson is about.
    QCOMPARE(differingFields(a.config, *a.reference), QStringList{"precision.mode"});
    QCOMPARE(a.reference->precision.mode, PrecisionMode::FP32);
    QCOMPARE(differingFields(b.config, *b.reference), QStringList{"precision.scaler"});
    QCOMPARE(b.reference->precision.scaler.flavour, ScalerFlavour::PyTorch);
    QCOMPARE(c.reference->precision.mode, PrecisionMode::FP32);
    QCOMPARE(differingFields(d.config, *d.reference), QStringList{"precision.mode"});
    QCOMPARE(d.reference->precision.mode, PrecisionMode::FP16Amp);
    QCOMPARE(differingFields(e.config, *e.reference), QStringList{"precision.mode"});
    QCOMPARE(e.reference->precision.mode, PrecisionMode::FP16Amp);
  }

  // What a lesson changes is said in its text: every field its reference run changes,
  // and each precision / optimizer / loss-weight setting that is not the default.
  void everyChangedFieldIsNamed() {
    const RunConfig defaults;
    const QStringList watched{"precision.mode",     "precision.scaler", "precision.init_scale",
                              "precision.growth_interval", "optimizer.kind", "optimizer.lr",
                              "optimizer.eps",      "optimizer.momentum", "training.loss_weight"};
    for (const Lesson& l : loadLessons()) {
      QVERIFY2(l.reference, qPrintable(l.id));
      QStringList named = differingFields(l.config, *l.reference);
      for (const QString& f : differingFields(defaults, l.config))
        if (watched.contains(f)) named << f;
      for (const QString& f : named)
        QVERIFY2(l.explanation.contains("`" + f), qPrintable(l.id + " does not name " + f));
    }
    // Lessons 1 and 5 rely on a tiny Adam eps: they say why.
    for (const Lesson& l : loadLessons())
      if (l.config.optimizer.eps < 1e-12)
        QVERIFY2(l.explanation.contains("Adam") && l.explanation.contains("eps ="), qPrintable(l.id));
  }

  void lessonAxesStartAtZeroAndSpanZeroToOne() {
    PlotPanel panel;
    panel.resize(1200, 800);
    panel.setTraces({flatTrace()});
    HalflabPlot* loss = panel.plot("loss");
    HalflabPlot* acc = panel.plot("accuracy");
    QVERIFY(loss->yAxis->range().lower > 2.0);  // fitted: the flat loss fills the plot
    panel.setLessonAxes(true);
    QCOMPARE(loss->yAxis->range().lower, 0.0);
    QVERIFY(loss->yAxis->range().upper >= 2.34);
    QCOMPARE(acc->yAxis->range().lower, 0.0);
    QCOMPARE(acc->yAxis->range().upper, 1.0);
    panel.setLessonAxes(false);
    QVERIFY(loss->yAxis->range().lower > 2.0);

    // The main window turns them on for a lesson and off for a run of one's own.
    QTemporaryDir dir;
    MainWindow window(dir.filePath("runs.sqlite"), /*quiet=*/true);
    window.loadLesson(loadLessons().front(), /*run=*/false);
    QVERIFY(window.plotPanel()->lessonAxes());
    window.configPanel()->setConfig(window.configPanel()->config());
    RunConfig tiny = window.configPanel()->config();
    tiny.dataset.kind = "spirals";
    tiny.training.max_steps = 2;
    window.configPanel()->setConfig(tiny);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY(window.startRun());
    QVERIFY(!window.plotPanel()->lessonAxes());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
  }

  void lessonsTrainTheirReferenceAfterThem() {
    for (const Lesson& l : loadLessons()) {
      const auto configs = MainWindow::lessonConfigs(l);
      QCOMPARE(configs.size(), std::size_t(2));
      QCOMPARE(configs[0].toJsonText(), l.config.toJsonText());
      QCOMPARE(configs[1].toJsonText(), l.reference->toJsonText());
      QVERIFY(configs[0].name != configs[1].name);
    }
  }

  void panelShowsExplanation() {
    LessonsPanel panel;
    QVERIFY(panel.lessons().size() >= 5);
    panel.showLesson(1);
    QVERIFY(panel.shownMarkdown().contains(panel.lessons()[1].title));
  }

  void brokenLessonNamesTheFile() {
    try {
      parseLesson(R"({"title": "x", "explanation": "y", "config": {"training": {"batch_size": -3}}})", "bad.json");
      QFAIL("a bad config must be rejected");
    } catch (const std::exception& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains("bad.json") && msg.contains("batch_size"), qPrintable(msg));
    }
    try {
      parseLesson("{not json", "broken.json");
      QFAIL("invalid JSON must be rejected");
    } catch (const std::exception& e) {
      QVERIFY(QString(e.what()).contains("broken.json"));
    }
    try {  // the old A/B field, or any other misspelt one, is not silently ignored
      parseLesson(R"({"title": "x", "explanation": "y", "compare_mode": "fp32", "config": {}})", "old.json");
      QFAIL("an unknown field must be rejected");
    } catch (const std::exception& e) {
      QVERIFY2(QString(e.what()).contains("old.json") && QString(e.what()).contains("compare_mode"), e.what());
    }
    try {
      parseLesson(R"({"title": "x", "explanation": "y", "config": {}, "reference": {"precision": {"mode": "fp12"}}})",
                  "ref.json");
      QFAIL("a bad reference must be rejected");
    } catch (const std::exception& e) {
      QVERIFY2(QString(e.what()).contains("ref.json: reference") && QString(e.what()).contains("precision.mode"), e.what());
    }
  }
};

QTEST_MAIN(TestGuiLessons)
#include "test_gui_lessons.moc"
