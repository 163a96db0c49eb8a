#include "engine/model/loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace halflab {

namespace {
std::int64_t argmaxRow(const float* row, std::int64_t c) {
  return std::max_element(row, row + c) - row;
}
}  // namespace

LossResult softmaxCrossEntropy(const Tensor& logits, const std::vector<std::int32_t>& labels,
                               double grad_scale, Tensor* dlogits, ExecContext& ctx) {
  const std::int64_t n = logits.dim(0), c = logits.dim(1);
  LossResult r;
  if (dlogits) dlogits->reshapeTo(logits.shape);
  const float g = static_cast<float>(grad_scale / static_cast<double>(n));
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = logits.ptr() + i * c;
    const float mx = *std::max_element(row, row + c);
    float sum = 0;
    for (std::int64_t j = 0; j < c; ++j) sum += std::exp(row[j] - mx);
    const float log_sum = std::log(sum) + mx;
    const std::int32_t y = labels[static_cast<std::size_t>(i)];
    total += static_cast<double>(log_sum - row[y]);
    if (argmaxRow(row, c) == y) ++r.correct;
    if (dlogits) {
      float* d = dlogits->ptr() + i * c;
      for (std::int64_t j = 0; j < c; ++j) {
        const float p = std::exp(row[j] - log_sum);
        d[j] = (p - (j == y ? 1.0f : 0.0f)) * g;
      }
    }
  }
  r.loss = total / static_cast<double>(n);
  if (dlogits) ctx.roundGradient(*dlogits);
  return r;
}

LossResult mseOneHot(const Tensor& outputs, const std::vector<std::int32_t>& labels,
                     double grad_scale, Tensor* doutputs, ExecContext& ctx) {
  const std::int64_t n = outputs.dim(0), c = outputs.dim(1);
  LossResult r;
  if (doutputs) doutputs->reshapeTo(outputs.shape);
  const float g = static_cast<float>(2.0 * grad_scale / static_cast<double>(n * c));
  // fp32 sum, as the loss is an fp32 op: a squared error beyond fp32 range is inf (and
  // so is reported as divergence), not a finite double.
  float total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = outputs.ptr() + i * c;
    const std::int32_t y = labels[static_cast<std::size_t>(i)];
    if (argmaxRow(row, c) == y) ++r.correct;
    for (std::int64_t j = 0; j < c; ++j) {
      const float diff = row[j] - (j == y ? 1.0f : 0.0f);
      total += diff * diff;
      if (doutputs) doutputs->data[i * c + j] = diff * g;
    }
  }
  r.loss = static_cast<double>(total / static_cast<float>(n * c));
  if (doutputs) ctx.roundGradient(*doutputs);
  return r;
}

LossResult bceWithLogits(const Tensor& logits, const std::vector<std::int32_t>& labels, double grad_scale,
                         Tensor* dlogits, ExecContext& ctx) {
  const std::int64_t n = logits.dim(0);
  if (logits.size() != n)
    throw std::invalid_argument("bce-with-logits needs one output per sample, the model gives " +
                                std::to_string(n ? logits.size() / n : 0));
  LossResult r;
  if (dlogits) dlogits->reshapeTo(logits.shape);
  const float g = static_cast<float>(grad_scale / static_cast<double>(n));
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = logits.ptr()[i];
    const float y = labels[static_cast<std::size_t>(i)] != 0 ? 1.0f : 0.0f;
    total += static_cast<double>(std::max(x, 0.0f) - x * y + std::log1p(std::exp(-std::fabs(x))));
    if ((x > 0.0f) == (y > 0.5f)) ++r.correct;
    if (dlogits) {
      // sigmoid(x) - y without overflow (exp of -|x| only) and without cancellation:
      // for y = 1 it is -(1 - sigmoid(x)), computed as such.
      const float e = std::exp(-std::fabs(x));
      const float hi = 1.0f / (1.0f + e), lo = e / (1.0f + e);  // sigmoid(|x|), sigmoid(-|x|)
      const float s = x >= 0 ? hi : lo, one_minus_s = x >= 0 ? lo : hi;
      dlogits->ptr()[i] = (y > 0.5f ? -one_minus_s : s) * g;
    }
  }
  r.loss = total / static_cast<double>(n);
  if (dlogits) ctx.roundGradient(*dlogits);
  return r;
}

const std::vector<std::string>& lossNames() {
  static const std::vector<std::string> names{"cross-entropy", "mse", "bce-with-logits"};
  return names;
}

LossResult computeLoss(const std::string& name, const Tensor& outputs, const std::vector<std::int32_t>& labels,
                       double grad_scale, Tensor* doutputs, ExecContext& ctx) {
  if (name == "cross-entropy") return softmaxCrossEntropy(outputs, labels, grad_scale, doutputs, ctx);
  if (name == "mse") return mseOneHot(outputs, labels, grad_scale, doutputs, ctx);
  if (name == "bce-with-logits") return bceWithLogits(outputs, labels, grad_scale, doutputs, ctx);
  throw std::invalid_argument("unknown loss '" + name + "'");
}

int lossOutputs(const std::string& name, int num_classes) { return name == "bce-with-logits" ? 1 : num_classes; }

}  // namespace halflab
