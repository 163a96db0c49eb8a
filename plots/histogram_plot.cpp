#include "plots/histogram_plot.hpp"

#include <algorithm>
#include <cmath>

#include "plots/format_zones.hpp"

namespace halflab {

namespace {
constexpr int kSpecialRows = 3;  // height of the map's zero and inf/NaN bands
}  // namespace

// Ticks labelled 2^k; on the map only inside the exponent rows (not in the bands).
class PowerOfTwoTicker : public QCPAxisTicker {
 public:
  void setLabelledRange(double lo, double hi) { lo_ = lo; hi_ = hi; }

 protected:
  QString getTickLabel(double tick, const QLocale&, QChar, int) override {
    if (tick < lo_ - 1e-9 || tick > hi_ + 1e-9) return {};
    return QStringLiteral("2^%1").arg(static_cast<int>(std::lround(tick)));
  }

 private:
  double lo_ = -1e300, hi_ = 1e300;
};

namespace {

// Where the bars of exact zeros and of inf/NaN sit, left and right of the exponent bins.
double zeroBarKey(const HistogramRecord& h) { return h.min_exp - 1.5; }
double nonFiniteBarKey(const HistogramRecord& h) { return h.max_exp + 2.5; }

const RunTrace* focusTrace(const QList<std::shared_ptr<const RunTrace>>& traces) {
  // The first run whose gradients were stored in a low format (what these plots are
  // about: an A/B's fp16 arm, not its fp32 baseline), else the first with histograms.
  for (const auto& t : traces)
    for (const auto& h : t->histograms)
      if (h.kind == "grad" && h.format != Format::FP32) return t.get();
  for (const auto& t : traces)
    if (!t->histograms.empty()) return t.get();
  return nullptr;
}

// The FP32 ghost recorded beside a stored histogram (same tensor and step), if any.
const HistogramRecord* ghostOf(const RunTrace& trace, const HistogramRecord& stored) {
  const std::string kind = stored.kind + "_fp32";
  for (auto it = trace.histograms.rbegin(); it != trace.histograms.rend(); ++it)
    if (it->step == stored.step && it->kind == kind && it->tensor == stored.tensor) return &*it;
  return nullptr;
}

std::int64_t elementsOf(const HistogramRecord& h) {
  std::int64_t n = h.zeros + h.infs + h.nans;
  for (auto b : h.bins) n += b;
  return n;
}

// Elements whose magnitude is below 2^e (exact zeros not counted).
std::int64_t below(const HistogramRecord& h, double e) {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < h.bins.size(); ++i)
    if (h.min_exp + static_cast<double>(i) + 1 <= e) n += h.bins[i];
  return n;
}

// The histograms of the chosen tensor, or of the trace's first tensor when it has none
// of the chosen one; `shown` gets the tensor's name.
std::vector<const HistogramRecord*> shownHistograms(const RunTrace& trace, const QString& wanted, QString* shown) {
  *shown = wanted;
  if (shown->isEmpty() || trace.histogramsOf(*shown).empty()) {
    const QStringList names = trace.histogramTensors();
    if (names.isEmpty()) return {};
    *shown = names.front();
  }
  return trace.histogramsOf(*shown);
}

// A bold label (the "= 0" and "inf/NaN" tags); the caller places it.
QCPItemText* addTag(QCustomPlot* plot, const QString& text, int point_size, const QColor& color,
                    const QColor& background) {
  auto* tag = new QCPItemText(plot);
  tag->setText(text);
  tag->setFont(QFont(plot->font().family(), point_size, QFont::Bold));
  tag->setColor(color);
  tag->setBrush(background);
  tag->setClipToAxisRect(true);
  return tag;
}
}  // namespace

