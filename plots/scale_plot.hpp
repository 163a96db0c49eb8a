#pragma once
// The loss scale on a log2 axis (2^k tick labels), one step line per run, and every
// overflow / skipped step marked with a cross; hovering a cross tells step and scale.
// Runs without loss scaling (scale 1 throughout) are named in the legend, not drawn. The
// legend sits above the data, so it never hides the saw-tooth or a cross.
#include "plots/halflab_plot.hpp"

namespace halflab {

class ScalePlot : public HalflabPlot {
  Q_OBJECT
 public:
  explicit ScalePlot(QWidget* parent = nullptr);
  bool supportsLogY() const override { return false; }  // always log2
  QString readoutAt(const QPointF& pixel) const override;
  // Whether a run's scale ever left 1 or it had an overflow: what this plot draws.
  static bool hasLossScale(const RunTrace& trace);

 protected:
  void rebuild() override;
  void autoRange() override;
};

}  // namespace halflab
