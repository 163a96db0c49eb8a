#pragma once
#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/backend/cpu/dnnl_conv.hpp"
#include "engine/model/layer.hpp"

namespace halflab {

// 2-D convolution (NCHW input, OIHW weights); oneDNN does the arithmetic in strict fp32.
class Conv2d : public Layer {
 public:
  Conv2d(std::string name, std::int64_t in_channels, std::int64_t out_channels,
         std::int64_t kernel, std::int64_t stride, std::int64_t padding, std::mt19937_64& rng,
         double gain = 1.0);
  // With initialised parameters (the graph builder's path): weight OIHW, bias [O].
  Conv2d(std::string name, std::int64_t stride, std::int64_t padding, Parameter weight, Parameter bias);
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
  // TF32-rounded copies of the convolution inputs (TF32 mode only).
  std::vector<float> scratch_x_, scratch_w_, scratch_dy_;
  cpu::DnnlConvolution conv_;  // primitives cached per input shape
};

}  // namespace halflab
