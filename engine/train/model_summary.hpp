#pragma once
// What `halflab-cli model show` and the GUI's model section print: per node its output
// shape, parameter count, forward FLOPs per sample, and the memory it needs in each
// precision mode (Keras model.summary() / torchinfo, plus the precision columns).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model_plan.hpp"
#include "engine/train/run_config.hpp"

namespace halflab {

struct ModelSummaryRow {
  std::string name, op;
  std::vector<std::string> inputs;  // names of the values read
  Shape out;                        // per sample (no batch dimension)
  std::int64_t parameters = 0;
  double flops = 0;                 // forward, per sample
  // Per mode (ModelSummary::modes): parameter bytes (value, working copy, gradient) plus
  // the output activation for the batch, in the widths the mode stores them in.
  std::vector<std::int64_t> bytes;
};

struct ModelSummary {
  std::vector<std::string> modes;
  std::int64_t batch = 0;
  std::vector<ModelSummaryRow> rows;
  ModelSummaryRow total;
};

ModelSummary summarizeModel(const RunConfig& cfg, const ModelPlan& plan);
std::string formatModelSummary(const ModelSummary& s);
// How the table writes its numbers (also the GUI's): "1.5 MiB", "2.35M", "12.3k".
std::string summaryBytesText(double bytes);
std::string summaryCountText(double n);

}  // namespace halflab
