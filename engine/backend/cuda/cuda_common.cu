#include "engine/backend/cuda/cuda_common.cuh"

#include <sstream>

namespace halflab::cuda {

void throwCuda(cudaError_t err, const char* call, const char* file, int line) {
  std::ostringstream msg;
  msg << "CUDA error " << cudaGetErrorName(err) << " (" << cudaGetErrorString(err) << ") in "
      << call << " at " << file << ':' << line;
  if (err == cudaErrorMemoryAllocation) msg << ": the GPU is out of memory";
  throw CudaError(msg.str());
}

void throwCublas(cublasStatus_t st, const char* call, const char* file, int line) {
  std::ostringstream msg;
  msg << "cuBLAS error " << static_cast<int>(st) << " (" << cublasLtGetStatusName(st) << ": "
      << cublasLtGetStatusString(st) << ") in " << call << " at " << file << ':' << line;
  throw CudaError(msg.str());
}

MemoryTally& memoryTally() {
  static MemoryTally tally;  // one run at a time per process uses the GPU
  return tally;
}

void DeviceBuffer::allocate(std::size_t bytes, const std::string& what) {
  release();
  if (bytes == 0) return;
  const cudaError_t err = cudaMalloc(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    (void)cudaGetLastError();  // allocation failures are not sticky; clear the flag
    std::size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    std::ostringstream msg;
    msg << (err == cudaErrorMemoryAllocation ? "out of GPU memory" : "GPU allocation failed")
        << " allocating " << (static_cast<double>(bytes) / 1048576.0) << " MiB for " << what
        << " (" << (static_cast<double>(free_b) / 1048576.0) << " MiB free of "
        << (static_cast<double>(total_b) / 1048576.0) << " MiB; " << cudaGetErrorString(err) << ")";
    throw CudaError(msg.str());
  }
  bytes_ = bytes;
  auto& t = memoryTally();
  t.current += static_cast<std::int64_t>(bytes);
  if (t.current > t.peak) t.peak = t.current;
}

void DeviceBuffer::release() noexcept {
  if (!ptr_) return;
  (void)cudaFree(ptr_);  // errors here cannot be reported from a destructor
  memoryTally().current -= static_cast<std::int64_t>(bytes_);
  ptr_ = nullptr;
  bytes_ = 0;
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_) (void)cudaFreeHost(ptr_);
}

void PinnedBuffer::allocate(std::size_t bytes, const std::string& what) {
  if (ptr_) { (void)cudaFreeHost(ptr_); ptr_ = nullptr; }
  const cudaError_t err = cudaMallocHost(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    (void)cudaGetLastError();
    throw CudaError("pinned host allocation of " + std::to_string(bytes) + " bytes for " + what +
                    " failed: " + cudaGetErrorString(err));
  }
}

}  // namespace halflab::cuda
