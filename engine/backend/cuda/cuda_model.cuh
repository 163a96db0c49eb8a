#pragma once
// The model on the GPU: the layers of a CPU Graph (a chain) (same initial weights), with
// activations in NHWC and real fp16/bf16 buffers, parameters in flat arrays for the
// multi-tensor optimizer. forward/backward only enqueue work on the stream.
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/cuda/cuda_conv.cuh"
#include "engine/backend/cuda/cuda_gemm.cuh"
#include "engine/backend/cuda/cuda_step_kernels.cuh"
#include "engine/model/model_config.hpp"
#include "engine/model/graph.hpp"
#include "engine/precision/precision_mode.hpp"

namespace halflab::cuda {

struct DevParam {
  std::string name;
  Shape shape;             // the CPU shape (conv weights: OIHW; stored KRSC on the device)
  std::int64_t offset = 0, size = 0;
  bool decay = true, keep_fp32 = false, conv_weight = false;
};

// Says why a CPU model cannot run on the GPU backend (empty = it can).
std::string unsupportedLayerReason(Graph& model);

class CudaModel {
 public:
  // batch_sizes: every batch size the run will use (train, last train batch, eval sizes).
  CudaModel(Graph& cpu_model, const ModelConfig& mc, const Shape& sample_shape,
            const PrecisionPolicy& policy, const std::vector<std::int64_t>& batch_sizes,
            std::uint64_t seed, cudaStream_t stream);
  ~CudaModel();

  DType actType() const { return act_type_; }
  const std::vector<DevParam>& params() const { return params_; }
  std::int64_t paramCount() const { return total_params_; }
  const FlatParams& flat() const { return flat_; }
  const ChunkDesc* chunks() const { return chunks_dev_.as<ChunkDesc>(); }
  int numChunks() const { return num_chunks_; }
  std::size_t numLayers() const { return layers_.size(); }
  std::string layerName(std::size_t i) const;
  bool layerHasParams(std::size_t i) const;
  // The first layer with parameters: as on the CPU, no gradient is computed for its input
  // or below it (numLayers() when the model has no parameters).
  std::size_t firstTrainableLayer() const { return first_trainable_; }

  // acts[0] is the input (NHWC for images), acts[i+1] the output of layer i.
  void* activation(std::size_t i) { return acts_.at(i).get(); }
  void* gradient(std::size_t i) { return grads_.at(i).get(); }   // d loss / d acts[i]
  std::int64_t sampleElements(std::size_t i) const { return sample_elems_.at(i); }
  std::int64_t outputClasses() const { return sample_elems_.back(); }

  void forward(std::int64_t n, bool training, const unsigned long long* rng_step);
  // Starts from gradient(numLayers()) (the loss gradient in the activation format);
  // parameter gradients go to flat().grad_low (or grad32 for fp32 / keep_fp32 ones).
  void backward(std::int64_t n, RoundCounters* counts);

  // Host copies (for parity checks): weights / grads in the CPU layout, as fp32.
  std::vector<float> downloadParam(std::size_t p, bool gradient_low) const;
  std::vector<float> downloadActivation(std::size_t i, std::int64_t n, bool gradient) const;

 private:
  struct DevLayer;
  const void* weightFor(const DevParam& p) const;
  void* gradTargetFor(const DevParam& p) const;
  void finishGradient(const float* g32, void* dst, std::int64_t n, RoundCounters* counts);
  float* scratchFor(void* final_dst) const;

  PrecisionPolicy policy_;
  DType act_type_;
  cudaStream_t stream_;
  std::uint64_t seed_;
  std::vector<std::unique_ptr<DevLayer>> layers_;
  std::vector<Shape> sample_shapes_;      // CPU per-sample shape of acts[i]
  std::vector<std::int64_t> sample_elems_;
  std::vector<DevParam> params_;
  std::int64_t total_params_ = 0;    // real elements (what parameterCount reports)
  std::int64_t padded_params_ = 0;   // flat array length: every parameter starts 256-byte aligned
  std::size_t first_trainable_ = 0;
  DeviceBuffer master_, copy_, grad_low_, grad32_, state_m_, state_v_, chunks_dev_;
  FlatParams flat_{};
  int num_chunks_ = 0;
  std::vector<DeviceBuffer> acts_, grads_;
  DeviceBuffer scratch32_, conv_ws_;
  std::unique_ptr<GemmRunner> gemm_;
};

}  // namespace halflab::cuda
