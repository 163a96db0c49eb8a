#pragma once
// Gradient log2-magnitude histogram of one tensor (latest record of the focus run: the
// first with low-format gradients, else the first with histograms) with
// the format's zones shaded: flushed to zero, subnormal, normal, overflow. Low-precision
// runs also record the same gradients in FP32 before rounding ("grad_fp32"): drawn as an
// outline over the stored bars, it shows what the format lost (the key figure of
// Micikevicius et al., "Mixed Precision Training").
#include "plots/halflab_plot.hpp"

namespace halflab {

class PowerOfTwoTicker;

class HistogramPlot : public HalflabPlot {
  Q_OBJECT
 public:
  explicit HistogramPlot(QWidget* parent = nullptr);
  void setTensor(const QString& tensor);
  const QString& tensor() const { return tensor_; }
  // Number of non-empty bins currently drawn (tests, status).
  int drawnBins() const { return drawn_bins_; }
  // The FP32 histogram drawn as the outline (null when the run recorded none).
  const HistogramRecord* ghost() const { return ghost_; }
  QString footerText() const;
  QString readoutAt(const QPointF& pixel) const override;

 protected:
  void rebuild() override;
  void autoRange() override;

 private:
  void shade(double from, double to, const QColor& color, const QString& label);
  void drawGhost(const HistogramRecord& ghost);
  QString tensor_;
  QCPBars* bars_ = nullptr;
  QSharedPointer<PowerOfTwoTicker> ticker_;
  QCPTextElement* footer_ = nullptr;
  int drawn_bins_ = 0;
  const HistogramRecord* shown_ = nullptr;
  const HistogramRecord* ghost_ = nullptr;
};

// The same histogram over time: x = step, y = log2 exponent, colour = log10(1 + count).
class HistogramMapPlot : public HalflabPlot {
  Q_OBJECT
 public:
  explicit HistogramMapPlot(QWidget* parent = nullptr);
  void setTensor(const QString& tensor);
  bool supportsLogY() const override { return false; }
  int columns() const { return columns_; }
  QString readoutAt(const QPointF& pixel) const override;

 protected:
  void rebuild() override;
  void autoRange() override;

 private:
  QString tensor_;
  QCPColorMap* map_ = nullptr;
  QCPColorScale* scale_ = nullptr;
  QSharedPointer<PowerOfTwoTicker> ticker_;
  int columns_ = 0;
  int exp_lo_ = 0, exp_hi_ = 0;  // exponent rows shown (the bands lie outside)
};

}  // namespace halflab
