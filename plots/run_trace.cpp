#include "plots/run_trace.hpp"

#include <algorithm>

namespace halflab {

namespace {
double percentOf(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
}  // namespace

void RunTrace::add(const StepRecord& r) {
  const double x = static_cast<double>(r.step);
  const double t = r.wall_ms / 1000.0;
  step.push_back(x);
  wall_s.push_back(t);
  loss.push_back(r.loss);
  scale_after.push_back(r.scale_after);
  samples_per_s.push_back(r.samples_per_s);
  grad_norm.push_back(r.grad_norm);
  underflow_pct.push_back(percentOf(r.underflow, r.grad_elements));
  subnormal_pct.push_back(percentOf(r.subnormal, r.grad_elements));
  overflow_count.push_back(static_cast<double>(r.overflow));
  stalled_pct.push_back(percentOf(r.stalled_updates, r.updated_elements));
  zero_grad_pct.push_back(percentOf(r.zero_weight_grads, r.weight_grad_elements));
  if (r.found_inf || r.skipped) {
    inf_step.push_back(x);
    inf_wall_s.push_back(t);
    inf_scale_before.push_back(r.scale_before);
    inf_scale_after.push_back(r.scale_after);
  }
  ++revision;
}

void RunTrace::add(const EvalRecord& r) {
  eval_step.push_back(static_cast<double>(r.step));
  eval_wall_s.push_back(r.wall_ms / 1000.0);
  train_loss.push_back(r.train_loss);
  train_acc.push_back(r.train_accuracy);
  val_loss.push_back(r.val_loss);
  val_acc.push_back(r.val_accuracy);
  ++revision;
}

void RunTrace::add(const HistogramRecord& r) {
  histograms.push_back(r);
  ++revision;
}

void RunTrace::clear() {
  for (auto* v : {&step, &wall_s, &loss, &scale_after, &samples_per_s, &grad_norm, &underflow_pct,
                  &subnormal_pct, &overflow_count, &stalled_pct, &zero_grad_pct, &inf_step, &inf_wall_s,
                  &inf_scale_before, &inf_scale_after, &eval_step, &eval_wall_s, &train_loss,
                  &train_acc, &val_loss, &val_acc})
    v->clear();
  histograms.clear();
  ++revision;
}

QStringList RunTrace::histogramTensors(const std::string& kind) const {
  QStringList names;
  for (const auto& h : histograms) {
    if (h.kind != kind) continue;
    const QString n = QString::fromStdString(h.tensor);
    if (!names.contains(n)) names.push_back(n);
  }
  return names;
}

std::vector<const HistogramRecord*> RunTrace::histogramsOf(const QString& tensor,
                                                           const std::string& kind) const {
  std::vector<const HistogramRecord*> out;
  const std::string name = tensor.toStdString();
  for (const auto& h : histograms)
    if (h.kind == kind && h.tensor == name) out.push_back(&h);
  return out;
}

QColor runColor(int index) {
  // Tableau 10: distinguishable, also for most colour-blind viewers.
  static const QColor palette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                   QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                   QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                   QColor(23, 190, 207)};
  const int n = static_cast<int>(std::size(palette));
  return palette[((index % n) + n) % n];
}

}  // namespace halflab
