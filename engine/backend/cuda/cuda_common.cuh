#pragma once
// Shared pieces of the CUDA backend: error checks that throw CudaError, element types,
// and the device allocator that remembers its high-water mark.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "engine/backend/cuda/cuda_run.hpp"
#include "engine/numeric/format.hpp"

namespace halflab::cuda {

[[noreturn]] void throwCuda(cudaError_t err, const char* call, const char* file, int line);
[[noreturn]] void throwCublas(cublasStatus_t st, const char* call, const char* file, int line);

#define HL_CUDA(call)                                                      \
  do {                                                                     \
    const cudaError_t hl_err_ = (call);                                    \
    if (hl_err_ != cudaSuccess) ::halflab::cuda::throwCuda(hl_err_, #call, __FILE__, __LINE__); \
  } while (0)
#define HL_CUBLAS(call)                                                    \
  do {                                                                     \
    const cublasStatus_t hl_st_ = (call);                                  \
    if (hl_st_ != CUBLAS_STATUS_SUCCESS) ::halflab::cuda::throwCublas(hl_st_, #call, __FILE__, __LINE__); \
  } while (0)
// After every kernel launch: launch-configuration errors surface here, at the op.
#define HL_LAUNCHED() HL_CUDA(cudaGetLastError())

// Storage type of a device tensor.
enum class DType : std::uint8_t { F32, F16, BF16 };
inline DType dtypeFor(Format f) {
  return f == Format::FP16 ? DType::F16 : f == Format::BF16 ? DType::BF16 : DType::F32;
}
inline std::size_t dtypeSize(DType t) { return t == DType::F32 ? 4 : 2; }
inline cudaDataType_t cudaTypeOf(DType t) {
  return t == DType::F32 ? CUDA_R_32F : t == DType::F16 ? CUDA_R_16F : CUDA_R_16BF;
}

// fp32 <-> storage with round-to-nearest-even (subnormals kept, overflow to inf), the
// same conversion as the CPU's roundToFormat.
__device__ __forceinline__ float toF32(float x) { return x; }
__device__ __forceinline__ float toF32(__half x) { return __half2float(x); }
__device__ __forceinline__ float toF32(__nv_bfloat16 x) { return __bfloat162float(x); }
template <class T> __device__ __forceinline__ T fromF32(float x);
template <> __device__ __forceinline__ float fromF32<float>(float x) { return x; }
template <> __device__ __forceinline__ __half fromF32<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 fromF32<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <class T> __device__ __forceinline__ float minNormal();
template <> __device__ __forceinline__ float minNormal<float>() { return 1.17549435e-38f; }
template <> __device__ __forceinline__ float minNormal<__half>() { return 6.103515625e-05f; }
template <> __device__ __forceinline__ float minNormal<__nv_bfloat16>() { return 1.17549435e-38f; }

// Calls f.template operator()<T>() with T the C++ type of `t`.
#define HL_DISPATCH(t, ...)                                                   \
  do {                                                                        \
    switch (t) {                                                              \
      case ::halflab::cuda::DType::F32: { using T = float; __VA_ARGS__; } break;         \
      case ::halflab::cuda::DType::F16: { using T = __half; __VA_ARGS__; } break;        \
      case ::halflab::cuda::DType::BF16: { using T = __nv_bfloat16; __VA_ARGS__; } break; \
    }                                                                         \
  } while (0)

// Allocation bookkeeping for the peak-memory figure (all buffers go through here).
struct MemoryTally {
  std::int64_t current = 0;
  std::int64_t peak = 0;
};
MemoryTally& memoryTally();

// An owning device allocation. Allocation failure throws CudaError naming `what`, the
// size and the free / total memory.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, const std::string& what) { allocate(bytes, what); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) { release(); ptr_ = o.ptr_; bytes_ = o.bytes_; o.ptr_ = nullptr; o.bytes_ = 0; }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void allocate(std::size_t bytes, const std::string& what);
  void release() noexcept;
  void* get() const { return ptr_; }
  template <class T> T* as() const { return static_cast<T*>(ptr_); }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// Pinned host memory for asynchronous device-to-host copies.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void allocate(std::size_t bytes, const std::string& what);
  void* get() const { return ptr_; }
  template <class T> T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
};

inline unsigned gridFor(std::int64_t n, int block = 256, std::int64_t max_blocks = 65535) {
  std::int64_t g = (n + block - 1) / block;
  if (g < 1) g = 1;
  if (g > max_blocks) g = max_blocks;
  return static_cast<unsigned>(g);
}

}  // namespace halflab::cuda
