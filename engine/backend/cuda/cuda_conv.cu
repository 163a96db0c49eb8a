#include "engine/backend/cuda/cuda_conv.cuh"

#include <sstream>

#ifdef HALFLAB_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace halflab::cuda {

#ifdef HALFLAB_HAVE_CUDNN

namespace {

[[noreturn]] void throwCudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  std::ostringstream msg;
  msg << "cuDNN error " << static_cast<int>(st) << " (" << cudnnGetErrorString(st) << ") in " << call
      << " at " << file << ':' << line;
  throw CudaError(msg.str());
}
#define HL_CUDNN(call)                                                     \
  do {                                                                     \
    const cudnnStatus_t hl_st_ = (call);                                   \
    if (hl_st_ != CUDNN_STATUS_SUCCESS) throwCudnn(hl_st_, #call, __FILE__, __LINE__); \
  } while (0)

cudnnDataType_t cudnnTypeOf(DType t) {
  return t == DType::F32 ? CUDNN_DATA_FLOAT : t == DType::F16 ? CUDNN_DATA_HALF : CUDNN_DATA_BFLOAT16;
}

int i32(std::int64_t v, const char* what) {
  if (v < 0 || v > 0x7FFFFFFF) throw CudaError(std::string("convolution ") + what + " does not fit cuDNN's int");
  return static_cast<int>(v);
}

// One cuDNN handle per thread that trains (handles are not thread-safe).
cudnnHandle_t threadHandle() {
  struct Holder {
    cudnnHandle_t h = nullptr;
    ~Holder() { if (h) (void)cudnnDestroy(h); }
  };
  thread_local Holder holder;
  if (!holder.h) HL_CUDNN(cudnnCreate(&holder.h));
  return holder.h;
}

}  // namespace

bool cudnnAvailable() { return true; }

struct ConvRunner::Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  // One descriptor per pass: each carries the math type cuDNN chose with that pass's
  // algorithm (left at a shared setting, cuDNN would run a slower kernel).
  cudnnConvolutionDescriptor_t fwd_desc = nullptr, bwd_data_desc = nullptr, bwd_filter_desc = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  std::size_t workspace = 0;
  ~Plan() {
    if (x) (void)cudnnDestroyTensorDescriptor(x);
    if (y) (void)cudnnDestroyTensorDescriptor(y);
    if (w) (void)cudnnDestroyFilterDescriptor(w);
    for (auto* d : {fwd_desc, bwd_data_desc, bwd_filter_desc})
      if (d) (void)cudnnDestroyConvolutionDescriptor(d);
  }
};

namespace {

// Which of cuDNN's proposals may run. fp32 mode is strict fp32: only FMA math (on Ampere
// and later DEFAULT_MATH allows TF32). No mode may convert fp32 data down to fp16
// (ALLOW_CONVERSION). Deterministic algorithms first, so that repeated runs and the
// parity checks see the same sums; cuDNN's own ranking (fastest first) within each group.
template <class Perf>
int pickAlgorithm(const Perf* perf, int found, bool strict_fp32) {
  auto allowed = [&](const Perf& p) {
    if (p.status != CUDNN_STATUS_SUCCESS) return false;
    if (p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;
    return !strict_fp32 || p.mathType == CUDNN_FMA_MATH;
  };
  for (int i = 0; i < found; ++i)
    if (allowed(perf[i]) && perf[i].determinism == CUDNN_DETERMINISTIC) return i;
  for (int i = 0; i < found; ++i)
    if (allowed(perf[i])) return i;
  return -1;
}

}  // namespace

ConvRunner::ConvRunner(ConvShape shape, DType t, bool tf32) : shape_(shape), type_(t), tf32_(tf32) {}
ConvRunner::~ConvRunner() = default;

ConvRunner::Plan& ConvRunner::planFor(std::int64_t n) {
  auto it = plans_.find(n);
  if (it == plans_.end())
    throw CudaError("internal: convolution for batch " + std::to_string(n) + " was not prepared");
  return *it->second;
}

std::size_t ConvRunner::prepare(std::int64_t n) {
  if (auto it = plans_.find(n); it != plans_.end()) return it->second->workspace;
  cudnnHandle_t h = threadHandle();
  auto p = std::make_unique<Plan>();
  const ConvShape& s = shape_;
  const cudnnDataType_t dt = cudnnTypeOf(type_);
  HL_CUDNN(cudnnCreateTensorDescriptor(&p->x));
  HL_CUDNN(cudnnCreateTensorDescriptor(&p->y));
  HL_CUDNN(cudnnCreateFilterDescriptor(&p->w));
  HL_CUDNN(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NHWC, dt, i32(n, "batch"), i32(s.in_c, "channels"),
                                      i32(s.in_h, "height"), i32(s.in_w, "width")));
  HL_CUDNN(cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NHWC, dt, i32(n, "batch"), i32(s.out_c, "channels"),
                                      i32(s.outH(), "height"), i32(s.outW(), "width")));
  HL_CUDNN(cudnnSetFilter4dDescriptor(p->w, dt, CUDNN_TENSOR_NHWC, i32(s.out_c, "out channels"),
                                      i32(s.in_c, "in channels"), i32(s.kernel, "kernel"), i32(s.kernel, "kernel")));
  // Cross-correlation (what PyTorch and the CPU backend compute), fp32 accumulation.
  const bool tensor_ops = type_ != DType::F32 || tf32_;
  const cudnnMathType_t asked = tensor_ops ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
  for (auto* d : {&p->fwd_desc, &p->bwd_data_desc, &p->bwd_filter_desc}) {
    HL_CUDNN(cudnnCreateConvolutionDescriptor(d));
    HL_CUDNN(cudnnSetConvolution2dDescriptor(*d, i32(s.padding, "padding"), i32(s.padding, "padding"),
                                             i32(s.stride, "stride"), i32(s.stride, "stride"), 1, 1,
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    HL_CUDNN(cudnnSetConvolutionMathType(*d, asked));
  }
  const bool strict = !tensor_ops;

  constexpr int kMax = 8;
  int found = 0;
  std::size_t ws = 0, bytes = 0;
  {
    cudnnConvolutionFwdAlgoPerf_t perf[kMax];
    HL_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(h, p->x, p->w, p->fwd_desc, p->y, kMax, &found, perf));
    const int pick = pickAlgorithm(perf, found, strict);
    if (pick < 0) throw CudaError("cuDNN offers no forward convolution algorithm for this layer");
    p->fwd = perf[pick].algo;
    HL_CUDNN(cudnnSetConvolutionMathType(p->fwd_desc, perf[pick].mathType));
    HL_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(h, p->x, p->w, p->fwd_desc, p->y, p->fwd, &bytes));
    ws = std::max(ws, bytes);
  }
  {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kMax];
    HL_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p->w, p->y, p->bwd_data_desc, p->x, kMax, &found, perf));
    const int pick = pickAlgorithm(perf, found, strict);
    if (pick < 0) throw CudaError("cuDNN offers no backward-data convolution algorithm for this layer");
    p->bwd_data = perf[pick].algo;
    HL_CUDNN(cudnnSetConvolutionMathType(p->bwd_data_desc, perf[pick].mathType));
    HL_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(h, p->w, p->y, p->bwd_data_desc, p->x, p->bwd_data, &bytes));
    ws = std::max(ws, bytes);
  }
  {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kMax];
    HL_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, p->x, p->y, p->bwd_filter_desc, p->w, kMax, &found, perf));
    const int pick = pickAlgorithm(perf, found, strict);
    if (pick < 0) throw CudaError("cuDNN offers no backward-filter convolution algorithm for this layer");
    p->bwd_filter = perf[pick].algo;
    HL_CUDNN(cudnnSetConvolutionMathType(p->bwd_filter_desc, perf[pick].mathType));
    HL_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p->x, p->y, p->bwd_filter_desc, p->w, p->bwd_filter,
                                                           &bytes));
    ws = std::max(ws, bytes);
  }
  p->workspace = ws;
  plans_.emplace(n, std::move(p));
  return ws;
}

