// Every compiled-in lesson parses, validates, names a plot that exists, and shows its
// explanation; a broken lesson file is rejected with its name in the message.
#include <QtTest>

#include "plots/plot_panel.hpp"
#include "ui/lesson.hpp"
#include "ui/lessons_panel.hpp"

using namespace halflab;

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
    QCOMPARE(d.compare_mode, QString("fp16-amp"));
    const Lesson& e = find("5_");
    QCOMPARE(e.config.precision.mode, PrecisionMode::BF16Amp);
    QCOMPARE(e.config.training.loss_weight, a.config.training.loss_weight);
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
  }
};

QTEST_MAIN(TestGuiLessons)
#include "test_gui_lessons.moc"
