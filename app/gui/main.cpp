// halflab: the Qt workbench. Scripted options make it usable for screenshots and
// benchmarks without a person at the keyboard.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <QApplication>
#include <QSpinBox>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include "plots/plot_panel.hpp"
#include "plots/replot_benchmark.hpp"
#include "ui/training_session.hpp"
#include "ui/config_panel.hpp"
#include "ui/latency_probe.hpp"
#include "ui/lessons_panel.hpp"
#include "ui/main_window.hpp"

using namespace halflab;

namespace {
// A short Fashion-MNIST config for demos and the latency benchmark (~20 s on 2 cores).
RunConfig demoConfig(int steps) {
  RunConfig cfg = defaultGuiConfig();
  cfg.name = "Demo";
  cfg.dataset.train_limit = 20000;
  cfg.dataset.test_limit = 2000;
  cfg.training.max_steps = steps;
  cfg.training.epochs = 100;  // max_steps ends the run; 157 steps per epoch at this size
  cfg.training.eval_every = 20;
  cfg.training.histogram_every = 5;
  // Start too high and grow quickly, so even a short demo shows back-offs and growth.
  cfg.precision.scaler.init_scale = 16777216;
  cfg.precision.scaler.growth_interval = 25;
  return cfg;
}

void grabTo(MainWindow& window, const QString& path) {
  QDir().mkpath(QFileInfo(path).absolutePath());
  if (window.grab().save(path))
    std::printf("screenshot written to %s\n", qPrintable(path));
  else
    std::fprintf(stderr, "halflab: cannot write screenshot %s\n", qPrintable(path));
}
}  // namespace

