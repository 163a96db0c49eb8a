#pragma once
// `halflab-cli runs`: list, show, compare, export, delete, tag and annotate stored runs.
#include <CLI/CLI.hpp>

namespace halflab {

// Adds `runs [--db PATH] list|show|compare|export|delete|tag|note|bench-writer`. Failures
// throw CLI::RuntimeError(one-line message naming the file/run/field, non-zero code).
void registerRunsCommand(CLI::App& app);

}  // namespace halflab
