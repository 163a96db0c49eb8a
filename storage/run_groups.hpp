#pragma once
// Seed-replicated comparisons: runs are grouped by their config minus the seed (and the
// run name and CPU thread count, which do not change what is trained), each group gets a
// mean, standard deviation and 95 % Student t interval per measure, and each group is
// compared with its baseline group by Welch's t-test, with a plain verdict.
#include <map>
#include <string>
#include <vector>

#include "engine/stats/sample_stats.hpp"
#include "storage/run_store.hpp"

namespace halflab {

// The measures compared across seeds, in table order.
enum class RunMeasure {
  FinalValAccuracy,
  BestValAccuracy,
  FinalLoss,
  TimeToTarget,   // seconds to the target accuracy; runs that never reached it are left out
  MsPerStep,      // median step time of the run (paused time is not in step times)
  SkippedSteps,
  OverflowSteps,
};
inline constexpr int kRunMeasureCount = 7;
const char* runMeasureName(RunMeasure m);  // "final val acc", ...
const std::vector<RunMeasure>& allRunMeasures();

// One run's measures, NaN where unknown.
struct RunMeasures {
  double values[kRunMeasureCount];
  RunMeasures();
  double operator[](RunMeasure m) const { return values[static_cast<int>(m)]; }
  double& operator[](RunMeasure m) { return values[static_cast<int>(m)]; }
};

// Measures of a finished run from its summary and its step_time_ms series.
RunMeasures measureRun(const RunStore& store, const RunRow& run);
// The same from a step_time_ms series already read (in step order).
RunMeasures measureRun(const RunRow& run, const std::vector<double>& step_ms);
// Only finished runs (completed or diverged) are compared.
bool isComparable(const RunRow& run);

// Flattened config without the keys that do not define a group (training.seed, name,
// training.threads).
std::map<std::string, std::string> groupParams(const RunRow& run);

struct RunGroup {
  std::map<std::string, std::string> params;  // groupParams of its runs
  std::string label;                           // the keys that vary between the groups
  std::vector<RunRow> runs;
  std::vector<RunMeasures> measures;           // one per run
  std::vector<double> sample(RunMeasure m) const;
  SampleSummary summary(RunMeasure m) const { return summarizeSample(sample(m)); }
};

// Groups in order of first appearance; labels name only the keys whose values differ
// between groups ("fp16-amp" when only precision.mode varies, else
// "mode=fp16-amp lr=0.003"; a single group is labelled by its precision mode).
std::vector<RunGroup> groupRuns(const std::vector<RunRow>& runs,
                                const std::vector<RunMeasures>& measures);

// "key=value" choosing the baseline of each group: the group with the same params except
// key = value. Empty = "precision.mode=fp32" when the groups differ in mode and one is
// fp32, else the first group. Returns, per group, the index of its baseline (itself for
// baseline groups, -1 when it has none).
std::vector<int> baselineOf(const std::vector<RunGroup>& groups, const std::string& spec);

struct GroupComparison {
  WelchTest tests[kRunMeasureCount];
  double speedup = 0;  // median ms/step over the baseline's runs / over this group's; NaN if unknown
  const WelchTest& operator[](RunMeasure m) const { return tests[static_cast<int>(m)]; }
};
GroupComparison compareGroups(const RunGroup& base, const RunGroup& other);

// "fp16-amp vs fp32: -0.08 ± 0.21 pt accuracy, no significant difference at n = 5" (final
// validation accuracy, 95 % interval of the difference, Welch's test at the 5 % level).
std::string verdictText(const RunGroup& base, const RunGroup& other, const GroupComparison& c);

}  // namespace halflab
