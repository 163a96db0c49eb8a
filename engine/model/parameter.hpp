#pragma once
#include <string>

#include "engine/tensor/tensor.hpp"

namespace halflab {

// A trainable tensor. `value` is what the optimizer updates: the fp32 master in the amp
// modes, the stored weight otherwise (fp16-exact in fp16-pure). `copy` is the low-format
// working copy the forward/backward pass reads in the amp modes (empty otherwise).
struct Parameter {
  std::string name;        // e.g. "fc1.weight"
  Tensor value;
  Tensor copy;
  Tensor grad;             // low-format and scaled after backward; fp32 unscaled after unscale
  bool decay = true;       // weight decay applies (not to biases / norm parameters)
  bool keep_fp32 = false;  // batch-norm affine parameters stay fp32 in the amp modes

  const Tensor& compute() const { return copy.data.empty() ? value : copy; }
};

}  // namespace halflab
