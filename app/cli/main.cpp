// halflab-cli: the headless face of the engine (no Qt): train, bench, scaler, sweep, data, runs.
// Exit codes (README, "Headless: halflab-cli"): see app/cli/exit_codes.hpp.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "app/cli/commands.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/parse_error_text.hpp"
#include "app/cli/std_output.hpp"
#include "app/cli/terminal_text.hpp"
#include "storage/default_path.hpp"
#include "storage/output_guard.hpp"

namespace {

int fail(const std::string& message, int code) {
  // One line, no control characters: messages quote names and paths from the user.
  std::fprintf(stderr, "halflab-cli: %s\n", halflab::cli::printable(message).c_str());
  return code;
}

// What was printed must have reached stdout: a full disk or a closed pipe is a failure.
int finishStdout(int code) {
  const std::string problem = halflab::cli::finishStdoutProblem();
  if (problem.empty()) return code;
  return fail("cannot write to standard output (" + problem + ")",
              code != 0 ? code : halflab::cli::kExitFailure);
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = halflab::cli;
  // A closed pipe (`| head`) shows up as EPIPE on the write, reported like any other
  // write error, instead of killing the process without a word.
  std::signal(SIGPIPE, SIG_IGN);
  cli::installCheckedStdout();
  CLI::App app{"HalfLab: mixed-precision training workbench (headless)", "halflab-cli"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("halflab-cli ") + HALFLAB_VERSION);
  cli::registerTrainCommand(app);
  cli::registerBenchCommand(app);
  cli::registerScalerCommand(app);
  cli::registerSweepCommand(app);
  cli::registerDataCommand(app);
  cli::registerModelCommand(app);
  halflab::registerRunsCommand(app);
  // `halflab-cli scaler >> ~/.local/share/HalfLab/runs.sqlite`: the default store is
  // protected from every command (commands with --db also check their own store).
  if (const std::string clash = halflab::standardStreamHitsStore(halflab::defaultStoreLocation()); !clash.empty())
    return fail(clash, cli::kExitFailure);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return finishStdout(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return finishStdout(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return finishStdout(app.exit(e));
  } catch (const CLI::RuntimeError& e) {
    // Our commands' failures: one line naming what is wrong (a bare code = already said).
    const int code = finishStdout(e.get_exit_code());
    if (std::string(e.what()) != "Runtime error" && *e.what()) fail(e.what(), code);
    return code;
  } catch (const CLI::ParseError& e) {
    finishStdout(0);
    return fail(cli::describeParseError(app, e), cli::kExitUsage);
  } catch (const std::exception& e) {
    finishStdout(0);
    return fail(e.what(), cli::kExitFailure);
  }
  return finishStdout(cli::kExitOk);
}
