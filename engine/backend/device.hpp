#pragma once
// Which compute devices this build can use. Works in every build: without CUDA it says
// so, with CUDA but no usable GPU it returns the driver's reason.
#include <string>
#include <vector>

namespace halflab {

struct GpuInfo {
  int index = 0;
  std::string name;
  std::size_t total_memory = 0;
  int cc_major = 0, cc_minor = 0;
};

struct DeviceReport {
  bool cuda_built = false;       // HALFLAB_WITH_CUDA
  std::vector<GpuInfo> gpus;     // usable CUDA devices
  std::string problem;           // why there is none (empty when gpus is not empty)
};

DeviceReport queryDevices();

}  // namespace halflab
