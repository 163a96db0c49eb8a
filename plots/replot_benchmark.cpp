#include "plots/replot_benchmark.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include <QElapsedTimer>

#include "plots/metric_plot.hpp"

namespace halflab {

QString ReplotBenchmark::describe() const {
  return QStringLiteral("replot benchmark: %1 runs x %2 points, %3 replots: mean %4 ms, best %5 ms per replot")
      .arg(runs)
      .arg(points)
      .arg(replots)
      .arg(mean_ms, 0, 'f', 2)
      .arg(best_ms, 0, 'f', 2);
}

ReplotBenchmark runReplotBenchmark(int runs, int points, int replots, int width, int height) {
  QList<std::shared_ptr<const RunTrace>> traces;
  for (int r = 0; r < runs; ++r) {
    auto t = std::make_shared<RunTrace>();
    t->key = QString::number(r);
    t->label = QStringLiteral("run %1").arg(r);
    t->color = runColor(r);
    t->step.resize(points);
    t->wall_s.resize(points);
    t->loss.resize(points);
    std::uint32_t noise = 12345u + r;
    for (int i = 0; i < points; ++i) {
      noise = noise * 1664525u + 1013904223u;  // cheap deterministic jitter
      t->step[i] = i + 1;
      t->wall_s[i] = (i + 1) * 0.01;
      t->loss[i] = 2.3 * std::exp(-i / (points / 4.0)) + 0.1 * r / runs + 0.05 * ((noise >> 8) / 16777216.0);
    }
    traces << t;
  }
  MetricPlot* plot = makeLossPlot();
  std::unique_ptr<MetricPlot> owner(plot);
  plot->resize(width, height);
  plot->setTraces(traces);  // raw (faint) + smoothed: 2 graphs per run
  plot->replot();           // first layout pass is not part of the cost

  ReplotBenchmark result;
  result.runs = runs;
  result.points = points;
  result.replots = replots;
  result.best_ms = 1e30;
  double total = 0;
  for (int i = 0; i < replots; ++i) {
    QElapsedTimer timer;
    timer.start();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const double ms = timer.nsecsElapsed() / 1e6;
    total += ms;
    result.best_ms = std::min(result.best_ms, ms);
  }
  result.mean_ms = replots > 0 ? total / replots : 0;
  return result;
}

}  // namespace halflab
