// Learning-rate schedules at chosen applied-step indices, values worked out by hand.
#include <QtTest>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "engine/optim/lr_schedule.hpp"

using namespace halflab;

namespace {

bool near(double got, double want) { return std::abs(got - want) <= 1e-12 * std::max(1.0, std::abs(want)); }

#define CHECK_LR(got, want)                                                          \
  QVERIFY2(near((got), (want)), qPrintable(QString("%1 = %2, expected %3")          \
                                               .arg(#got)                            \
                                               .arg(double(got), 0, 'g', 15)         \
                                               .arg(double(want), 0, 'g', 15)))

ScheduleConfig schedule(ScheduleKind kind, std::int64_t warmup = 0) {
  ScheduleConfig c;
  c.kind = kind;
  c.warmup_steps = warmup;
  return c;
}

}  // namespace

class TestLrSchedule : public QObject {
  Q_OBJECT

 private slots:
  void namesRoundTrip() {
    QCOMPARE(std::string(scheduleKindName(ScheduleKind::Constant)), std::string("constant"));
    QCOMPARE(std::string(scheduleKindName(ScheduleKind::Step)), std::string("step"));
    QCOMPARE(std::string(scheduleKindName(ScheduleKind::Cosine)), std::string("cosine"));
    for (auto k : {ScheduleKind::Constant, ScheduleKind::Step, ScheduleKind::Cosine})
      QVERIFY(parseScheduleKind(scheduleKindName(k)) == k);
    QVERIFY(!parseScheduleKind("linear").has_value());
  }

  void constant() {
    const auto c = schedule(ScheduleKind::Constant);
    CHECK_LR(learningRateAt(c, 0.1, 0, 100), 0.1);
    CHECK_LR(learningRateAt(c, 0.1, 99, 100), 0.1);
    CHECK_LR(learningRateAt(c, 0.1, 500, 0), 0.1);  // needs no total
  }

  // Warm-up 4: lr/4, 2lr/4, 3lr/4, lr, then the schedule.
  void linearWarmup() {
    const auto c = schedule(ScheduleKind::Constant, 4);
    CHECK_LR(learningRateAt(c, 0.1, 0, 100), 0.025);
    CHECK_LR(learningRateAt(c, 0.1, 1, 100), 0.05);
    CHECK_LR(learningRateAt(c, 0.1, 2, 100), 0.075);
    CHECK_LR(learningRateAt(c, 0.1, 3, 100), 0.1);
    CHECK_LR(learningRateAt(c, 0.1, 4, 100), 0.1);
  }

  // lr * gamma^floor(applied / step_size), counted over all applied steps.
  void stepDecay() {
    auto c = schedule(ScheduleKind::Step);
    c.step_size = 10;
    c.gamma = 0.5;
    CHECK_LR(learningRateAt(c, 1.0, 0, 100), 1.0);
    CHECK_LR(learningRateAt(c, 1.0, 9, 100), 1.0);
    CHECK_LR(learningRateAt(c, 1.0, 10, 100), 0.5);
    CHECK_LR(learningRateAt(c, 1.0, 25, 100), 0.25);
    CHECK_LR(learningRateAt(c, 1.0, 30, 100), 0.125);
    c.warmup_steps = 2;
    CHECK_LR(learningRateAt(c, 1.0, 0, 100), 0.5);  // warm-up wins while it lasts
    CHECK_LR(learningRateAt(c, 1.0, 2, 100), 1.0);
    CHECK_LR(learningRateAt(c, 1.0, 12, 100), 0.5);
  }

  // min + (lr-min)(1+cos(pi t/T))/2 over the T = total - warmup steps after warm-up.
  void cosine() {
    auto c = schedule(ScheduleKind::Cosine);
    CHECK_LR(learningRateAt(c, 1.0, 0, 10), 1.0);
    CHECK_LR(learningRateAt(c, 1.0, 5, 10), 0.5);
    CHECK_LR(learningRateAt(c, 1.0, 2, 10), (1 + std::cos(0.2 * std::numbers::pi)) / 2);
    QVERIFY(std::abs(learningRateAt(c, 1.0, 2, 10) - 0.904508497187) < 1e-11);
    CHECK_LR(learningRateAt(c, 1.0, 10, 10), 0.0);
    CHECK_LR(learningRateAt(c, 1.0, 15, 10), 0.0);  // past the end: stays at the floor
    c.min_lr = 0.1;
    CHECK_LR(learningRateAt(c, 1.0, 5, 10), 0.55);
    CHECK_LR(learningRateAt(c, 1.0, 10, 10), 0.1);

    auto w = schedule(ScheduleKind::Cosine, 2);  // T = 12 - 2 = 10
    CHECK_LR(learningRateAt(w, 1.0, 0, 12), 0.5);
    CHECK_LR(learningRateAt(w, 1.0, 1, 12), 1.0);
    CHECK_LR(learningRateAt(w, 1.0, 2, 12), 1.0);
    CHECK_LR(learningRateAt(w, 1.0, 7, 12), 0.5);
    CHECK_LR(learningRateAt(w, 1.0, 11, 12), (1 + std::cos(0.9 * std::numbers::pi)) / 2);
  }

  void badInputIsRejected() {
    auto throwsWith = [](auto&& f, const char* text) {
      try {
        f();
      } catch (const std::invalid_argument& e) {
        return std::string(e.what()).find(text) != std::string::npos;
      }
      return false;
    };
    auto s = schedule(ScheduleKind::Step);
    s.step_size = 0;
    QVERIFY(throwsWith([&] { learningRateAt(s, 1.0, 3, 10); }, "step_size"));
    QVERIFY(throwsWith([] { learningRateAt(schedule(ScheduleKind::Cosine), 1.0, 3, 0); },
                       "total"));
    QVERIFY(throwsWith([] { learningRateAt(schedule(ScheduleKind::Constant), 1.0, -1, 10); },
                       "applied"));
    QVERIFY(throwsWith([] { learningRateAt(schedule(ScheduleKind::Constant, -2), 1.0, 0, 10); },
                       "warmup_steps"));
  }
};

QTEST_APPLESS_MAIN(TestLrSchedule)
#include "test_lr_schedule.moc"
