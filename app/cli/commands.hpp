#pragma once
#include <CLI/CLI.hpp>

namespace halflab::cli {

// Each registers one subcommand; the callback throws CLI::RuntimeError(message, code)
// for a failure so main() prints one line and exits non-zero.
void registerTrainCommand(CLI::App& app);
void registerBenchCommand(CLI::App& app);
void registerScalerCommand(CLI::App& app);
void registerSweepCommand(CLI::App& app);  // sweep_command.cpp
void registerDataCommand(CLI::App& app);   // data show
void registerModelCommand(CLI::App& app);  // model show|ops|presets

}  // namespace halflab::cli

namespace halflab {
void registerRunsCommand(CLI::App& app);  // storage/ runs list|show|compare|export|...
}
