#include "engine/model/sequential.hpp"

namespace halflab {

const Tensor& Sequential::forward(const Tensor& x, ExecContext& ctx) {
  acts_.resize(layers_.size() + 1);
  acts_[0].shape = x.shape;
  acts_[0].data.assign(x.data.begin(), x.data.end());
  acts_[0].format = x.format;
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->forward(acts_[i], acts_[i + 1], ctx);
  return acts_.back();
}

void Sequential::backward(const Tensor& dlogits, ExecContext& ctx) {
  grads_.resize(layers_.size() + 1);
  grads_.back().shape = dlogits.shape;
  grads_.back().data.assign(dlogits.data.begin(), dlogits.data.end());
  grads_.back().format = dlogits.format;
  // Below the first layer with parameters no gradient is needed (e.g. fc1's input in an
  // MLP, whose GEMM would cost a third of that layer's work).
  std::size_t first_trainable = layers_.size();
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (!layers_[i]->parameters().empty()) { first_trainable = i; break; }
  for (std::size_t i = layers_.size(); i-- > 0;) {
    Tensor* dx = i > first_trainable ? &grads_[i] : nullptr;
    layers_[i]->backward(acts_[i], acts_[i + 1], grads_[i + 1], dx, ctx);
  }
}

std::vector<Parameter*> Sequential::parameters() {
  std::vector<Parameter*> out;
  for (auto& l : layers_)
    for (auto* p : l->parameters()) out.push_back(p);
  return out;
}

Shape Sequential::outputShape(Shape in) const {
  for (const auto& l : layers_) in = l->outputShape(in);
  return in;
}

}  // namespace halflab
