#pragma once
// Rebuilds a plot trace from a run in the store (the run browser's overlay).
#include <memory>

#include "plots/run_trace.hpp"
#include "storage/run_store.hpp"

namespace halflab {

// Throws StoreError when the run cannot be read.
std::shared_ptr<RunTrace> loadStoredTrace(const RunStore& store, const RunRow& run, const QColor& color);

// "name (mode) #id": the legend / table label of a stored run.
QString storedRunLabel(const RunRow& run);

}  // namespace halflab
