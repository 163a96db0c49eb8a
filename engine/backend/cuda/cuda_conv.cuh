#pragma once
// cuDNN convolutions in NHWC (filters KRSC), fp32 accumulation; tensor-op math for
// tf32/fp16/bf16, plain FMA math (TF32 off) for fp32. One ConvPlan per batch size.
#include <map>
#include <memory>

#include "engine/backend/cuda/cuda_common.cuh"

namespace halflab::cuda {

struct ConvShape {
  std::int64_t in_c, in_h, in_w, out_c, kernel, stride, padding;
  std::int64_t outH() const { return (in_h + 2 * padding - kernel) / stride + 1; }
  std::int64_t outW() const { return (in_w + 2 * padding - kernel) / stride + 1; }
};

bool cudnnAvailable();  // false when built without cuDNN

class ConvRunner {
 public:
  ConvRunner(ConvShape shape, DType t, bool tf32);
  ~ConvRunner();
  ConvRunner(const ConvRunner&) = delete;
  ConvRunner& operator=(const ConvRunner&) = delete;

  // Chooses algorithms for batch n; returns the workspace bytes they need. Call for every
  // batch size before the run starts so no allocation happens while training.
  std::size_t prepare(std::int64_t n);
  // y = conv(x, w) + beta * y (beta = 1 after the bias was broadcast into y).
  void forward(std::int64_t n, const void* x, const void* w, void* y, float beta, void* ws,
               std::size_t ws_bytes, cudaStream_t s);
  void backwardData(std::int64_t n, const void* w, const void* dy, void* dx, void* ws,
                    std::size_t ws_bytes, cudaStream_t s);
  void backwardFilter(std::int64_t n, const void* x, const void* dy, void* dw, void* ws,
                      std::size_t ws_bytes, cudaStream_t s);

 private:
  struct Plan;
  Plan& planFor(std::int64_t n);
  ConvShape shape_;
  DType type_;
  bool tf32_;
  std::map<std::int64_t, std::unique_ptr<Plan>> plans_;
};

}  // namespace halflab::cuda
