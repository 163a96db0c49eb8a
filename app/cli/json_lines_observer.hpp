#pragma once
// Every record as one JSON object per line (machine-readable output of `train --jsonl`).
#include <cstdio>

#include "engine/record/observer.hpp"

namespace halflab::cli {

class JsonLinesObserver : public RunObserver {
 public:
  explicit JsonLinesObserver(std::FILE* out) : out_(out) {}
  void onRunStarted(const RunInfo& r) override;
  void onStep(const StepRecord& r) override;
  void onEval(const EvalRecord& r) override;
  void onHistogram(const HistogramRecord& r) override;
  void onEvent(const EventRecord& r) override;
  void onRunFinished(const RunSummary& r) override;

 private:
  std::FILE* out_;
};

}  // namespace halflab::cli
