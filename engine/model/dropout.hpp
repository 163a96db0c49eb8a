#pragma once
#include "engine/model/layer.hpp"

namespace halflab {

// Inverted dropout: kept elements are scaled by 1/(1-p) in training, identity in eval.
class Dropout : public Layer {
 public:
  Dropout(std::string name, double p) : name_(std::move(name)), p_(p) {}
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override { return in; }
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;

 private:
  std::string name_;
  double p_;
  std::vector<std::uint8_t> mask_;
  bool last_training_ = false;
};

}  // namespace halflab
