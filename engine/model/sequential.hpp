#pragma once
// A stack of layers that owns every activation and activation gradient, so buffers are
// reused from step to step (no per-step allocation once shapes are stable).
#include <memory>
#include <vector>

#include "engine/model/layer.hpp"

namespace halflab {

class Sequential {
 public:
  void add(std::unique_ptr<Layer> layer) { layers_.push_back(std::move(layer)); }
  const Tensor& forward(const Tensor& x, ExecContext& ctx);
  // dlogits: gradient of the loss w.r.t. the last output. The input gradient is not
  // computed (nothing to train below the first layer).
  void backward(const Tensor& dlogits, ExecContext& ctx);

  std::vector<Parameter*> parameters();
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  // Gradient w.r.t. the input of layer i (valid after backward; empty at and below the
  // first layer with parameters, where nothing needs it).
  const Tensor& inputGradient(std::size_t i) const { return grads_.at(i); }
  const Tensor& activation(std::size_t i) const { return acts_.at(i); }
  Shape outputShape(Shape in) const;

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Tensor> acts_;   // acts_[0] = input, acts_[i+1] = output of layer i
  std::vector<Tensor> grads_;  // grads_[i] = d loss / d acts_[i]
};

}  // namespace halflab