void ConvRunner::forward(std::int64_t n, const void* x, const void* w, void* y, float beta, void* ws,
                         std::size_t ws_bytes, cudaStream_t s) {
  Plan& p = planFor(n);
  cudnnHandle_t h = threadHandle();
  HL_CUDNN(cudnnSetStream(h, s));
  const float alpha = 1.0f;  // float scaling factors: the compute type is fp32
  HL_CUDNN(cudnnConvolutionForward(h, &alpha, p.x, x, p.w, w, p.fwd_desc, p.fwd, ws, ws_bytes, &beta, p.y, y));
}

void ConvRunner::backwardData(std::int64_t n, const void* w, const void* dy, void* dx, void* ws,
                              std::size_t ws_bytes, cudaStream_t s) {
  Plan& p = planFor(n);
  cudnnHandle_t h = threadHandle();
  HL_CUDNN(cudnnSetStream(h, s));
  const float alpha = 1.0f, beta = 0.0f;
  HL_CUDNN(cudnnConvolutionBackwardData(h, &alpha, p.w, w, p.y, dy, p.bwd_data_desc, p.bwd_data, ws, ws_bytes, &beta, p.x, dx));
}

void ConvRunner::backwardFilter(std::int64_t n, const void* x, const void* dy, void* dw, void* ws,
                                std::size_t ws_bytes, cudaStream_t s) {
  Plan& p = planFor(n);
  cudnnHandle_t h = threadHandle();
  HL_CUDNN(cudnnSetStream(h, s));
  const float alpha = 1.0f, beta = 0.0f;
  HL_CUDNN(cudnnConvolutionBackwardFilter(h, &alpha, p.x, x, p.y, dy, p.bwd_filter_desc, p.bwd_filter, ws, ws_bytes, &beta, p.w, dw));
}

#else  // built without cuDNN: the model builder refuses convolutions before any of this runs

bool cudnnAvailable() { return false; }
struct ConvRunner::Plan {};
ConvRunner::ConvRunner(ConvShape shape, DType t, bool tf32) : shape_(shape), type_(t), tf32_(tf32) {
  throw CudaError("this build has no cuDNN: convolutions cannot run on the GPU");
}
ConvRunner::~ConvRunner() = default;
ConvRunner::Plan& ConvRunner::planFor(std::int64_t) { throw CudaError("no cuDNN"); }
std::size_t ConvRunner::prepare(std::int64_t) { throw CudaError("no cuDNN"); }
void ConvRunner::forward(std::int64_t, const void*, const void*, void*, float, void*, std::size_t, cudaStream_t) {}
void ConvRunner::backwardData(std::int64_t, const void*, const void*, void*, void*, std::size_t, cudaStream_t) {}
void ConvRunner::backwardFilter(std::int64_t, const void*, const void*, void*, void*, std::size_t, cudaStream_t) {}

#endif

}  // namespace halflab::cuda
