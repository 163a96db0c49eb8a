#pragma once
// Exporting stored runs: metrics as CSV (`run,step,key,value,wall_time`, DESIGN 4) and
// whole runs as JSON (config, summary, every series, events). Used by
// `halflab-cli runs export` and the GUI's export action.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/run_store.hpp"

namespace halflab {

enum class ExportFormat { Csv, Json };
// "csv" | "json"; throws StoreError naming the bad value.
ExportFormat parseExportFormat(const std::string& name);

// One row per metric point, runs in the given order, then key, then step. `run` is the
// run id, wall_time is seconds since that run started; NaN is written as "nan".
void writeMetricsCsv(const RunStore& store, const std::vector<std::int64_t>& run_ids,
                     std::ostream& out);

// {"format": "halflab-runs", "version": 1, "runs": [{id, uuid, name, status,
//  precision_mode, device, seed, started_ms, ended_ms, tags, notes, config, summary,
//  series: {key: {step: [...], value: [...], wall_ms: [...]}}, events: [...]}]}
// Unknown run ids throw StoreError. NaN values become null.
nlohmann::json runsToJson(const RunStore& store, const std::vector<std::int64_t>& run_ids);
nlohmann::json summaryToJson(const RunSummary& s);

// Writes the export to a file; StoreError names the output file when it cannot be written.
void exportRuns(const RunStore& store, const std::vector<std::int64_t>& run_ids,
                ExportFormat format, const std::string& out_path);

}  // namespace halflab