HistogramPlot::HistogramPlot(QWidget* parent)
    : HalflabPlot(tr("Gradient magnitudes (log2 |g|)"), parent) {
  xAxis->setLabel(tr("log2 |gradient|"));
  yAxis->setLabel(tr("elements"));
  ticker_ = QSharedPointer<PowerOfTwoTicker>(new PowerOfTwoTicker);
  ticker_->setTickCount(10);
  xAxis->setTicker(ticker_);
  // Rows: title, legend, data, footer.
  plotLayout()->insertRow(3);
  footer_ = new QCPTextElement(this, QString(), QFont(font().family(), 8));
  plotLayout()->addElement(3, 0, footer_);
}

void HistogramPlot::setTensor(const QString& tensor) {
  if (tensor == tensor_) return;
  tensor_ = tensor;
  refresh(true);
}

void HistogramPlot::shade(double from, double to, const QColor& color, const QString& label) {
  if (to <= from) return;  // the zone lies outside the bins (e.g. FP32's subnormals)
  auto* rect = new QCPItemRect(this);
  rect->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
  rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
  rect->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
  rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
  rect->topLeft->setCoords(from, 0);
  rect->bottomRight->setCoords(to, 1);
  rect->setPen(Qt::NoPen);
  rect->setBrush(color);
  rect->setLayer("background");
  rect->setClipToAxisRect(true);
  auto* text = new QCPItemText(this);
  text->position->setTypeX(QCPItemPosition::ptPlotCoords);
  text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
  text->position->setCoords((from + to) / 2.0, 0.02);
  text->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
  text->setText(label);
  text->setFont(QFont(font().family(), 8));
  text->setColor(QColor(80, 80, 80));
  text->setClipToAxisRect(true);
}

void HistogramPlot::rebuild() {
  clearPlottables();
  clearItems();
  bars_ = nullptr;
  drawn_bins_ = 0;
  shown_ = nullptr;
  ghost_ = nullptr;
  const RunTrace* trace = focusTrace(traces());
  if (!trace) {
    footer_->setText(tr("No histograms yet (training.histogram_every > 0 records them)"));
    return;
  }
  QString tensor;
  const auto records = shownHistograms(*trace, tensor_, &tensor);
  if (records.empty()) return;
  const HistogramRecord& h = *records.back();
  shown_ = &h;

  const FormatZones z = formatZones(h.format);
  const double lo = h.min_exp, hi = h.max_exp + 1;
  ticker_->setLabelledRange(lo, hi);  // no 2^k labels under the zero and inf/NaN bars
  auto clampX = [&](double v) { return std::clamp(v, lo - 3.0, hi + 3.0); };
  shade(clampX(lo - 1000), clampX(z.subnormal_from), QColor(120, 120, 120, 45), tr("→ 0"));
  shade(clampX(z.subnormal_from), clampX(z.normal_from), QColor(255, 190, 60, 60), tr("subnormal"));
  shade(clampX(z.normal_from), clampX(z.overflow_from), QColor(90, 180, 90, 35), tr("normal"));
  shade(clampX(z.overflow_from), clampX(hi + 1000), QColor(220, 60, 60, 55), tr("overflow"));

  bars_ = new QCPBars(xAxis, yAxis);
  bars_->setName(tr("as stored in %1 (× loss scale)").arg(formatLabel(h.format)));
  bars_->setWidth(0.9);
  // No dark border: the only dark line is the FP32 outline, visible even where it
  // coincides with the bars (BF16 loses no range).
  bars_->setPen(QPen(trace->color.lighter(115)));
  bars_->setBrush(trace->color);
  QVector<double> keys, values;
  for (std::size_t i = 0; i < h.bins.size(); ++i) {
    keys.push_back(h.min_exp + static_cast<double>(i) + 0.5);
    values.push_back(static_cast<double>(h.bins[i]));
    if (h.bins[i] > 0) ++drawn_bins_;
  }
  bars_->setData(keys, values, true);
  if (logY()) bars_->setBaseValue(0.5);
  // Exact zeros and non-finite values have no exponent: they get bars of their own at
  // either end, since they are what underflow and overflow produce.
  auto* special = new QCPBars(xAxis, yAxis);
  special->setWidth(1.6);
  special->setPen(QPen(QColor(60, 60, 60)));
  special->setBrush(QColor(110, 110, 110));
  special->setData({zeroBarKey(h), nonFiniteBarKey(h)},
                   {static_cast<double>(h.zeros), static_cast<double>(h.infs + h.nans)}, true);
  if (logY()) special->setBaseValue(0.5);
  special->removeFromLegend();
  ghost_ = ghostOf(*trace, h);
  if (ghost_) drawGhost(*ghost_);
  for (const auto& [key, label] : {std::pair{zeroBarKey(h), tr("= 0")}, std::pair{nonFiniteBarKey(h), tr("inf/NaN")}}) {
    auto* tag = addTag(this, label, 8, QColor(60, 60, 60), QColor(255, 255, 255, 210));
    tag->position->setTypeX(QCPItemPosition::ptPlotCoords);
    tag->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    tag->position->setCoords(key, 0.12);
    tag->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
  }
  QString footer = tr("%1  ·  %2 %3 at step %4  ·  zeros %5  inf %6  NaN %7")
                       .arg(trace->label, tensor, formatLabel(h.format))
                       .arg(h.step)
                       .arg(h.zeros)
                       .arg(h.infs)
                       .arg(h.nans);
  if (ghost_) {
    // The paper's figure in one line: how much of the FP32 gradient the format cannot hold.
    const double n = std::max<double>(1.0, static_cast<double>(elementsOf(*ghost_)));
    const auto pct = [&](std::int64_t k) { return QString::number(100.0 * static_cast<double>(k) / n, 'f', 1); };
    footer += tr("\nOutline: the same gradients in FP32 before rounding — %1 % below 2^%2 (lost in %3), "
                 "%4 % subnormal")
                  .arg(pct(below(*ghost_, z.subnormal_from)))
                  .arg(static_cast<int>(z.subnormal_from))
                  .arg(formatLabel(h.format))
                  .arg(pct(below(*ghost_, z.normal_from) - below(*ghost_, z.subnormal_from)));
  }
  footer_->setText(footer);
}