int main(int argc, char** argv) {
  // --help and --version need no screen: print them even where no display is set.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "-h" || a == "--help" || a == "-v" || a == "--version") && !std::getenv("DISPLAY") &&
        !std::getenv("WAYLAND_DISPLAY") && !std::getenv("QT_QPA_PLATFORM"))
      setenv("QT_QPA_PLATFORM", "offscreen", 1);
  }
  QApplication app(argc, argv);
  initResources();
  QApplication::setOrganizationName("HalfLab");
  QApplication::setApplicationName("halflab");
  QApplication::setApplicationVersion(HALFLAB_VERSION);
  QApplication::setWindowIcon(QIcon(":/icons/halflab.svg"));

  QCommandLineParser parser;
  parser.setApplicationDescription("HalfLab: a workbench for mixed-precision training experiments");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption store_opt("store", "Run store (SQLite file) to use.", "path");
  QCommandLineOption demo_ab_opt("demo-ab", "Start an A/B run (FP32 vs FP16-AMP) on a short Fashion-MNIST config.");
  QCommandLineOption lesson_opt("lesson", "Load and run a lesson by number (1-5) or id.", "lesson");
  QCommandLineOption shot_opt("screenshot", "Grab the window to this PNG and quit.", "file");
  QCommandLineOption after_opt("after-ms", "With --screenshot: grab after this many ms (0 = when the runs finish).", "ms", "0");
  QCommandLineOption after_step_opt("after-step",
                                    "With --screenshot: grab when the last run of the batch (e.g. an A/B's second arm) "
                                    "reaches this step, however fast the machine.",
                                    "n", "0");
  QCommandLineOption show_opt("show-plot",
                              "Bring this plot into view first (loss, accuracy, scale, throughput, histogram, "
                              "histogram_map, rounding), e.g. for a screenshot of another tab.",
                              "plot");
  QCommandLineOption dock_opt("show-dock",
                              "Bring this panel to the front (model, runs, comparison, groups, lessons).", "dock");
  QCommandLineOption config_opt("config", "Load this run config (JSON) into the form.", "file");
  QCommandLineOption steps_opt("steps", "Steps of the demo / benchmark run.", "n", "150");
  QCommandLineOption seeds_opt("seeds", "With --demo-ab: seeds per mode (the A/B seeds box).", "n", "1");
  QCommandLineOption latency_opt("bench-latency", "Train the demo config and print the GUI event-loop latency p50/p99.");
  QCommandLineOption replot_opt("bench-replot", "Print the replot cost of 10 runs x 100,000 points and quit.");
  parser.addOptions({store_opt, demo_ab_opt, lesson_opt, shot_opt, after_opt, after_step_opt, show_opt, steps_opt,
                     latency_opt, replot_opt, seeds_opt, dock_opt, config_opt});
  parser.process(app);

  if (parser.isSet(replot_opt)) {
    const ReplotBenchmark result = runReplotBenchmark();
    std::printf("%s\n", qPrintable(result.describe()));
    return 0;
  }

  const bool scripted = parser.isSet(shot_opt) || parser.isSet(latency_opt);
  MainWindow window(parser.value(store_opt), scripted);
  window.show();
  const int steps = parser.value(steps_opt).toInt();

  if (parser.isSet(config_opt)) {
    try {
      window.configPanel()->setConfig(RunConfig::fromFile(parser.value(config_opt).toStdString()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "halflab: %s: %s\n", qPrintable(parser.value(config_opt)), e.what());
      return 2;
    }
  }
  if (parser.isSet(dock_opt) && !window.raiseDock(parser.value(dock_opt))) {
    std::fprintf(stderr, "halflab: no panel '%s' (model, runs, comparison, groups, lessons)\n",
                 qPrintable(parser.value(dock_opt)));
    return 2;
  }

  bool started = false;
  if (parser.isSet(latency_opt)) {
    window.configPanel()->setConfig(demoConfig(steps));
    started = window.startRun();
    QObject::connect(&window, &MainWindow::batchFinished, &app, [&] {
      const LatencyProbe* p = window.latencyProbe();
      std::printf("event-loop latency during training: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu ticks "
                  "(target p99 < 50 ms)\n",
                  p->p50(), p->p99(), p->maxLateness(), p->samples());
      if (!window.lastError().isEmpty()) std::printf("last error: %s\n", qPrintable(window.lastError()));
      app.quit();
    });
    if (!started) {
      std::fprintf(stderr, "halflab: could not start the benchmark run: %s\n", qPrintable(window.lastError()));
      return 1;
    }
  } else if (parser.isSet(demo_ab_opt)) {
    window.configPanel()->setConfig(demoConfig(steps));
    window.abSeedsBox()->setValue(std::max(1, parser.value(seeds_opt).toInt()));
    started = window.startAB();
  } else if (parser.isSet(lesson_opt)) {
    const QString wanted = parser.value(lesson_opt);
    for (const Lesson& l : window.lessonsPanel()->lessons())
      if (l.id == wanted || l.id.startsWith(wanted + "_")) {
        window.loadLesson(l, true);
        started = true;
        break;
      }
    if (!started) std::fprintf(stderr, "halflab: no lesson '%s'\n", qPrintable(wanted));
  }

  if (parser.isSet(show_opt)) {
    const QString id = parser.value(show_opt);
    if (!window.plotPanel()->plot(id)) {
      std::fprintf(stderr, "halflab: no plot '%s'\n", qPrintable(id));
      return 2;
    }
    window.plotPanel()->showPlot(id);
  }

  if (parser.isSet(shot_opt)) {
    const QString path = parser.value(shot_opt);
    const int after_ms = parser.value(after_opt).toInt();
    const qint64 after_step = parser.value(after_step_opt).toLongLong();
    if (after_step > 0 && started) {
      auto grabbed = std::make_shared<bool>(false);  // once: the stop below ends the batch too
      QObject::connect(window.session(), &TrainingSession::progressChanged, &app,
                       [&, grabbed, after_step](const TrainingProgress& p) {
                         if (*grabbed || p.job + 1 < p.jobs || p.step < after_step) return;
                         *grabbed = true;
                         // Let this drain's replot land before grabbing.
                         QTimer::singleShot(300, &app, [&] {
                           grabTo(window, path);
                           window.session()->stop();
                           app.quit();
                         });
                       });
      // A run shorter than the step asked for: grab at its end.
      QObject::connect(&window, &MainWindow::batchFinished, &app, [&, grabbed] {
        if (*grabbed) return;
        *grabbed = true;
        grabTo(window, path);
        app.quit();
      });
    } else if (after_ms > 0 || !started) {
      QTimer::singleShot(std::max(after_ms, 500), &app, [&] {
        grabTo(window, path);
        window.session()->stop();
        app.quit();
      });
    } else {
      QObject::connect(&window, &MainWindow::batchFinished, &app, [&] {
        // Let the final replot land before grabbing.
        QTimer::singleShot(300, &app, [&] {
          grabTo(window, path);
          app.quit();
        });
      });
    }
  }
  return app.exec();
}
