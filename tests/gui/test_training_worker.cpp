// The GUI's training worker runs a config exactly as the CLI's Trainer does: the same
// thread count for threads = 0 (it changes OpenBLAS's reduction order, so the results),
// stored with the run, and so the same loss curve bit for bit.
#include <QtTest>

#include <variant>

#include "engine/train/trainer.hpp"
#include "ui/record_buffer.hpp"
#include "ui/training_worker.hpp"

using namespace halflab;

namespace {

struct Steps : RunObserver {
  RunInfo info;
  std::vector<StepRecord> steps;
  void onRunStarted(const RunInfo& r) override { info = r; }
  void onStep(const StepRecord& r) override { steps.push_back(r); }
};

// Big enough that OpenBLAS splits its GEMMs over several threads (M, N >= 64 and
// M x N x K >= 2^24).
RunConfig threadedConfig() {
  RunConfig c;
  c.dataset.kind = "blobs";
  c.dataset.synthetic_samples = 2000;
  c.model.hidden = {512, 512};
  c.training.batch_size = 128;
  c.training.max_steps = 12;
  c.training.histogram_every = 0;
  c.training.threads = 0;  // the default: all cores
  return c;
}

}  // namespace

class TestTrainingWorker : public QObject {
  Q_OBJECT

 private slots:
  void guiRunsAConfigLikeTheCli() {
    const RunConfig cfg = threadedConfig();
    Steps cli;
    Trainer(cfg).run(cli);

    RecordBuffer buffer;
    TrainingWorker worker(&buffer);
    worker.runJobs({cfg}, QString(), false);  // on this thread; no store
    RunInfo info;
    std::vector<StepRecord> steps;
    for (auto& rec : buffer.drain()) {
      if (auto* i = std::get_if<RunInfo>(&rec)) info = *i;
      if (auto* s = std::get_if<StepRecord>(&rec)) steps.push_back(*s);
    }
    const int cli_threads = RunConfig::fromJsonText(cli.info.config_json).training.threads;
    const int gui_threads = RunConfig::fromJsonText(info.config_json).training.threads;
    QVERIFY(cli_threads >= 1);
    QCOMPARE(gui_threads, cli_threads);
    QCOMPARE(info.device, cli.info.device);
    QCOMPARE(steps.size(), cli.steps.size());
    for (std::size_t i = 0; i < steps.size(); ++i)
      QVERIFY2(steps[i].loss == cli.steps[i].loss,
               qPrintable(QString("step %1: %2 vs %3").arg(i + 1).arg(steps[i].loss, 0, 'g', 17)
                              .arg(cli.steps[i].loss, 0, 'g', 17)));
  }
};

QTEST_GUILESS_MAIN(TestTrainingWorker)
#include "test_training_worker.moc"
