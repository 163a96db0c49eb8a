// Training as the CLI runs it (issue 9, items 7, 10, 12, 13): a collapsed loss scale ends
// the run as diverged (exit 3), a static scale that skips every step warns once, the new
// limits are validated like every other field (exit 2 naming it), max_steps is the step
// count, the stored config holds the thread count used, and the A/B table's speedup is a
// segment median with the CPU-timing caveat.
#include "cli_case.hpp"

using halflab::test::CliCase;
using halflab::test::CliRun;

namespace {

// A small synthetic run: 2400 training points, batch 128 = 19 steps per epoch.
QStringList spirals(QStringList extra) {
  QStringList a{"train", "--no-db", "--dataset", "spirals", "--hidden", "16,16"};
  return a + extra;
}

std::vector<CliCase> table() {
  return {
      {.name = "max_consecutive_skips below 0",
       .args = spirals({"--set", "precision.max_consecutive_skips=-1"}),
       .exit_code = 2,
       .message = "precision\\.max_consecutive_skips: must be between 0 and 1000000000"},
      {.name = "max_consecutive_skips not whole",
       .args = spirals({"--set", "precision.max_consecutive_skips=2.5"}),
       .exit_code = 2,
       .message = "precision\\.max_consecutive_skips: expected a whole number"},
      {.name = "max_steps past the epoch counter",
       .args = spirals({"--set", "training.max_steps=1000000000000"}),
       .exit_code = 2,
       .message = "training\\.max_steps: must be between 0 and 1000000000"},
      {.name = "collapsed scale diverges",
       .args = spirals({"-m", "fp16-amp", "--scaler", "tf-keras", "--set", "training.loss_weight=1e30", "--set",
                        "precision.max_consecutive_skips=20", "-e", "5"}),
       .exit_code = 3,
       .message = "run diverged: loss scale collapsed to 2\\^0 after 20 consecutive skipped steps: "
                  "every gradient overflows, even unscaled"},
      {.name = "static scale skipping every step warns once",
       .args = spirals({"-m", "fp16-amp", "--scaler", "static", "--init-scale", "16777216", "--max-steps", "30",
                        "--set", "precision.max_consecutive_skips=10"}),
       .exit_code = 0,
       .message = "warning: static loss scale 2\\^24: 10 consecutive steps skipped",
       .after = [](const QString&, const CliRun& r) {
         QCOMPARE(r.err.count("warning: static loss scale"), 1);
       }},
      {.name = "max_steps runs past the epochs",
       .args = spirals({"-q", "-e", "1", "--max-steps", "50", "--jsonl", "-"}),
       .exit_code = 0,
       .message = "\"text\":\"[^\"]* 50 steps\"",
       .after = [](const QString&, const CliRun& r) {
         QVERIFY2(r.out.contains("\"step\":50,"), "no step 50 record");
       }},
      {.name = "stored config holds the thread count used",
       .args = spirals({"-q", "--threads", "0", "--max-steps", "3", "--jsonl", "-"}),
       .exit_code = 0,
       .message = "\"threads\":[1-9][0-9]*[,}]"},
      {.name = "A/B speedup is a segment median with the CPU caveat",
       .args = spirals({"-q", "--ab", "bf16-amp", "--max-steps", "100"}),
       .exit_code = 0,
       .message = "speedup +1\\.00x +[0-9.]+x\\n.*speedup IQR +[0-9.]+-[0-9.]+x\\n"
                  "timed segments +4 x 20\\n.*timings: CPU emulation of fp16/bf16/tf32 — not indicative of GPU speed"},
  };
}

}  // namespace

class TestBadInputTraining : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputTraining)
#include "test_bad_input_training.moc"
