#pragma once
// The model the CPU runs: ops in topological order, each reading one or more values
// (value 0 is the model input, value k + 1 the output of node k). The graph owns every
// value and value gradient, so buffers are reused from step to step. Gradients add up
// where a value feeds several nodes; a value's gradient is computed only when a
// parameter lies upstream of it (nothing else needs it: e.g. fc1's input in an MLP,
// whose GEMM would cost a third of that layer's work). See docs/ARCHITECTURE.md.
#include <cstddef>
#include <memory>
#include <vector>

#include "engine/model/op.hpp"

namespace halflab {

class Graph {
 public:
  // inputs: value indices, each < the new node's own value; empty = the previous value.
  void add(std::unique_ptr<Op> op, std::vector<int> inputs = {});
  const Tensor& forward(const Tensor& x, ExecContext& ctx);
  // dlogits: gradient of the loss w.r.t. the model output (the last value).
  void backward(const Tensor& dlogits, ExecContext& ctx);

  std::vector<Parameter*> parameters();
  std::size_t size() const { return ops_.size(); }
  const std::vector<std::unique_ptr<Op>>& ops() const { return ops_; }
  const std::vector<int>& inputsOf(std::size_t node) const { return inputs_.at(node); }
  // Value v: 0 = the input, k + 1 = output of node k (valid after forward).
  const Tensor& activation(std::size_t v) const { return acts_.at(v); }
  const Tensor& output() const { return acts_.back(); }
  // d loss / d value v (valid after backward; empty where no parameter is upstream).
  const Tensor& valueGradient(std::size_t v) const { return grads_.at(v); }
  // Gradient w.r.t. the (first) input of node i.
  const Tensor& inputGradient(std::size_t i) const { return grads_.at(static_cast<std::size_t>(inputs_.at(i).at(0))); }
  Shape outputShape(Shape in) const;

 private:
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<std::vector<int>> inputs_;
  std::vector<char> needs_grad_;  // per value: a parameter lies upstream
  std::vector<Tensor> acts_;      // acts_[0] = input, acts_[k+1] = output of node k
  std::vector<Tensor> grads_;     // grads_[v] = d loss / d acts_[v]
  std::vector<char> grad_set_;    // per value, this backward pass
  Tensor fan_in_scratch_;         // a second contribution to a value's gradient
  std::vector<const Tensor*> x_;
  std::vector<Tensor*> dx_;
  std::vector<Tensor> extra_dx_;  // per input slot of the current node, when accumulating
};

}  // namespace halflab
