#include "engine/model/linear.hpp"

#include <algorithm>
#include <cmath>

#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/model/init.hpp"

namespace halflab {

Linear::Linear(std::string name, std::int64_t in, std::int64_t out, std::mt19937_64& rng,
               double gain)
    : name_(std::move(name)), in_(in), out_(out) {
  weight_.name = name_ + ".weight";
  weight_.value = Tensor({out, in});
  bias_.name = name_ + ".bias";
  bias_.value = Tensor({out});
  bias_.decay = false;
  const double bound = gain / std::sqrt(static_cast<double>(in));
  initUniform(weight_.value, bound, rng);
  initUniform(bias_.value, bound, rng);
}

Linear::Linear(std::string name, Parameter weight, Parameter bias)
    : name_(std::move(name)), in_(weight.value.dim(1)), out_(weight.value.dim(0)),
      weight_(std::move(weight)), bias_(std::move(bias)) {}

void Linear::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  const std::int64_t n = x.dim(0);
  y.reshapeTo(outputShape(x.shape));  // refuses an input of the wrong width
  const float* b = bias_.compute().ptr();
  for (std::int64_t i = 0; i < n; ++i) std::copy(b, b + out_, y.ptr() + i * out_);
  const float* xin = ctx.gemmInput(x, scratch_x_);
  const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
  cpu::gemm(false, true, n, out_, in_, 1.0f, xin, w, 1.0f, y.ptr());
  ctx.roundOutput(y);
}

void Linear::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                      ExecContext& ctx) {
  const std::int64_t n = x.dim(0);
  const float* g = ctx.gemmInput(dy, scratch_dy_);
  const float* xin = ctx.gemmInput(x, scratch_x_);
  weight_.grad.reshapeTo({out_, in_});
  cpu::gemm(true, false, out_, in_, n, 1.0f, g, xin, 0.0f, weight_.grad.ptr());
  ctx.roundGradient(weight_.grad);

  bias_.grad.reshapeTo({out_});
  std::fill(bias_.grad.data.begin(), bias_.grad.data.end(), 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = dy.ptr() + i * out_;
    for (std::int64_t j = 0; j < out_; ++j) bias_.grad.data[j] += row[j];
  }
  ctx.roundGradient(bias_.grad);

  if (dx) {
    dx->reshapeTo(x.shape);
    const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
    cpu::gemm(false, false, n, in_, out_, 1.0f, g, w, 0.0f, dx->ptr());
    ctx.roundGradient(*dx);
  }
}

}  // namespace halflab
