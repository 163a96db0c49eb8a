#include "plots/halflab_plot.hpp"

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
  legend->setVisible(true);
  legend->setFont(QFont(font().family(), 8));
  legend->setBrush(QColor(255, 255, 255, 200));
  legend->setRowSpacing(-3);
  axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
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

void HalflabPlot::refresh(bool force) {
  bool changed = force || stale_ || drawn_revisions_.size() != traces_.size();
  if (!changed)
    for (int i = 0; i < traces_.size(); ++i)
      if (traces_[i]->revision != drawn_revisions_[i]) { changed = true; break; }
  if (!changed) return;
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
  stale_ = false;
  drawn_revisions_.clear();
  for (const auto& t : traces_) drawn_revisions_.push_back(t->revision);
  rebuild();
  if (!user_moved_view_) autoRange();
  placeLegend();
  replot(isVisible() ? QCustomPlot::rpImmediateRefresh : QCustomPlot::rpQueuedReplot);
  last_cost_ms_ = static_cast<double>(cost.nsecsElapsed()) / 1e6;
  since_refresh_.start();
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

namespace {

// Whether the segment a-b crosses or lies in r.
bool segmentHits(const QRectF& r, const QPointF& a, const QPointF& b) {
  if (r.contains(a) || r.contains(b)) return true;
  if (std::max(a.x(), b.x()) < r.left() || std::min(a.x(), b.x()) > r.right() ||
      std::max(a.y(), b.y()) < r.top() || std::min(a.y(), b.y()) > r.bottom())
    return false;
  const QLineF seg(a, b);
  const QLineF edges[] = {{r.topLeft(), r.topRight()}, {r.topRight(), r.bottomRight()},
                          {r.bottomRight(), r.bottomLeft()}, {r.bottomLeft(), r.topLeft()}};
  for (const auto& e : edges)
    if (seg.intersects(e, nullptr) == QLineF::BoundedIntersection) return true;
  return false;
}

// How much of the plotted data a legend at `r` would hide: line segments through it, and
// markers inside it (weighted: a hidden overflow cross is worse than a hidden bit of line).
int dataUnder(QCustomPlot& plot, const QRectF& r) {
  int hits = 0;
  for (int i = 0; i < plot.graphCount(); ++i) {
    QCPGraph* g = plot.graph(i);
    const auto& data = *g->data();
    if (!g->visible() || data.isEmpty()) continue;
    const bool markers = g->lineStyle() == QCPGraph::lsNone;
    const bool steps = g->lineStyle() == QCPGraph::lsStepLeft;
    const int stride = std::max(1, data.size() / 600);  // bounded cost on long runs
    bool have_prev = false;
    QPointF prev;
    for (int k = 0; k < data.size(); k += stride) {
      const auto it = data.constBegin() + k;
      if (!std::isfinite(it->value)) { have_prev = false; continue; }
      const QPointF p = g->coordsToPixels(it->key, it->value);
      if (markers) {
        hits += r.contains(p) ? 3 : 0;
      } else if (have_prev) {
        if (steps) {
          const QPointF corner(p.x(), prev.y());
          hits += segmentHits(r, prev, corner) || segmentHits(r, corner, p);
        } else {
          hits += segmentHits(r, prev, p);
        }
      }
      prev = p;
      have_prev = true;
    }
  }
  return hits;
}

}  // namespace

void HalflabPlot::placeLegend() {
  QCPLayoutInset* inset = axisRect()->insetLayout();
  if (!preferred_legend_place_) preferred_legend_place_ = inset->insetAlignment(0);
  const QRect area = axisRect()->rect();
  if (!legend->visible() || legend->itemCount() == 0 || area.width() < 80 || area.height() < 60) return;
  const QSize size = legend->minimumOuterSizeHint();
  const QList<Qt::Alignment> places{
      preferred_legend_place_,           Qt::AlignTop | Qt::AlignRight,    Qt::AlignTop | Qt::AlignLeft,
      Qt::AlignBottom | Qt::AlignRight,  Qt::AlignBottom | Qt::AlignLeft,  Qt::AlignVCenter | Qt::AlignRight,
      Qt::AlignVCenter | Qt::AlignLeft,  Qt::AlignTop | Qt::AlignHCenter,  Qt::AlignBottom | Qt::AlignHCenter};
  auto rectAt = [&](Qt::Alignment a) {
    const double x = (a & Qt::AlignLeft) ? area.left()
                   : (a & Qt::AlignRight) ? area.right() - size.width()
                                          : area.center().x() - size.width() / 2.0;
    const double y = (a & Qt::AlignTop) ? area.top()
                   : (a & Qt::AlignBottom) ? area.bottom() - size.height()
                                           : area.center().y() - size.height() / 2.0;
    return QRectF(x, y, size.width(), size.height());
  };
  // Stay put unless somewhere else hides clearly less: a legend that hops around on every
  // live refresh is worse than one that covers a few points.
  const Qt::Alignment current = inset->insetAlignment(0);
  const int current_hits = dataUnder(*this, rectAt(current));
  if (current_hits == 0) return;
  Qt::Alignment best = current;
  int best_hits = current_hits;
  for (const auto a : places) {
    const int h = dataUnder(*this, rectAt(a));
    if (h < best_hits) { best = a; best_hits = h; }
  }
  if (best != current && best_hits + std::max(2, current_hits / 5) <= current_hits)
    inset->setInsetAlignment(0, best);
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
