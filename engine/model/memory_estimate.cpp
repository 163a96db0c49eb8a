#include "engine/model/memory_estimate.hpp"

#include <algorithm>
#include <limits>

namespace halflab {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// Saturating arithmetic: an absurd model reports "more than anything", never a wrapped
// small number that would pass the check.
std::int64_t mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}

class Tally {
 public:
  explicit Tally(MemoryEstimate& e) : e_(e) {}
  void add(std::string what, std::int64_t elements, std::int64_t bytes_per_element) {
    const std::int64_t bytes = mul(elements, bytes_per_element);
    if (bytes <= 0) return;
    e_.total = e_.total > kMax - bytes ? kMax : e_.total + bytes;
    if (bytes > e_.largest.bytes) e_.largest = {what, bytes};
    e_.items.push_back({std::move(what), bytes});
  }

 private:
  MemoryEstimate& e_;
};

std::int64_t countOf(const Shape& s) {
  std::int64_t n = 1;
  for (const std::int64_t d : s) n = mul(n, d);
  return n;
}

// A layer's shape has a batch dimension of 1: the elements for `batch` samples.
std::int64_t elementsOf(const Shape& per_sample, std::int64_t batch) {
  std::int64_t n = batch;
  for (std::size_t i = 1; i < per_sample.size(); ++i) n = mul(n, per_sample[i]);
  return n;
}

}  // namespace

MemoryEstimate estimateMemory(const ModelPlan& plan, std::int64_t train_batch, std::int64_t eval_batch,
                              const ElementSizes& sizes) {
  MemoryEstimate e;
  Tally t(e);
  const std::int64_t forward_batch = std::max(train_batch, eval_batch);
  for (const LayerSpec& l : plan.layers) {
    for (const ParameterSpec& p : l.parameters) {
      const std::int64_t n = countOf(p.shape);
      t.add(p.name, n, p.keep_fp32 ? 4 : sizes.weight);
      if (!p.keep_fp32) t.add(p.name + " working copy", n, sizes.working_copy);
      t.add(p.name + " gradient", n, p.keep_fp32 ? 4 : sizes.gradient);
      for (int k = 0; k < sizes.optimizer_states; ++k)
        t.add(p.name + " optimizer state " + std::to_string(k + 1), n, 4);
      if (sizes.gemm_scratch && !p.keep_fp32) t.add(p.name + " TF32 copy", n, 4);
      if (sizes.gradient_snapshot) t.add(p.name + " gradient snapshot", n, 4);
    }
    for (const OpBuffer& b : l.buffers)
      if (b.batch == OpBuffer::Batch::None) t.add(l.name + " " + b.what, b.elements, b.bytes);
  }
  // The input batch and every layer's output, then their gradients (training batch only).
  t.add("input batch", elementsOf(plan.layers.empty() ? Shape{} : plan.layers.front().in, forward_batch),
        sizes.activation);
  for (const LayerSpec& l : plan.layers) t.add(l.name + " output", elementsOf(l.out, forward_batch), sizes.activation);
  t.add("input batch gradient",
        elementsOf(plan.layers.empty() ? Shape{} : plan.layers.front().in, train_batch), sizes.activation);
  for (const LayerSpec& l : plan.layers)
    t.add(l.name + " output gradient", elementsOf(l.out, train_batch), sizes.activation);

  for (const LayerSpec& l : plan.layers) {
    if (sizes.gemm_scratch && l.def->gemm) {
      t.add(l.name + " TF32 input copy", elementsOf(l.in, forward_batch), 4);
      t.add(l.name + " TF32 gradient copy", elementsOf(l.out, train_batch), 4);
    }
    if (!sizes.layer_buffers) continue;
    for (const OpBuffer& b : l.buffers) {
      if (b.batch == OpBuffer::Batch::None) continue;
      const std::int64_t batch = b.batch == OpBuffer::Batch::Train ? train_batch : forward_batch;
      t.add(l.name + " " + b.what, mul(b.elements, batch), b.bytes);
    }
  }
  return e;
}

}  // namespace halflab