void HistogramPlot::drawGhost(const HistogramRecord& g) {
  // A step outline over the bars (no fill, so both stay readable), closed at either end.
  QVector<double> keys{g.min_exp - 0.5}, values{0};
  for (std::size_t i = 0; i < g.bins.size(); ++i) {
    keys << g.min_exp + static_cast<double>(i) + 0.5;
    values << static_cast<double>(g.bins[i]);
  }
  keys << g.max_exp + 1.5;
  values << 0;
  const QPen pen(QColor(20, 20, 20), 1.8);
  auto* outline = new QCPGraph(xAxis, yAxis);
  outline->setName(tr("the same gradients in FP32, before rounding"));
  outline->setLineStyle(QCPGraph::lsStepCenter);
  outline->setPen(pen);
  outline->setData(keys, values, true);
  // Its exact zeros and inf/NaN as outlined bars beside the stored ones.
  auto* special = new QCPBars(xAxis, yAxis);
  special->setWidth(1.6);
  special->setPen(pen);
  special->setBrush(Qt::NoBrush);
  special->setData({zeroBarKey(g), nonFiniteBarKey(g)},
                   {static_cast<double>(g.zeros), static_cast<double>(g.infs + g.nans)}, true);
  if (logY()) special->setBaseValue(0.5);
  special->removeFromLegend();
}

void HistogramPlot::autoRange() {
  if (!shown_) return;
  xAxis->setRange(shown_->min_exp - 3, shown_->max_exp + 4.5);
  double top = 1.0;
  for (const HistogramRecord* h : {shown_, ghost_}) {
    if (!h) continue;
    top = std::max({top, static_cast<double>(h->zeros), static_cast<double>(h->infs + h->nans)});
    for (auto b : h->bins) top = std::max(top, static_cast<double>(b));
  }
  yAxis->setRange(logY() ? 0.5 : 0.0, logY() ? top * 2 : top * 1.1);
}

QString HistogramPlot::footerText() const { return footer_->text(); }

