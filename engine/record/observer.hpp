#pragma once
// How a run reports what happens. Called on the training thread: implementations must
// be quick (buffer, don't block). Default implementations ignore everything.
#include <vector>

#include "engine/record/records.hpp"

namespace halflab {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void onRunStarted(const RunInfo&) {}
  virtual void onStep(const StepRecord&) {}
  virtual void onEval(const EvalRecord&) {}
  virtual void onHistogram(const HistogramRecord&) {}
  virtual void onEvent(const EventRecord&) {}
  virtual void onRunFinished(const RunSummary&) {}
};

// Fans records out to several observers (e.g. the store writer and the GUI buffer).
class ObserverList : public RunObserver {
 public:
  void add(RunObserver* o) { observers_.push_back(o); }
  void onRunStarted(const RunInfo& r) override { for (auto* o : observers_) o->onRunStarted(r); }
  void onStep(const StepRecord& r) override { for (auto* o : observers_) o->onStep(r); }
  void onEval(const EvalRecord& r) override { for (auto* o : observers_) o->onEval(r); }
  void onHistogram(const HistogramRecord& r) override { for (auto* o : observers_) o->onHistogram(r); }
  void onEvent(const EventRecord& r) override { for (auto* o : observers_) o->onEvent(r); }
  void onRunFinished(const RunSummary& r) override { for (auto* o : observers_) o->onRunFinished(r); }

 private:
  std::vector<RunObserver*> observers_;
};

}  // namespace halflab
