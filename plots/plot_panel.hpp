#pragma once
// The live plot area: an overview grid (loss, accuracy, loss scale, throughput), the
// gradient tab (histogram with format zones + histogram over time, tensor chooser) and
// the rounding tab; shared controls for smoothing, x axis and log-y.
#include <memory>

#include <QComboBox>
#include <QList>
#include <QWidget>

#include "plots/halflab_plot.hpp"

class QCheckBox;
class QSlider;
class QTabWidget;
class QLabel;

namespace halflab {

class MetricPlot;
class ScalePlot;
class HistogramPlot;
class HistogramMapPlot;

class PlotPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PlotPanel(QWidget* parent = nullptr);

  void setTraces(const QList<std::shared_ptr<const RunTrace>>& traces);
  // Redraws what changed since the last call (the ~30 Hz GUI timer calls this).
  void refresh();

  // Every plot with a short id ("loss", "accuracy", "scale", "throughput", "histogram",
  // "histogram_map", "rounding"), for export and the lessons' "plot to watch".
  QList<QPair<QString, HalflabPlot*>> plots() const;
  HalflabPlot* plot(const QString& id) const;
  // The plot the user looks at (the one under the mouse last, or the loss plot).
  HalflabPlot* currentPlot() const;
  // Bring a plot into view (switches tab).
  void showPlot(const QString& id);

  MetricPlot* lossPlot() const { return loss_; }
  ScalePlot* scalePlot() const { return scale_; }
  HistogramPlot* histogramPlot() const { return histogram_; }

  // Lesson axes: loss from 0, accuracy over 0..1, so a lesson's run and its reference
  // compare by height; off = every axis fitted to the data.
  void setLessonAxes(bool on);
  bool lessonAxes() const { return lesson_axes_; }

  void setSmoothing(double weight);
  double smoothing() const;
  void setXAxisMode(XAxisMode mode);
  void setLogY(bool on);
  QString tensor() const { return tensor_combo_->currentText(); }

 signals:
  void smoothingChanged(double weight);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void updateTensorChoices();

  QTabWidget* tabs_ = nullptr;
  MetricPlot* loss_ = nullptr;
  MetricPlot* accuracy_ = nullptr;
  ScalePlot* scale_ = nullptr;
  MetricPlot* throughput_ = nullptr;
  HistogramPlot* histogram_ = nullptr;
  HistogramMapPlot* histogram_map_ = nullptr;
  MetricPlot* rounding_ = nullptr;
  QSlider* smoothing_slider_ = nullptr;
  QLabel* smoothing_label_ = nullptr;
  QComboBox* x_axis_combo_ = nullptr;
  QCheckBox* log_y_check_ = nullptr;
  QComboBox* tensor_combo_ = nullptr;
  HalflabPlot* current_ = nullptr;
  QList<std::shared_ptr<const RunTrace>> traces_;
  bool lesson_axes_ = false;
};

}  // namespace halflab
