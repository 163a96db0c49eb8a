#pragma once
// Lets a rule written once (loss-scaler update, optimizer element update) compile for the
// CPU and inside CUDA kernels, so both backends run the same arithmetic by construction.
#include <cmath>

#if defined(__CUDACC__)
#define HL_HOST_DEVICE __host__ __device__
#else
#define HL_HOST_DEVICE
#endif

namespace halflab {

HL_HOST_DEVICE inline bool isFiniteF(float x) {
#if defined(__CUDA_ARCH__)
  return isfinite(x);
#else
  return std::isfinite(x);
#endif
}

}  // namespace halflab