QString HistogramPlot::readoutAt(const QPointF& pixel) const {
  if (!shown_) return {};
  const double x = xAxis->pixelToCoord(pixel.x());
  const QString fp32 = tr("\n%1 in FP32 before rounding");
  if (std::abs(x - zeroBarKey(*shown_)) <= 0.8)
    return tr("exactly 0\n%1 elements").arg(shown_->zeros) + (ghost_ ? fp32.arg(ghost_->zeros) : QString());
  if (std::abs(x - nonFiniteBarKey(*shown_)) <= 0.8)
    return tr("not finite\n%1 inf, %2 NaN").arg(shown_->infs).arg(shown_->nans) +
           (ghost_ ? fp32.arg(ghost_->infs + ghost_->nans) : QString());
  const int bin = static_cast<int>(std::floor(x)) - shown_->min_exp;
  if (bin < 0 || bin >= static_cast<int>(shown_->bins.size())) return {};
  const int e = shown_->min_exp + bin;
  // The end bins also hold everything beyond them.
  const QString range = bin == 0 ? tr("|g| < 2^%1").arg(e + 1)
                        : bin + 1 == static_cast<int>(shown_->bins.size()) ? tr("|g| ≥ 2^%1").arg(e)
                                                                         : tr("2^%1 ≤ |g| < 2^%2").arg(e).arg(e + 1);
  QString text = tr("%1\n%2 elements").arg(range).arg(shown_->bins[bin]);
  if (ghost_ && ghost_->min_exp == shown_->min_exp && bin < static_cast<int>(ghost_->bins.size()))
    text += fp32.arg(ghost_->bins[bin]);
  return text;
}

HistogramMapPlot::HistogramMapPlot(QWidget* parent)
    : HalflabPlot(tr("Gradient histogram over time"), parent) {
  yAxis->setLabel(tr("log2 |gradient|"));
  ticker_ = QSharedPointer<PowerOfTwoTicker>(new PowerOfTwoTicker);
  yAxis->setTicker(ticker_);
  legend->setVisible(false);
  scale_ = new QCPColorScale(this);
  scale_->setLabel(tr("log10(1+count)"));
  // Thermal, but ending in yellow: its white top would make the busiest row (all-zero
  // gradients in lesson 1, say) look like empty margin next to the frame.
  QCPColorGradient gradient(QCPColorGradient::gpThermal);
  gradient.setColorStopAt(1.0, QColor(255, 235, 50));
  scale_->setGradient(gradient);
  axisRect()->setBackground(QBrush(gradient.color(0, QCPRange(0, 1))));
  plotLayout()->addElement(2, 1, scale_);  // beside the data (rows: title, legend, data)
  auto* group = new QCPMarginGroup(this);
  axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
}

void HistogramMapPlot::setTensor(const QString& tensor) {
  if (tensor == tensor_) return;
  tensor_ = tensor;
  refresh(true);
}

