// CUDA device discovery for DeviceReport (the rest of the CUDA backend builds on it).
#include <cuda_runtime.h>

#include "engine/backend/device.hpp"

namespace halflab {

DeviceReport queryDevices() {
  DeviceReport r;
  r.cuda_built = true;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    r.problem = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
    return r;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    r.gpus.push_back({i, p.name, p.totalGlobalMem, p.major, p.minor});
  }
  if (r.gpus.empty()) r.problem = "no usable CUDA device: the driver reports none";
  return r;
}

}  // namespace halflab
