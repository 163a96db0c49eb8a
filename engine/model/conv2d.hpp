#pragma once
#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/model/layer.hpp"

namespace halflab {

// 2-D convolution as im2col + one batched GEMM (OpenBLAS does the arithmetic).
class Conv2d : public Layer {
 public:
  Conv2d(std::string name, std::int64_t in_channels, std::int64_t out_channels,
         std::int64_t kernel, std::int64_t stride, std::int64_t padding, std::mt19937_64& rng,
         double gain = 1.0);
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override;
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

 private:
  cpu::ConvGeometry geometry(const Shape& in) const;
  std::string name_;
  std::int64_t in_c_, out_c_, kernel_, stride_, padding_;
  Parameter weight_, bias_;
  std::vector<float> cols_, pixels_, scratch_w_, scratch_g_, dcols_;
};

}  // namespace halflab
