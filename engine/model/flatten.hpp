#pragma once
#include "engine/model/layer.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override { return flattenOutputShape(name_, in); }
  void forward(const Tensor& x, Tensor& y, ExecContext&) override {
    y.shape = outputShape(x.shape);
    y.data = x.data;
    y.format = x.format;
  }
  void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                ExecContext&) override {
    if (!dx) return;
    dx->shape = x.shape;
    dx->data = dy.data;
    dx->format = dy.format;
  }

 private:
  std::string name_;
};

}  // namespace halflab
