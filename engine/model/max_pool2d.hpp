#pragma once
#include "engine/model/layer.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

class MaxPool2d : public Layer {
 public:
  MaxPool2d(std::string name, std::int64_t kernel, std::int64_t stride)
      : name_(std::move(name)), kernel_(kernel), stride_(stride) {}
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override {
    return maxPool2dOutputShape(name_, in, {kernel_, stride_, 0});
  }
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;

 private:
  std::string name_;
  std::int64_t kernel_, stride_;
  std::vector<std::int32_t> argmax_;
};

}  // namespace halflab
