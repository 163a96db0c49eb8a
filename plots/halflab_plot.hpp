#pragma once
// The common base of every HalfLab plot: zoom and pan, a hover read-out, x by step or
// by wall time, an optional log-y axis, and the traces (runs) it overlays.
#include <QElapsedTimer>
#include <QTimer>
#include <memory>

#include <QList>
#include <qcustomplot.h>

#include "plots/run_trace.hpp"

namespace halflab {

enum class XAxisMode { Step, WallTime };

class HalflabPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit HalflabPlot(const QString& title, QWidget* parent = nullptr);

  const QString& title() const { return title_; }
  void setTraces(const QList<std::shared_ptr<const RunTrace>>& traces);
  const QList<std::shared_ptr<const RunTrace>>& traces() const { return traces_; }

  void setXAxisMode(XAxisMode mode);
  XAxisMode xAxisMode() const { return x_mode_; }
  virtual void setLogY(bool on);
  bool logY() const { return log_y_; }
  virtual bool supportsLogY() const { return true; }

  // Rebuilds the graphs of traces whose revision changed (all of them with force) and
  // replots when anything changed. Cheap when nothing moved: called at ~30 Hz. So that a
  // long run never makes the window sluggish, a plot on a hidden tab waits until it is
  // shown, and live refreshes are spaced by a few times what the last one cost (the
  // skipped one still happens, a little later).
  void refresh(bool force = false);
  // Rebuilds now if anything changed since the last drawing, even on a hidden tab: for
  // exports, which draw the plot off screen (a report must not show an empty plot for a
  // tab that was never opened).
  void ensureDrawn();
  // Fit the axes to the data again (after the user zoomed away).
  void resetView();

  // Text shown when hovering at a pixel position; empty = nothing near.
  virtual QString readoutAt(const QPointF& pixel) const;

 protected:
  // Lays the legend (a row above the data, never over it) out in as many columns as the
  // plot's width allows. Called after each rebuild.
  void placeLegend();

  // Recreate all plottables from traces(). Called by refresh() when something changed.
  virtual void rebuild() = 0;
  // Axis ranges after rebuild unless the user has zoomed or dragged.
  virtual void autoRange();

  const QVector<double>& stepKeys(const RunTrace& t) const { return x_mode_ == XAxisMode::Step ? t.step : t.wall_s; }
  const QVector<double>& evalKeys(const RunTrace& t) const { return x_mode_ == XAxisMode::Step ? t.eval_step : t.eval_wall_s; }
  const QVector<double>& infKeys(const RunTrace& t) const { return x_mode_ == XAxisMode::Step ? t.inf_step : t.inf_wall_s; }
  QString xLabel() const { return x_mode_ == XAxisMode::Step ? tr("step") : tr("wall time (s)"); }
  // Adds a line graph with adaptive sampling (large overlays stay fast to replot).
  QCPGraph* addLine(const QString& name, const QVector<double>& keys, const QVector<double>& values,
                    const QPen& pen);

  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void showEvent(QShowEvent* event) override;

  QCPTextElement* title_element_ = nullptr;
  bool user_moved_view_ = false;

 private:
  QString title_;
  QList<std::shared_ptr<const RunTrace>> traces_;
  QList<std::uint64_t> drawn_revisions_;
  bool changedSinceDrawn() const;
  void redraw();

  bool stale_ = false;           // a refresh was skipped while hidden
  QElapsedTimer since_refresh_;  // time since the last live rebuild
  double last_cost_ms_ = 0;      // what that rebuild + replot cost
  QTimer deferred_refresh_;      // the throttled refresh, run later
  XAxisMode x_mode_ = XAxisMode::Step;
  bool log_y_ = false;
};

// Saves a plot by file suffix: .png, .pdf or .svg. Returns an empty string on success,
// otherwise what went wrong.
QString exportPlot(QCustomPlot* plot, const QString& path, int width = 1000, int height = 600);

}  // namespace halflab
