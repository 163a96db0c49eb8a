// halflab-cli: the headless face of the engine (no Qt): train, bench, scaler, runs.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "app/cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"HalfLab: mixed-precision training workbench (headless)", "halflab-cli"};
  app.require_subcommand(1);
  halflab::cli::registerTrainCommand(app);
  halflab::cli::registerBenchCommand(app);
  halflab::cli::registerScalerCommand(app);
  halflab::registerRunsCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    // Our commands' failures: one line naming what is wrong (a bare code = already said).
    if (std::string(e.what()) != "Runtime error" && *e.what())
      std::fprintf(stderr, "halflab-cli: %s\n", e.what());
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "halflab-cli: %s\n", e.what());
    return e.get_exit_code() ? e.get_exit_code() : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "halflab-cli: %s\n", e.what());
    return 1;
  }
  return 0;
}
