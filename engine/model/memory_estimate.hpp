#pragma once
// What a model will hold while it trains, from its plan alone (nothing is allocated):
// parameters, their gradients, optimizer state, working copies, activations and their
// gradients for a batch, and the layers' own buffers. Used to refuse a model that cannot
// fit before it is built, and for the memory figure of a run.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model_plan.hpp"

namespace halflab {

// How many bytes each kind of element takes. The CPU backend stores every value as a
// 4-byte float; a device stores low-format tensors in their own width.
struct ElementSizes {
  int weight = 4;              // stored weights (the fp32 master in the amp modes)
  int working_copy = 0;        // low-format copy the passes read (amp modes); 0 = none
  int gradient = 4;            // weight gradients (parameters kept in fp32 use 4)
  int activation = 4;          // activations and activation gradients
  int optimizer_states = 0;    // fp32 state tensors per parameter (SGD momentum 1, Adam 2)
  bool gemm_scratch = false;   // TF32 on the CPU: GEMM/conv inputs are rounded into copies
  bool layer_buffers = false;  // the CPU layers' own per-element buffers (pool indices,
                               // dropout masks, batch-norm normalised inputs)
  bool gradient_snapshot = false;  // the low-format gradients are copied aside while the
                                   // FP32 ghost histograms run a second backward pass
};

struct MemoryItem {
  std::string what;  // e.g. "fc2.weight", "fc2.weight gradient", "conv1 output"
  std::int64_t bytes = 0;
};

struct MemoryEstimate {
  std::int64_t total = 0;  // saturates at INT64_MAX instead of overflowing
  MemoryItem largest;      // the biggest single allocation
  std::vector<MemoryItem> items;
};

// train_batch: samples per training step (activations and their gradients);
// eval_batch: samples per evaluation batch (activations only, forward pass).
MemoryEstimate estimateMemory(const ModelPlan& plan, std::int64_t train_batch, std::int64_t eval_batch,
                              const ElementSizes& sizes);

}  // namespace halflab
