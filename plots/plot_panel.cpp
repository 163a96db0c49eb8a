#include "plots/plot_panel.hpp"

#include <limits>

#include <QCheckBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QTabWidget>
#include <QVBoxLayout>

#include "plots/histogram_plot.hpp"
#include "plots/metric_plot.hpp"
#include "plots/scale_plot.hpp"

namespace halflab {

PlotPanel::PlotPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Smoothing")));
  smoothing_slider_ = new QSlider(Qt::Horizontal);
  smoothing_slider_->setRange(0, 99);
  smoothing_slider_->setValue(60);
  smoothing_slider_->setMaximumWidth(160);
  smoothing_slider_->setToolTip(tr("Debiased exponential moving average of the loss (raw line kept faint)"));
  controls->addWidget(smoothing_slider_);
  smoothing_label_ = new QLabel("0.60");
  controls->addWidget(smoothing_label_);
  controls->addSpacing(16);
  controls->addWidget(new QLabel(tr("X axis")));
  x_axis_combo_ = new QComboBox;
  x_axis_combo_->addItem(tr("Step"));
  x_axis_combo_->addItem(tr("Wall time"));
  controls->addWidget(x_axis_combo_);
  log_y_check_ = new QCheckBox(tr("Log y"));
  controls->addWidget(log_y_check_);
  controls->addSpacing(16);
  controls->addWidget(new QLabel(tr("Gradient tensor")));
  tensor_combo_ = new QComboBox;
  tensor_combo_->setMinimumContentsLength(14);
  tensor_combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  controls->addWidget(tensor_combo_);
  controls->addStretch(1);
  layout->addLayout(controls);

  tabs_ = new QTabWidget;
  layout->addWidget(tabs_, 1);

  auto* overview = new QWidget;
  auto* grid = new QGridLayout(overview);
  grid->setContentsMargins(2, 2, 2, 2);
  grid->setSpacing(4);
  loss_ = makeLossPlot();
  accuracy_ = makeAccuracyPlot();
  scale_ = new ScalePlot;
  throughput_ = makeThroughputPlot();
  grid->addWidget(loss_, 0, 0);
  grid->addWidget(accuracy_, 0, 1);
  grid->addWidget(scale_, 1, 0);
  grid->addWidget(throughput_, 1, 1);
  tabs_->addTab(overview, tr("Overview"));

  auto* gradients = new QWidget;
  auto* grad_layout = new QVBoxLayout(gradients);
  grad_layout->setContentsMargins(2, 2, 2, 2);
  histogram_ = new HistogramPlot;
  histogram_map_ = new HistogramMapPlot;
  grad_layout->addWidget(histogram_, 1);
  grad_layout->addWidget(histogram_map_, 1);
  tabs_->addTab(gradients, tr("Gradients"));

  rounding_ = makeRoundingPlot();
  tabs_->addTab(rounding_, tr("Rounding"));

  for (auto& [id, p] : plots()) p->installEventFilter(this);
  current_ = loss_;

  connect(smoothing_slider_, &QSlider::valueChanged, this, [this](int v) {
    const double w = v / 100.0;
    smoothing_label_->setText(QString::number(w, 'f', 2));
    loss_->setSmoothing(w);
    throughput_->setSmoothing(w);
    emit smoothingChanged(w);
  });
  connect(x_axis_combo_, &QComboBox::currentIndexChanged, this, [this](int i) {
    for (auto& [id, p] : plots())
      if (p != histogram_ && p != histogram_map_) p->setXAxisMode(i == 0 ? XAxisMode::Step : XAxisMode::WallTime);
  });
  connect(log_y_check_, &QCheckBox::toggled, this, [this](bool on) {
    for (auto& [id, p] : plots()) p->setLogY(on);
  });
  connect(tensor_combo_, &QComboBox::currentTextChanged, this, [this](const QString& t) {
    histogram_->setTensor(t);
    histogram_map_->setTensor(t);
  });
}

QList<QPair<QString, HalflabPlot*>> PlotPanel::plots() const {
  return {{"loss", loss_},           {"accuracy", accuracy_},   {"scale", scale_},
          {"throughput", throughput_}, {"histogram", histogram_}, {"histogram_map", histogram_map_},
          {"rounding", rounding_}};
}

HalflabPlot* PlotPanel::plot(const QString& id) const {
  for (auto& [name, p] : plots())
    if (name == id) return p;
  return nullptr;
}

HalflabPlot* PlotPanel::currentPlot() const { return current_; }

void PlotPanel::showPlot(const QString& id) {
  HalflabPlot* p = plot(id);
  if (!p) return;
  for (int i = 0; i < tabs_->count(); ++i)
    if (tabs_->widget(i)->isAncestorOf(p) || tabs_->widget(i) == p) tabs_->setCurrentIndex(i);
  current_ = p;
}

bool PlotPanel::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::Enter || event->type() == QEvent::MouseButtonPress)
    if (auto* p = qobject_cast<HalflabPlot*>(watched)) current_ = p;
  return QWidget::eventFilter(watched, event);
}

void PlotPanel::setTraces(const QList<std::shared_ptr<const RunTrace>>& traces) {
  traces_ = traces;
  for (auto& [id, p] : plots()) {
    p->setTraces(traces);
  }
  updateTensorChoices();
}

void PlotPanel::refresh() {
  updateTensorChoices();
  for (auto& [id, p] : plots()) p->refresh();
}

void PlotPanel::updateTensorChoices() {
  QStringList names;
  for (const auto& t : traces_)
    if (!t->histograms.empty()) {
      names = t->histogramTensors();
      break;
    }
  QStringList current;
  for (int i = 0; i < tensor_combo_->count(); ++i) current << tensor_combo_->itemText(i);
  if (names == current) return;
  const QString keep = tensor_combo_->currentText();
  QSignalBlocker block(tensor_combo_);
  tensor_combo_->clear();
  tensor_combo_->addItems(names);
  const int i = names.indexOf(keep);
  tensor_combo_->setCurrentIndex(i >= 0 ? i : 0);
  histogram_->setTensor(tensor_combo_->currentText());
  histogram_map_->setTensor(tensor_combo_->currentText());
}

void PlotPanel::setLessonAxes(bool on) {
  lesson_axes_ = on;
  const double free = std::numeric_limits<double>::quiet_NaN();
  loss_->setYBounds(on ? 0.0 : free, free);
  accuracy_->setYBounds(on ? 0.0 : free, on ? 1.0 : free);
}

void PlotPanel::setSmoothing(double weight) { smoothing_slider_->setValue(static_cast<int>(weight * 100 + 0.5)); }
double PlotPanel::smoothing() const { return smoothing_slider_->value() / 100.0; }
void PlotPanel::setXAxisMode(XAxisMode mode) { x_axis_combo_->setCurrentIndex(mode == XAxisMode::Step ? 0 : 1); }
void PlotPanel::setLogY(bool on) { log_y_check_->setChecked(on); }

}  // namespace halflab
