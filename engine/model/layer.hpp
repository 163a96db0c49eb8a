#pragma once
// A single-input op (every op of the presets): a forward/backward pair over one input.
#include <memory>
#include <string>
#include <vector>

#include "engine/model/op.hpp"

namespace halflab {

class Layer : public Op {
 public:
  virtual Shape outputShape(const Shape& in) const = 0;
  virtual void forward(const Tensor& x, Tensor& y, ExecContext& ctx) = 0;
  // Sets the gradients of this layer's parameters and, when dx is not null, dx.
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                        ExecContext& ctx) = 0;

  Shape nodeOutputShape(const std::vector<Shape>& in) const final { return outputShape(in.at(0)); }
  void forwardNode(const std::vector<const Tensor*>& x, Tensor& y, ExecContext& ctx) final {
    forward(*x.at(0), y, ctx);
  }
  void backwardNode(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                    const std::vector<Tensor*>& dx, ExecContext& ctx) final {
    backward(*x.at(0), y, dy, dx.at(0), ctx);
  }
};

}  // namespace halflab
