#include "storage/run_groups.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/json/bounded_json.hpp"
#include "engine/stats/step_timing.hpp"
#include "storage/config_params.hpp"

namespace halflab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::set<std::string>& keysOutsideGroups() {
  static const std::set<std::string> keys{"training.seed", "name", "training.threads"};
  return keys;
}

std::string lastPart(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string fixedText(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string nText(const WelchTest& t) {
  if (t.n_base == t.n_other) return "n = " + std::to_string(t.n_other);
  return "n = " + std::to_string(t.n_other) + " vs " + std::to_string(t.n_base);
}

}  // namespace

const char* runMeasureName(RunMeasure m) {
  switch (m) {
    case RunMeasure::FinalValAccuracy: return "final val acc";
    case RunMeasure::BestValAccuracy: return "best val acc";
    case RunMeasure::FinalLoss: return "final loss";
    case RunMeasure::TimeToTarget: return "time to target s";
    case RunMeasure::MsPerStep: return "ms/step";
    case RunMeasure::SkippedSteps: return "skipped steps";
    case RunMeasure::OverflowSteps: return "overflow steps";
  }
  return "?";
}

const std::vector<RunMeasure>& allRunMeasures() {
  static const std::vector<RunMeasure> all{
      RunMeasure::FinalValAccuracy, RunMeasure::BestValAccuracy, RunMeasure::FinalLoss,
      RunMeasure::TimeToTarget,     RunMeasure::MsPerStep,       RunMeasure::SkippedSteps,
      RunMeasure::OverflowSteps};
  return all;
}

RunMeasures::RunMeasures() {
  for (double& v : values) v = kNaN;
}

bool isComparable(const RunRow& run) {
  return run.summary &&
         (run.status == RunStatus::Completed || run.status == RunStatus::Diverged);
}

RunMeasures measureRun(const RunRow& run, const std::vector<double>& ms) {
  RunMeasures m;
  if (run.summary) {
    const RunSummary& s = *run.summary;
    m[RunMeasure::FinalValAccuracy] = s.final_val_accuracy;
    m[RunMeasure::BestValAccuracy] = s.best_val_accuracy;
    m[RunMeasure::FinalLoss] = s.final_loss;
    m[RunMeasure::TimeToTarget] = s.time_to_target_s < 0 ? kNaN : s.time_to_target_s;
    m[RunMeasure::SkippedSteps] = static_cast<double>(s.skipped_steps);
    m[RunMeasure::OverflowSteps] = static_cast<double>(s.overflow_steps);
  }
  // Step times hold only the step itself: pauses, evaluations and data loading are not in
  // them. The run's figure is the median of its timed segments (warm-up dropped).
  const std::vector<double> segments = segmentStepTimes(ms, timingSegmentLength(ms.size()));
  if (!segments.empty()) m[RunMeasure::MsPerStep] = median(segments);
  return m;
}

RunMeasures measureRun(const RunStore& store, const RunRow& run) {
  std::vector<double> ms;
  for (const MetricPoint& p : store.metricSeries(run.id, "step_time_ms")) ms.push_back(p.value);
  return measureRun(run, ms);
}

std::map<std::string, std::string> groupParams(const RunRow& run) {
  std::map<std::string, std::string> params;
  const nlohmann::json j = parseBoundedJsonOrDiscarded(run.config_json);
  if (!j.is_discarded())
    for (auto& [k, v] : flattenConfigJson(j))
      if (!keysOutsideGroups().count(k)) params[k] = v;
  if (params.find("precision.mode") == params.end()) params["precision.mode"] = run.precision_mode;
  return params;
}

std::vector<double> RunGroup::sample(RunMeasure m) const {
  std::vector<double> v;
  for (const RunMeasures& r : measures) v.push_back(r[m]);
  return v;
}

std::vector<RunGroup> groupRuns(const std::vector<RunRow>& runs,
                                const std::vector<RunMeasures>& measures) {
  std::vector<RunGroup> groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto params = groupParams(runs[i]);
    RunGroup* g = nullptr;
    for (RunGroup& existing : groups)
      if (existing.params == params) g = &existing;
    if (!g) {
      groups.push_back({});
      g = &groups.back();
      g->params = std::move(params);
    }
    g->runs.push_back(runs[i]);
    g->measures.push_back(i < measures.size() ? measures[i] : RunMeasures{});
  }
  // The keys whose values are not the same in every group.
  std::set<std::string> all_keys;
  for (const RunGroup& g : groups)
    for (const auto& [k, v] : g.params) all_keys.insert(k);
  std::vector<std::string> varying;
  for (const std::string& k : all_keys) {
    std::set<std::string> values;
    for (const RunGroup& g : groups) {
      auto it = g.params.find(k);
      values.insert(it == g.params.end() ? std::string("(unset)") : it->second);
    }
    if (values.size() > 1) varying.push_back(k);
  }
  // precision.mode first: it is what most comparisons are about.
  std::stable_partition(varying.begin(), varying.end(),
                        [](const std::string& k) { return k == "precision.mode"; });
  const auto labelWith = [&](const RunGroup& g, const std::vector<std::string>& keys) {
    std::string label;
    for (const std::string& k : keys) {
      auto it = g.params.find(k);
      label += (label.empty() ? "" : " ") + lastPart(k) + "=" + (it == g.params.end() ? "(unset)" : it->second);
    }
    return label;
  };
  const auto unique = [&](const std::vector<std::string>& keys) {
    std::set<std::string> labels;
    for (const RunGroup& g : groups) labels.insert(labelWith(g, keys));
    return labels.size() == groups.size();
  };
  // Keys that follow from the others (a mode's default scaler and initial scale) are left
  // out of the labels as long as the labels stay distinct: details first, the scaler
  // kind later, the mode never.
  std::vector<std::string> order;
  for (auto it = varying.rbegin(); it != varying.rend(); ++it)
    if (*it != "precision.mode" && *it != "precision.scaler") order.push_back(*it);
  if (std::find(varying.begin(), varying.end(), "precision.scaler") != varying.end())
    order.push_back("precision.scaler");
  for (const std::string& k : order) {
    std::vector<std::string> fewer;
    for (const std::string& v : varying)
      if (v != k) fewer.push_back(v);
    if (!fewer.empty() && unique(fewer)) varying = fewer;
  }
  for (RunGroup& g : groups) {
    if (varying.empty() || (varying.size() == 1 && varying.front() == "precision.mode")) {
      auto it = g.params.find("precision.mode");
      g.label = it == g.params.end() ? std::string() : it->second;
    } else {
      g.label = labelWith(g, varying);
    }
  }
  return groups;
}

