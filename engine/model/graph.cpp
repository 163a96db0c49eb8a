#include "engine/model/graph.hpp"

#include <stdexcept>
#include <string>

namespace halflab {

void Graph::add(std::unique_ptr<Op> op, std::vector<int> inputs) {
  const int self = static_cast<int>(ops_.size()) + 1;
  if (inputs.empty()) inputs.push_back(self - 1);
  for (int v : inputs)
    if (v < 0 || v >= self)
      throw std::invalid_argument(op->name() + ": input value " + std::to_string(v) + " is not computed before it");
  if (needs_grad_.empty()) needs_grad_.push_back(0);  // the model input
  bool needs = !op->parameters().empty();
  for (int v : inputs) needs = needs || needs_grad_[static_cast<std::size_t>(v)];
  needs_grad_.push_back(needs);
  ops_.push_back(std::move(op));
  inputs_.push_back(std::move(inputs));
}

const Tensor& Graph::forward(const Tensor& x, ExecContext& ctx) {
  acts_.resize(ops_.size() + 1);
  acts_[0].shape = x.shape;
  acts_[0].data.assign(x.data.begin(), x.data.end());
  acts_[0].ids.assign(x.ids.begin(), x.ids.end());  // token ids: copied, never rounded
  acts_[0].dtype = x.dtype;
  acts_[0].format = x.format;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    x_.clear();
    for (int v : inputs_[i]) x_.push_back(&acts_[static_cast<std::size_t>(v)]);
    ops_[i]->forwardNode(x_, acts_[i + 1], ctx);
  }
  return acts_.back();
}

void Graph::backward(const Tensor& dlogits, ExecContext& ctx) {
  grads_.resize(ops_.size() + 1);
  grad_set_.assign(ops_.size() + 1, 0);
  grads_.back().shape = dlogits.shape;
  grads_.back().data.assign(dlogits.data.begin(), dlogits.data.end());
  grads_.back().format = dlogits.format;
  grad_set_.back() = 1;
  for (std::size_t i = ops_.size(); i-- > 0;) {
    if (!grad_set_[i + 1]) continue;  // nothing downstream reads this node's output
    const auto& in = inputs_[i];
    x_.clear();
    dx_.assign(in.size(), nullptr);
    if (extra_dx_.size() < in.size()) extra_dx_.resize(in.size());
    for (std::size_t k = 0; k < in.size(); ++k) {
      const auto v = static_cast<std::size_t>(in[k]);
      x_.push_back(&acts_[v]);
      if (!needs_grad_[v]) continue;
      // The first contribution is written in place; later ones are added to it.
      bool first = !grad_set_[v];
      for (std::size_t j = 0; j < k && first; ++j) first = static_cast<std::size_t>(in[j]) != v;
      dx_[k] = first ? &grads_[v] : &extra_dx_[k];
    }
    ops_[i]->backwardNode(x_, acts_[i + 1], grads_[i + 1], dx_, ctx);
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (!dx_[k]) continue;
      const auto v = static_cast<std::size_t>(in[k]);
      if (dx_[k] == &grads_[v]) {
        grad_set_[v] = 1;
        continue;
      }
      // Fan-out: sum in fp32, stored (rounded) in the compute format like any gradient.
      Tensor& g = grads_[v];
      const float* s = dx_[k]->ptr();
      for (std::size_t e = 0; e < g.data.size(); ++e) g.data[e] += s[e];
      ctx.roundGradient(g);
    }
  }
}

std::vector<Parameter*> Graph::parameters() {
  std::vector<Parameter*> out;
  for (auto& op : ops_)
    for (auto* p : op->parameters()) out.push_back(p);
  return out;
}

Shape Graph::outputShape(Shape in) const {
  std::vector<Shape> values{std::move(in)};
  std::vector<Shape> ins;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    ins.clear();
    for (int v : inputs_[i]) ins.push_back(values[static_cast<std::size_t>(v)]);
    values.push_back(ops_[i]->nodeOutputShape(ins));
  }
  return values.back();
}

}  // namespace halflab
