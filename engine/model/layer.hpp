#pragma once
// A layer is a forward/backward pair (llm.c style). The Sequential model owns every
// activation, so a layer gets its input and output again in backward instead of caching.
#include <memory>
#include <string>
#include <vector>

#include "engine/model/exec_context.hpp"
#include "engine/model/parameter.hpp"

namespace halflab {

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string name() const = 0;
  virtual Shape outputShape(const Shape& in) const = 0;
  virtual void forward(const Tensor& x, Tensor& y, ExecContext& ctx) = 0;
  // Sets the gradients of this layer's parameters and, when dx is not null, dx.
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                        ExecContext& ctx) = 0;
  virtual std::vector<Parameter*> parameters() { return {}; }
};

}  // namespace halflab