std::vector<int> baselineOf(const std::vector<RunGroup>& groups, const std::string& spec) {
  std::vector<int> base(groups.size(), groups.empty() ? -1 : 0);
  std::string key, value;
  if (spec.empty()) {
    std::set<std::string> modes;
    bool has_fp32 = false;
    for (const RunGroup& g : groups) {
      const std::string m = g.params.count("precision.mode") ? g.params.at("precision.mode") : "";
      modes.insert(m);
      has_fp32 = has_fp32 || m == "fp32";
    }
    if (modes.size() > 1 && has_fp32) key = "precision.mode", value = "fp32";
  } else {
    const auto eq = spec.find('=');
    key = spec.substr(0, eq);
    value = eq == std::string::npos ? "" : spec.substr(eq + 1);
  }
  if (key.empty()) return base;
  // The baseline matches in every other key; for precision.mode, the rest of precision
  // (scaler kind and settings) belongs to the mode and is not matched.
  const auto matchable = [&](std::map<std::string, std::string> params) {
    params.erase(key);
    if (key == "precision.mode")
      for (auto it = params.begin(); it != params.end();)
        it = it->first.rfind("precision.", 0) == 0 ? params.erase(it) : std::next(it);
    return params;
  };
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto wanted = matchable(groups[i].params);
    base[i] = -1;
    for (std::size_t j = 0; j < groups.size(); ++j) {
      auto it = groups[j].params.find(key);
      if (it != groups[j].params.end() && it->second == value && matchable(groups[j].params) == wanted) {
        base[i] = static_cast<int>(j);
        break;
      }
    }
  }
  return base;
}

GroupComparison compareGroups(const RunGroup& base, const RunGroup& other) {
  GroupComparison c;
  for (RunMeasure m : allRunMeasures())
    c.tests[static_cast<int>(m)] = welchTest(base.sample(m), other.sample(m));
  // Speedup: medians over the repeats of each run's median step time.
  std::vector<double> b, o;
  for (double v : base.sample(RunMeasure::MsPerStep))
    if (!std::isnan(v)) b.push_back(v);
  for (double v : other.sample(RunMeasure::MsPerStep))
    if (!std::isnan(v)) o.push_back(v);
  c.speedup = b.empty() || o.empty() ? kNaN : median(b) / median(o);
  return c;
}

std::string verdictText(const RunGroup& base, const RunGroup& other, const GroupComparison& c) {
  const WelchTest& t = c[RunMeasure::FinalValAccuracy];
  std::string s = other.label + " vs " + base.label + ": ";
  if (t.n_base == 0 || t.n_other == 0) return s + "no finished runs to compare";
  const std::string diff = (t.difference >= 0 ? "+" : "") + fixedText(100.0 * t.difference, 2);
  if (!t.valid)
    return s + diff + " pt accuracy, too few runs for a test at " + nText(t) +
           " (at least 2 seeds per group are needed)";
  s += diff + " ± " + fixedText(100.0 * t.half_width, 2) + " pt accuracy, ";
  if (t.p < 0.05) {
    char p[32];
    std::snprintf(p, sizeof p, t.p < 0.001 ? "p < 0.001" : "p = %.3f", t.p);
    s += std::string(t.difference > 0 ? "significantly higher" : "significantly lower") + " (" + p +
         ") at " + nText(t);
  } else {
    s += "no significant difference at " + nText(t);
  }
  return s;
}

}  // namespace halflab
