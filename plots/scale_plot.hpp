#pragma once
// The loss scale on a log2 axis (2^k tick labels), one step line per run, and every
// overflow / skipped step marked with a cross; hovering a cross tells step and scale.
#include "plots/halflab_plot.hpp"

namespace halflab {

class ScalePlot : public HalflabPlot {
  Q_OBJECT
 public:
  explicit ScalePlot(QWidget* parent = nullptr);
  bool supportsLogY() const override { return false; }  // always log2
  QString readoutAt(const QPointF& pixel) const override;

 protected:
  void rebuild() override;
  void autoRange() override;
};

}  // namespace halflab
