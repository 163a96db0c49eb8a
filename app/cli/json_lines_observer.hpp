#pragma once
// Every record as one JSON object per line (machine-readable output of `train --jsonl`,
// and the format of the fallback file of a run the store could not take). A failed write
// stops the output; the OutputFile keeps the reason for the caller to report.
#include <nlohmann/json_fwd.hpp>

#include "engine/record/observer.hpp"
#include "storage/output_file.hpp"

namespace halflab::cli {

class JsonLinesObserver : public RunObserver {
 public:
  explicit JsonLinesObserver(OutputFile& out) : out_(out) {}
  void onRunStarted(const RunInfo& r) override;
  void onStep(const StepRecord& r) override;
  void onEval(const EvalRecord& r) override;
  void onHistogram(const HistogramRecord& r) override;
  void onEvent(const EventRecord& r) override;
  void onRunFinished(const RunSummary& r) override;

 private:
  void line(const nlohmann::json& j);
  OutputFile& out_;
};

}  // namespace halflab::cli
