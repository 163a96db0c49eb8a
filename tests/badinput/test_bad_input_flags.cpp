// Flags: every given value reaches the config and is validated like the same field
// (exit 2, the error names the flag and what is allowed), malformed numbers are errors,
// huge numbers give a plain message (never a library's exception text), parse errors
// suggest the closest command or flag, --version works, and --device cuda without a
// usable GPU fails (exit 5) instead of quietly training on the CPU.
#include "cli_case.hpp"

#include "engine/train/run_config.hpp"
#include "engine/train/trainer.hpp"

using halflab::test::CliCase;
using halflab::test::CliRun;

namespace {

// A quick, store-less training command with extra flags.
QStringList train(const QStringList& extra) {
  return QStringList{"train", "--no-db", "-q", "--dataset", "spirals"} + extra;  // 1 epoch
}

// What CLI11 and nlohmann print when their exceptions escape: never shown to a user.
void noLibraryText(const QString&, const CliRun& r) {
  for (const char* raw : {"[json.exception", "Could not convert", "stoi", "stod", "terminate"})
    QVERIFY2(!r.err.contains(raw), qPrintable(r.err));
  QCOMPARE(r.err.count('\n'), 1);  // one line
}

CliCase flag(const QString& name, const QStringList& extra, const QString& message) {
  return {.name = name, .args = train(extra), .exit_code = 2, .message = message, .after = noLibraryText};
}

bool gpuUsable() {
  return halflab::unusableDeviceReason(halflab::RunConfig::fromJsonText(
                                           R"({"dataset":{"kind":"spirals"},"training":{"device":"cuda"}})"))
      .empty();
}

std::vector<CliCase> table() {
  const bool gpu = gpuUsable();
  std::vector<CliCase> t = {
      // Values of 0 or below are validated, not ignored.
      flag("--lr 0", {"--lr", "0"}, "^halflab-cli: --lr: must be in \\(0, 100\\] \\(got 0\\)"),
      flag("--lr -1", {"--lr", "-1"}, "--lr: must be in \\(0, 100\\] \\(got -1\\)"),
      flag("--batch -5", {"--batch", "-5"}, "--batch: must be between 1 and 65536 \\(got -5\\)"),
      flag("--batch 0", {"--batch", "0"}, "--batch: must be between 1 and 65536 \\(got 0\\)"),
      flag("--epochs 0", {"--epochs", "0"}, "--epochs: must be between 1 and 100000 \\(got 0\\)"),
      flag("--init-scale 0", {"--init-scale", "0"}, "--init-scale: must be positive and fit in fp32 \\(got 0\\)"),
      flag("--seed -1", {"--seed", "-1"}, "--seed: must be a whole number between 0 and 18446744073709551615 \\(got -1\\)"),
      flag("--max-steps -3", {"--max-steps", "-3"}, "--max-steps: must be between 0 and 1000000000 .*\\(got -3\\)"),
      flag("--threads -1", {"--threads", "-1"}, "--threads: must be between 0 and 256 \\(got -1\\)"),
      flag("--train-limit -1", {"--train-limit", "-1"}, "--train-limit: must be >= 0 .*\\(got -1\\)"),
      flag("--test-limit -2", {"--test-limit", "-2"}, "--test-limit: must be >= 0 .*\\(got -2\\)"),
      flag("--mode empty", {"--mode", ""}, "--mode: unknown mode ''"),
      // Malformed numbers are errors, not their leading digits.
      flag("--hidden 1e9", {"--hidden", "1e9"}, "--hidden: expected a whole number \\(got 1e9\\)"),
      flag("--hidden 64.5", {"--hidden", "64.5"}, "--hidden: expected a whole number \\(got 64.5\\)"),
      flag("--hidden 256abc", {"--hidden", "256abc"}, "--hidden: expected a whole number \\(got 256abc\\)"),
      flag("--hidden 64,,32", {"--hidden", "64,,32"}, "--hidden: expected widths such as 256,128"),
      flag("--hidden 0", {"--hidden", "0"}, "--hidden: every width must be between 1 and 65536 \\(got 0\\)"),
      flag("--epochs 2.5", {"--epochs", "2.5"}, "--epochs: expected a whole number \\(got 2.5\\)"),
      flag("--batch 12abc", {"--batch", "12abc"}, "--batch: expected a whole number \\(got 12abc\\)"),
      flag("--lr abc", {"--lr", "abc"}, "--lr: expected a number \\(got abc\\)"),
      flag("--lr nan", {"--lr", "nan"}, "--lr: must be a finite number \\(got nan\\)"),
      // Huge numbers: the field and a plain message.
      flag("--lr 1e400", {"--lr", "1e400"}, "--lr: 1e400 is out of range for a number"),
      flag("--seed 2^64", {"--seed", "18446744073709551616"},
           "--seed: must be a whole number between 0 and 18446744073709551615 \\(got 18446744073709551616\\)"),
      flag("--epochs 2^64", {"--epochs", "18446744073709551616"}, "--epochs: too large for a whole number"),
      flag("--set training.epochs=1e400", {"--set", "training.epochs=1e400"},
           "--set training.epochs: 1e400 is out of range for a number"),
      flag("--set training.seed=2^64", {"--set", "training.seed=18446744073709551616"},
           "--set training.seed: out of range for this field"),
      flag("--set training.epochs=2^40", {"--set", "training.epochs=1099511627776"},
           "--set training.epochs: out of range for this field"),
      flag("--set wins over the flag", {"--epochs", "3", "--set", "training.epochs=0"},
           "^halflab-cli: --set training.epochs: must be between 1 and 100000\n"),
      {.name = "config file with 1e400",
       .args = train({"--config", "{dir}/c.json"}),
       .exit_code = 2,
       .message = "--config .*c\\.json: not valid JSON: number overflow parsing '1e400'",
       .setup = [](const QString& dir) {
         halflab::test::writeFile(dir + "/c.json", R"({"optimizer": {"lr": 1e400}})");
       },
       .after = noLibraryText},
      // growth_factor: config validation and the scaler agree (> 1).
      flag("--set precision.growth_factor=1", {"--set", "precision.growth_factor=1"},
           "--set precision.growth_factor: must be a finite number > 1"),
      {.name = "scaler --growth-factor 1",
       .args = {"scaler", "--growth-factor", "1", "-n", "3"},
       .exit_code = 2,
       .message = "--growth-factor: must be a finite number > 1 \\(got 1\\)",
       .after = noLibraryText},
      {.name = "scaler --growth-interval 0",
       .args = {"scaler", "--growth-interval", "0", "-n", "3"},
       .exit_code = 2,
       .message = "--growth-interval: must be >= 1 \\(got 0\\)",
       .after = noLibraryText},
      {.name = "scaler --backoff-factor 1.5",
       .args = {"scaler", "--backoff-factor", "1.5", "-n", "3"},
       .exit_code = 2,
       .message = "--backoff-factor: must be in \\(0, 1\\) \\(got 1.5\\)",
       .after = noLibraryText},
      {.name = "scaler --growth-factor 1.5 is used",
       .args = {"scaler", "--growth-factor", "1.5", "--growth-interval", "1", "-n", "2", "--init-scale", "2"},
       .exit_code = 0,
       .message = "\n2,0,0,3,4.5,0,0\n"},
      // Parse errors: exit 2 and the closest name.
      {.name = "misspelt command", .args = {"trian"}, .exit_code = 2,
       .message = "^halflab-cli: unknown command 'trian' \\(did you mean 'train'\\?\\)\n$"},
      {.name = "misspelt runs command", .args = {"runs", "lsit"}, .exit_code = 2,
       .message = "^halflab-cli: runs: unknown command 'lsit' \\(did you mean 'list'\\?\\)\n$"},
      {.name = "unknown command", .args = {"frobnicate"}, .exit_code = 2,
       .message = "unknown command 'frobnicate' \\(expected train, bench, scaler, sweep, data, model or runs\\)"},
      {.name = "misspelt flag", .args = {"train", "--epoch", "3"}, .exit_code = 2,
       .message = "^halflab-cli: train: unknown flag '--epoch' \\(did you mean '--epochs'\\?\\)\n$"},
      {.name = "misspelt flag with =", .args = {"train", "--btach=5"}, .exit_code = 2,
       .message = "train: unknown flag '--btach' \\(did you mean '--batch'\\?\\)"},
      {.name = "misspelt runs list flag", .args = {"runs", "list", "--stauts", "x"}, .exit_code = 2,
       .message = "runs list: unknown flag '--stauts' \\(did you mean '--status'\\?\\)"},
      {.name = "no command", .args = {}, .exit_code = 2,
       .message = "a command is required: train, bench, scaler, sweep, data, model or runs"},
      {.name = "missing value", .args = {"train", "--epochs"}, .exit_code = 2, .message = "train: --epochs"},
      {.name = "bench --steps 0", .args = {"bench", "--steps", "0"}, .exit_code = 2,
       .message = "bench: --steps: Value 0 not in range 1 to 100000"},
      {.name = "run id 1.5", .args = {"runs", "show", "1.5"}, .exit_code = 2,
       .message = "^halflab-cli: run id: expected a whole number \\(got 1.5\\)\n$"},
      {.name = "run id 2^64", .args = {"runs", "delete", "18446744073709551616"}, .exit_code = 2,
       .message = "^halflab-cli: run id: too large for a whole number \\(got 18446744073709551616\\)\n$"},
      {.name = "run id 0", .args = {"runs", "compare", "1", "0"}, .exit_code = 2,
       .message = "^halflab-cli: run id: must be 1 or more \\(got 0\\)\n$"},
      {.name = "version", .args = {"--version"}, .exit_code = 0,
       .message = QString("^halflab-cli %1\n$").arg(QRegularExpression::escape(HALFLAB_VERSION))},
      {.name = "help", .args = {"train", "--help"}, .exit_code = 0, .message = "--busy-timeout"},
  };
  // --device cuda: the GPU or a clear failure (5); never the CPU under a GPU label.
  if (gpu) {
    t.push_back({.name = "--device cuda with a GPU", .args = train({"--device", "cuda"}), .exit_code = 0,
                 .message = ""});
  } else {
    t.push_back({.name = "--device cuda without a GPU", .args = train({"--device", "cuda"}), .exit_code = 5,
                 .message = "^halflab-cli: --device cuda: (no usable CUDA device|this build has no CUDA backend).*"
                            "\\(use --device cpu, or --device auto to fall back to the CPU\\)\n$"});
    t.push_back({.name = "training.device cuda in a config without a GPU",
                 .args = train({"--config", "{dir}/c.json"}),
                 .exit_code = 5,
                 .message = "^halflab-cli: training.device cuda: ",
                 .setup = [](const QString& dir) {
                   halflab::test::writeFile(dir + "/c.json", R"({"training": {"device": "cuda"}})");
                 }});
    t.push_back({.name = "--device cuda stores nothing", .args = {"train", "-q", "--dataset", "spirals",
                                                                  "--device", "cuda", "--db", "{dir}/s.sqlite"},
                 .exit_code = 5, .message = "--device cuda: ",
                 .after = [](const QString& dir, const CliRun&) {
                   QVERIFY2(!QFile::exists(dir + "/s.sqlite"), "a run that cannot start is not stored");
                 }});
    t.push_back({.name = "bench --device cuda without a GPU",
                 .args = {"bench", "--dataset", "spirals", "--steps", "2", "--device", "cuda"},
                 .exit_code = 5, .message = "^halflab-cli: --device cuda: "});
  }
  t.push_back({.name = "--device auto falls back", .args = train({"--device", "auto"}), .exit_code = 0,
               .message = "", .after = [](const QString&, const CliRun& r) {
                 QVERIFY2(!r.err.contains("halflab-cli:"), qPrintable(r.err));
               }});
  return t;
}

}  // namespace

class TestBadInputFlags : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputFlags)
#include "test_bad_input_flags.moc"
