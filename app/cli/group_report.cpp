#include "app/cli/group_report.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "app/cli/terminal_text.hpp"
#include "app/cli/text_table.hpp"
#include "engine/stats/step_timing.hpp"
#include "storage/run_groups.hpp"

namespace halflab::cli {
namespace {

std::string num(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "85.12 ± 0.43" (scale 100 for accuracies in percent); no interval for n < 2.
std::string meanCi(const SampleSummary& s, double scale, int decimals) {
  if (s.n == 0) return "-";
  if (s.n < 2 || std::isnan(s.half_width)) return num(scale * s.mean, decimals);
  return num(scale * s.mean, decimals) + " ± " + num(scale * s.half_width, decimals);
}

std::string diffCi(const WelchTest& t, double scale, int decimals) {
  if (t.n_base == 0 || t.n_other == 0) return "-";
  const std::string d = (t.difference >= 0 ? "+" : "") + num(scale * t.difference, decimals);
  if (!t.valid) return d;
  return d + " ± " + num(scale * t.half_width, decimals);
}

std::string pText(const WelchTest& t) {
  if (!t.valid) return "-";
  if (t.p < 0.001) return "<0.001";
  return num(t.p, 3);
}

}  // namespace

void printGroupReport(const RunStore& store, const std::vector<RunRow>& runs,
                      const std::string& baseline_spec) {
  std::vector<RunRow> finished;
  std::vector<RunMeasures> measures;
  std::map<std::string, int> left_out;
  for (const RunRow& r : runs) {
    if (!isComparable(r)) {
      ++left_out[runStatusName(r.status)];
      continue;
    }
    finished.push_back(r);
    measures.push_back(measureRun(store, r));
  }
  if (finished.empty()) {
    std::cout << "no finished runs to compare\n";
    return;
  }
  const std::vector<RunGroup> groups = groupRuns(finished, measures);
  const std::vector<int> base = baselineOf(groups, baseline_spec);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> verdicts;
  bool any_cpu = false;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const RunGroup& g = groups[i];
    for (const RunRow& r : g.runs) any_cpu = any_cpu || isCpuDevice(r.device);
    const SampleSummary tt = g.summary(RunMeasure::TimeToTarget);
    std::string diff = "-", p = "-", speedup = "-";
    if (base[i] >= 0 && base[i] != static_cast<int>(i)) {
      const GroupComparison c = compareGroups(groups[base[i]], g);
      diff = diffCi(c[RunMeasure::FinalValAccuracy], 100, 2);
      p = pText(c[RunMeasure::FinalValAccuracy]);
      speedup = std::isnan(c.speedup) ? "-" : num(c.speedup, 2) + "x";
      verdicts.push_back(verdictText(groups[base[i]], g, c));
    } else if (base[i] == static_cast<int>(i)) {
      diff = "baseline";
      speedup = "1.00x";
    } else {
      verdicts.push_back(g.label + ": no baseline group to compare with");
    }
    rows.push_back({printable(g.label), std::to_string(g.runs.size()),
                    meanCi(g.summary(RunMeasure::FinalValAccuracy), 100, 2),
                    meanCi(g.summary(RunMeasure::BestValAccuracy), 100, 2),
                    meanCi(g.summary(RunMeasure::FinalLoss), 1, 4),
                    tt.n == 0 ? "never" : meanCi(tt, 1, 1) + (tt.n < g.runs.size() ? " (" + std::to_string(tt.n) + " reached)" : ""),
                    meanCi(g.summary(RunMeasure::MsPerStep), 1, 3), speedup,
                    meanCi(g.summary(RunMeasure::SkippedSteps), 1, 1),
                    meanCi(g.summary(RunMeasure::OverflowSteps), 1, 1), diff, p});
  }
  printTable({"group", "n", "final acc %", "best acc %", "final loss", "to target s", "ms/step",
              "speedup", "skipped", "overflow steps", "Δ final acc pt", "p (Welch)"},
             {false, true, true, true, true, true, true, true, true, true, true, true}, rows);
  std::cout << "mean ± half width of the 95 % Student t interval over seeds; Δ = difference to the "
               "baseline group with its 95 % interval (Welch); speedup = median over seeds of each "
               "run's median ms/step (paused time excluded), baseline / group\n";
  for (const std::string& v : verdicts) std::cout << printable(v) << '\n';
  if (!left_out.empty()) {
    std::string s;
    for (const auto& [status, n] : left_out) s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + status;
    std::cout << "left out (not finished): " << s << '\n';
  }
  if (any_cpu) std::cout << kCpuTimingCaveat << '\n';
}

}  // namespace halflab::cli
