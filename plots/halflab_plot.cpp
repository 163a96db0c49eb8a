#include "plots/halflab_plot.hpp"

#include "plots/legend_row.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QFileInfo>
#include <QSvgGenerator>
#include <QToolTip>

namespace halflab {

HalflabPlot::HalflabPlot(const QString& title, QWidget* parent) : QCustomPlot(parent), title_(title) {
  setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  connect(&deferred_refresh_, &QTimer::timeout, this, [this] { refresh(false); });
  setNoAntialiasingOnDrag(true);
  setPlottingHint(QCP::phFastPolylines, true);
  setMinimumSize(260, 180);
  plotLayout()->insertRow(0);
  title_element_ = new QCPTextElement(this, title, QFont(font().family(), 10, QFont::Bold));
  plotLayout()->addElement(0, 0, title_element_);
  putLegendInRow(*this, 1);
  xAxis->setLabel(xLabel());
  setMouseTracking(true);
  // Any drag or wheel zoom means the user wants this view: stop auto-ranging.
  connect(this, &QCustomPlot::mouseWheel, this, [this] { user_moved_view_ = true; });
  connect(this, &QCustomPlot::mousePress, this, [this] { user_moved_view_ = true; });
}

void HalflabPlot::setTraces(const QList<std::shared_ptr<const RunTrace>>& traces) {
  traces_ = traces;
  drawn_revisions_.clear();
  refresh(true);
}

void HalflabPlot::setXAxisMode(XAxisMode mode) {
  if (mode == x_mode_) return;
  x_mode_ = mode;
  xAxis->setLabel(xLabel());
  user_moved_view_ = false;
  refresh(true);
}

void HalflabPlot::setLogY(bool on) {
  if (!supportsLogY()) return;
  log_y_ = on;
  yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (on) {
    yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    yAxis->setNumberFormat("eb");
    yAxis->setNumberPrecision(0);
  } else {
    yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    yAxis->setNumberFormat("gb");
    yAxis->setNumberPrecision(6);
  }
  refresh(true);
}

bool HalflabPlot::changedSinceDrawn() const {
  if (stale_ || drawn_revisions_.size() != traces_.size()) return true;
  for (int i = 0; i < traces_.size(); ++i)
    if (traces_[i]->revision != drawn_revisions_[i]) return true;
  return false;
}

void HalflabPlot::refresh(bool force) {
  if (!force && !changedSinceDrawn()) return;
  // A hidden tab of a shown window: draw when it is shown (showEvent).
  if (window()->isVisible() && !isVisible()) {
    stale_ = true;
    return;
  }
  if (!force && since_refresh_.isValid()) {
    const double wait_ms = 3.0 * last_cost_ms_ - static_cast<double>(since_refresh_.elapsed());
    if (wait_ms > 0) {
      if (!deferred_refresh_.isActive()) {
        deferred_refresh_.setSingleShot(true);
        deferred_refresh_.start(static_cast<int>(wait_ms) + 1);
      }
      return;
    }
  }
  QElapsedTimer cost;
  cost.start();
  redraw();
  replot(isVisible() ? QCustomPlot::rpImmediateRefresh : QCustomPlot::rpQueuedReplot);
  last_cost_ms_ = static_cast<double>(cost.nsecsElapsed()) / 1e6;
  since_refresh_.start();
}

void HalflabPlot::redraw() {
  stale_ = false;
  drawn_revisions_.clear();
  for (const auto& t : traces_) drawn_revisions_.push_back(t->revision);
  rebuild();
  if (!user_moved_view_) autoRange();
  placeLegend();
}

void HalflabPlot::ensureDrawn() {
  if (changedSinceDrawn()) redraw();
}

void HalflabPlot::showEvent(QShowEvent* event) {
  QCustomPlot::showEvent(event);
  if (stale_) refresh(true);
}

void HalflabPlot::resetView() {
  user_moved_view_ = false;
  autoRange();
  replot();
}

void HalflabPlot::placeLegend() {
  // As many columns as the widest entry allows.
  int widest = 1, items = 0;
  for (int i = 0; i < legend->itemCount(); ++i)
    if (QCPAbstractLegendItem* item = legend->item(i)) {  // empty grid cells have none
      widest = std::max(widest, item->minimumOuterSizeHint().width() + legend->columnSpacing());
      ++items;
    }
  const int columns = std::clamp(std::max(1, width() - 20) / widest, 1, std::max(1, items));
  if (legend->wrap() != columns) {
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
  }
}

void HalflabPlot::autoRange() {
  rescaleAxes(true);
  if (log_y_ && yAxis->range().lower <= 0) yAxis->setRangeLower(1e-6);
  // A little headroom so lines do not stick to the frame.
  const QCPRange y = yAxis->range();
  if (!log_y_ && y.size() > 0) yAxis->setRange(y.lower - 0.04 * y.size(), y.upper + 0.04 * y.size());
}

QCPGraph* HalflabPlot::addLine(const QString& name, const QVector<double>& keys,
                               const QVector<double>& values, const QPen& pen) {
  auto* g = addGraph();
  g->setName(name);
  g->setPen(pen);
  g->setAdaptiveSampling(true);
  // Antialiasing a dense line costs more than it shows; long series draw without it.
  g->setAntialiased(keys.size() < 20000);
  g->setData(keys, values, true);
  return g;
}

QString HalflabPlot::readoutAt(const QPointF& pixel) const {
  double best = 12.0;  // pixels: nothing further away counts as "near"
  QString text;
  for (int i = 0; i < graphCount(); ++i) {
    const QCPGraph* g = const_cast<HalflabPlot*>(this)->graph(i);
    if (!g->visible() || g->data()->isEmpty() || g->name().isEmpty()) continue;
    const double key = g->keyAxis()->pixelToCoord(pixel.x());
    auto it = g->data()->findBegin(key, true);
    for (int k = 0; k < 2 && it != g->data()->constEnd(); ++k, ++it) {
      const QPointF p = g->coordsToPixels(it->key, it->value);
      const double d = std::hypot(p.x() - pixel.x(), p.y() - pixel.y());
      if (d < best) {
        best = d;
        text = QStringLiteral("%1\n%2 = %3\nvalue = %4")
                   .arg(g->name(), x_mode_ == XAxisMode::Step ? tr("step") : tr("time (s)"))
                   .arg(it->key, 0, 'g', 7)
                   .arg(it->value, 0, 'g', 6);
      }
    }
  }
  return text;
}

void HalflabPlot::mouseMoveEvent(QMouseEvent* event) {
  QCustomPlot::mouseMoveEvent(event);
  if (event->buttons() != Qt::NoButton) return;
  const QString text = readoutAt(event->position());
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void HalflabPlot::mouseDoubleClickEvent(QMouseEvent* event) {
  QCustomPlot::mouseDoubleClickEvent(event);
  resetView();
}

QString exportPlot(QCustomPlot* plot, const QString& path, int width, int height) {
  if (auto* own = qobject_cast<HalflabPlot*>(plot)) own->ensureDrawn();
  const QString suffix = QFileInfo(path).suffix().toLower();
  bool ok = false;
  if (suffix == "png") {
    ok = plot->savePng(path, width, height);
  } else if (suffix == "pdf") {
    ok = plot->savePdf(path, width, height);
  } else if (suffix == "svg") {
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(QSize(width, height));
    generator.setViewBox(QRect(0, 0, width, height));
    generator.setTitle(QStringLiteral("HalfLab plot"));
    QCPPainter painter;
    ok = painter.begin(&generator);
    if (ok) {
      plot->toPainter(&painter, width, height);
      ok = painter.end();
    }
  } else {
    return QObject::tr("Unknown plot format '%1' for %2: use .png, .pdf or .svg").arg(suffix, path);
  }
  if (!ok) return QObject::tr("Could not write %1 (is the folder writable?)").arg(path);
  if (QFileInfo(path).size() <= 0) return QObject::tr("Writing %1 produced an empty file").arg(path);
  return {};
}

}  // namespace halflab
