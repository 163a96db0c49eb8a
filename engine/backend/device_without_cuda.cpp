// DeviceReport for builds without CUDA (HALFLAB_WITH_CUDA=OFF).
#include "engine/backend/device.hpp"

namespace halflab {

DeviceReport queryDevices() {
  DeviceReport r;
  r.problem = "this build has no CUDA backend (configured with HALFLAB_WITH_CUDA=OFF)";
  return r;
}

}  // namespace halflab
