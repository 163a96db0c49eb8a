// Grouping runs by config minus seed, baselines, and the verdict text (storage/run_groups).
// The accuracies are the SciPy-checked samples of test_sample_stats.
#include <QtTest>

#include "storage/run_groups.hpp"

using namespace halflab;

namespace {

RunRow row(const std::string& mode, std::uint64_t seed, double lr, double acc) {
  RunRow r;
  r.precision_mode = mode;
  r.seed = seed;
  r.status = RunStatus::Completed;
  r.config_json = R"({"name":"run )" + std::to_string(seed) + R"(","precision":{"mode":")" + mode +
                  R"("},"optimizer":{"lr":)" + std::to_string(lr) +
                  R"(},"training":{"seed":)" + std::to_string(seed) + R"(,"threads":2}})";
  RunSummary s;
  s.final_val_accuracy = acc;
  r.summary = s;
  return r;
}

RunMeasures accuracy(double acc) {
  RunMeasures m;
  m[RunMeasure::FinalValAccuracy] = acc;
  return m;
}

void add(std::vector<RunRow>& runs, std::vector<RunMeasures>& ms, const std::string& mode, double lr,
         const std::vector<double>& accs) {
  std::uint64_t seed = 1;
  for (double a : accs) {
    runs.push_back(row(mode, seed++, lr, a));
    ms.push_back(accuracy(a));
  }
}

const std::vector<double> kFp32{0.8512, 0.8467, 0.8558, 0.8493, 0.8531};
const std::vector<double> kFp16{0.8498, 0.8440, 0.8571, 0.8476, 0.8519};
const std::vector<double> kBf16{0.8391, 0.8422, 0.8367, 0.8405, 0.8380, 0.8412};

}  // namespace

class TestRunGroups : public QObject {
  Q_OBJECT

 private slots:
  void seedNameAndThreadsDoNotSplitGroups() {
    std::vector<RunRow> runs;
    std::vector<RunMeasures> ms;
    add(runs, ms, "fp32", 0.001, kFp32);
    add(runs, ms, "fp16-amp", 0.001, kFp16);
    const auto groups = groupRuns(runs, ms);
    QCOMPARE(groups.size(), std::size_t{2});
    QCOMPARE(groups[0].runs.size(), std::size_t{5});
    QCOMPARE(groups[0].label, std::string("fp32"));
    QCOMPARE(groups[1].label, std::string("fp16-amp"));
    QVERIFY(!groups[0].params.count("training.seed"));
  }

  void verdictsAgainstTheBaseline() {
    std::vector<RunRow> runs;
    std::vector<RunMeasures> ms;
    add(runs, ms, "fp16-amp", 0.001, kFp16);  // baseline found by mode, not by position
    add(runs, ms, "fp32", 0.001, kFp32);
    add(runs, ms, "bf16-amp", 0.001, kBf16);
    const auto groups = groupRuns(runs, ms);
    const auto base = baselineOf(groups, "");
    QCOMPARE(base, (std::vector<int>{1, 1, 1}));
    const GroupComparison fp16 = compareGroups(groups[1], groups[0]);
    QCOMPARE(verdictText(groups[1], groups[0], fp16),
             std::string("fp16-amp vs fp32: -0.11 ± 0.63 pt accuracy, no significant difference at n = 5"));
    const GroupComparison bf16 = compareGroups(groups[1], groups[2]);
    QCOMPARE(verdictText(groups[1], groups[2], bf16),
             std::string("bf16-amp vs fp32: -1.16 ± 0.43 pt accuracy, significantly lower (p < 0.001) at n = 6 vs 5"));
  }

  void twoKeysVaryBaselinePerLearningRate() {
    std::vector<RunRow> runs;
    std::vector<RunMeasures> ms;
    add(runs, ms, "fp32", 0.001, kFp32);
    add(runs, ms, "fp16-amp", 0.001, kFp16);
    add(runs, ms, "fp32", 0.003, kBf16);
    add(runs, ms, "fp16-amp", 0.003, kFp16);
    const auto groups = groupRuns(runs, ms);
    QCOMPARE(groups.size(), std::size_t{4});
    QCOMPARE(groups[3].label, std::string("mode=fp16-amp lr=0.003"));
    QCOMPARE(baselineOf(groups, ""), (std::vector<int>{0, 0, 2, 2}));
    QCOMPARE(baselineOf(groups, "optimizer.lr=0.001"), (std::vector<int>{0, 1, 0, 1}));
    QCOMPARE(baselineOf(groups, "precision.mode=bf16-amp"), (std::vector<int>{-1, -1, -1, -1}));
  }

  void oneSeedIsNotATest() {
    std::vector<RunRow> runs;
    std::vector<RunMeasures> ms;
    add(runs, ms, "fp32", 0.001, {0.85});
    add(runs, ms, "fp16-amp", 0.001, {0.84});
    const auto groups = groupRuns(runs, ms);
    QCOMPARE(verdictText(groups[0], groups[1], compareGroups(groups[0], groups[1])),
             std::string("fp16-amp vs fp32: -1.00 pt accuracy, too few runs for a test at n = 1 "
                         "(at least 2 seeds per group are needed)"));
  }

  void speedupIsTheMedianOverRepeats() {
    std::vector<RunRow> runs;
    std::vector<RunMeasures> ms;
    add(runs, ms, "fp32", 0.001, {0.8, 0.8, 0.8});
    add(runs, ms, "fp16-amp", 0.001, {0.8, 0.8, 0.8});
    const double base_ms[] = {10, 12, 30}, low_ms[] = {4, 5, 100};  // one outlier each
    for (int i = 0; i < 3; ++i) {
      ms[i][RunMeasure::MsPerStep] = base_ms[i];
      ms[3 + i][RunMeasure::MsPerStep] = low_ms[i];
    }
    const auto groups = groupRuns(runs, ms);
    QCOMPARE(compareGroups(groups[0], groups[1]).speedup, 12.0 / 5.0);
  }
};

QTEST_APPLESS_MAIN(TestRunGroups)
#include "test_run_groups.moc"
