#pragma once
#include "engine/model/layer.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

// Batch normalisation over [N, C] (1d) or [N, C, H, W] (2d). Statistics and the affine
// parameters are fp32 in every mode (Apex keep_batchnorm_fp32); the output is rounded to
// the compute format.
class BatchNorm : public Layer {
 public:
  BatchNorm(std::string name, std::int64_t channels, double momentum = 0.1, double eps = 1e-5);
  // With initialised affine parameters (the graph builder's path), each [channels].
  BatchNorm(std::string name, Parameter gamma, Parameter beta, double momentum, double eps);
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override { return batchNormOutputShape(name_, in, channels_); }
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&gamma_, &beta_}; }
  const std::vector<float>& runningMean() const { return running_mean_; }
  const std::vector<float>& runningVar() const { return running_var_; }
  double momentum() const { return momentum_; }
  double eps() const { return eps_; }

 private:
  std::string name_;
  std::int64_t channels_;
  double momentum_, eps_;
  Parameter gamma_, beta_;
  std::vector<float> running_mean_, running_var_;
  std::vector<float> xhat_, inv_std_;
};

}  // namespace halflab
