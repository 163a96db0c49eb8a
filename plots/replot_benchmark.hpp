#pragma once
// Replot cost of a large overlay: `runs` runs of `points` points each on one loss plot
// (adaptive sampling on). Used by `halflab --bench-replot` and the gui test.
#include <QString>

namespace halflab {

struct ReplotBenchmark {
  int runs = 0;
  int points = 0;
  int replots = 0;
  double mean_ms = 0;
  double best_ms = 0;
  QString describe() const;
};

// Builds the plot offscreen at width x height and times `replots` full replots.
ReplotBenchmark runReplotBenchmark(int runs = 10, int points = 100000, int replots = 20, int width = 1200,
                                   int height = 700);

}  // namespace halflab
