#pragma once
#include "engine/model/layer.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

// y = x W^T + b. Low formats: inputs exact in the format, fp32 accumulation, output
// rounded once after the bias (the tensor-core / cuBLASLt-epilogue contract).
class Linear : public Layer {
 public:
  Linear(std::string name, std::int64_t in, std::int64_t out, std::mt19937_64& rng,
         double gain = 1.0);
  // With initialised parameters (the graph builder's path): weight [out, in], bias [out].
  Linear(std::string name, Parameter weight, Parameter bias);
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override { return linearOutputShape(name_, in, in_, out_); }
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

 private:
  std::string name_;
  std::int64_t in_, out_;
  Parameter weight_, bias_;
  std::vector<float> scratch_x_, scratch_w_, scratch_dy_;
};

}  // namespace halflab