void HistogramMapPlot::rebuild() {
  clearPlottables();
  clearItems();
  map_ = nullptr;
  columns_ = 0;
  const RunTrace* trace = focusTrace(traces());
  if (!trace) return;
  QString tensor;
  const auto records = shownHistograms(*trace, tensor_, &tensor);
  if (records.empty()) return;
  const HistogramRecord& first = *records.front();
  // One row per exponent; below them a band of exact zeros and above them a band of
  // inf/NaN, each kSpecialRows tall (one row would be a hairline) and one empty row apart.
  const int bins = static_cast<int>(first.bins.size());
  const int below = kSpecialRows + 1;
  const int rows = bins + 2 * below;
  columns_ = static_cast<int>(records.size());
  map_ = new QCPColorMap(xAxis, yAxis);
  map_->setColorScale(scale_);
  map_->setInterpolate(false);
  map_->data()->setSize(columns_, rows);
  const double x0 = static_cast<double>(first.step), x1 = static_cast<double>(records.back()->step);
  map_->data()->setRange(QCPRange(x0, columns_ > 1 ? x1 : x0 + 1),
                         QCPRange(first.min_exp - below + 0.5, first.max_exp + below + 0.5));
  auto cellValue = [](double count) { return std::log10(1.0 + count); };
  for (int c = 0; c < columns_; ++c) {
    const HistogramRecord& rec = *records[c];
    for (int k = 0; k < kSpecialRows; ++k) {
      map_->data()->setCell(c, k, cellValue(static_cast<double>(rec.zeros)));
      map_->data()->setCell(c, rows - 1 - k, cellValue(static_cast<double>(rec.infs + rec.nans)));
    }
    for (int r = 0; r < bins && r < static_cast<int>(rec.bins.size()); ++r)
      map_->data()->setCell(c, r + below, cellValue(static_cast<double>(rec.bins[r])));
  }
  exp_lo_ = first.min_exp;
  exp_hi_ = first.max_exp;
  ticker_->setLabelledRange(first.min_exp, first.max_exp + 1);
  const double band = kSpecialRows / 2.0;
  for (const auto& [y, label] : {std::pair{first.min_exp - below + band, tr("= 0")},
                                 std::pair{first.max_exp + 1 + 1 + band, tr("inf/NaN")}}) {
    auto* tag = addTag(this, label, 7, QColor(255, 255, 255, 230), QColor(0, 0, 0, 140));
    tag->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    tag->position->setTypeY(QCPItemPosition::ptPlotCoords);
    tag->position->setCoords(0.005, y);
    tag->setPositionAlignment(Qt::AlignVCenter | Qt::AlignLeft);
  }
  map_->rescaleDataRange(true);
  // Format boundaries as horizontal lines.
  const FormatZones z = formatZones(first.format);
  for (double e : {static_cast<double>(first.min_exp), static_cast<double>(first.max_exp + 1)}) {
    auto* line = new QCPItemStraightLine(this);  // the zero and inf/NaN rows' borders
    line->point1->setCoords(0, e);
    line->point2->setCoords(1, e);
    line->setPen(QPen(QColor(200, 200, 200, 160), 1));
  }
  for (double e : {z.subnormal_from, z.normal_from, z.overflow_from}) {
    if (e < first.min_exp || e > first.max_exp + 1) continue;
    auto* line = new QCPItemStraightLine(this);
    line->point1->setCoords(0, e);
    line->point2->setCoords(1, e);
    line->setPen(QPen(QColor(255, 255, 255, 200), 1, Qt::DashLine));
  }
  title_element_->setText(tr("Gradient histogram over time: %1 (%2)").arg(tensor, formatLabel(first.format)));
}

void HistogramMapPlot::autoRange() {
  if (!map_) return;
  rescaleAxes();
  // Whole rows: the zero row at the bottom and the inf/NaN row at the top included.
  const QCPRange rows = map_->data()->valueRange();
  yAxis->setRange(rows.lower - 0.5, rows.upper + 0.5);
}

QString HistogramMapPlot::readoutAt(const QPointF& pixel) const {
  if (!map_) return {};
  const double key = xAxis->pixelToCoord(pixel.x());
  const double value = yAxis->pixelToCoord(pixel.y());
  int c = 0, r = 0;
  map_->data()->coordToCell(key, value, &c, &r);
  if (c < 0 || r < 0 || c >= map_->data()->keySize() || r >= map_->data()->valueSize()) return {};
  const double z = map_->data()->cell(c, r);
  const double e = std::floor(value);
  QString what;
  if (e < exp_lo_ - 1) what = tr("exactly 0");
  else if (e > exp_hi_ + 1) what = tr("inf / NaN");
  else if (e >= exp_lo_ && e <= exp_hi_) what = tr("2^%1").arg(static_cast<int>(e));
  else return {};  // the empty row between a band and the exponents
  return tr("step ≈ %1\n%2\n%3 elements").arg(key, 0, 'f', 0).arg(what).arg(std::pow(10.0, z) - 1.0, 0, 'f', 0);
}

}  // namespace halflab
