#include "engine/model/conv2d.hpp"

#include <cmath>

#include "engine/model/init.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

Conv2d::Conv2d(std::string name, std::int64_t in_channels, std::int64_t out_channels,
               std::int64_t kernel, std::int64_t stride, std::int64_t padding,
               std::mt19937_64& rng, double gain)
    : name_(std::move(name)), in_c_(in_channels), out_c_(out_channels), kernel_(kernel),
      stride_(stride), padding_(padding) {
  weight_.name = name_ + ".weight";
  weight_.value = Tensor({out_c_, in_c_, kernel_, kernel_});
  bias_.name = name_ + ".bias";
  bias_.value = Tensor({out_c_});
  bias_.decay = false;
  const double bound = gain / std::sqrt(static_cast<double>(in_c_ * kernel_ * kernel_));
  initUniform(weight_.value, bound, rng);
  initUniform(bias_.value, bound, rng);
}

Conv2d::Conv2d(std::string name, std::int64_t stride, std::int64_t padding, Parameter weight,
               Parameter bias)
    : name_(std::move(name)), in_c_(weight.value.dim(1)), out_c_(weight.value.dim(0)),
      kernel_(weight.value.dim(2)), stride_(stride), padding_(padding), weight_(std::move(weight)),
      bias_(std::move(bias)) {}

cpu::ConvGeometry Conv2d::geometry(const Shape& in) const {
  return {in.at(0), in.at(1), in.at(2), in.at(3), out_c_, kernel_, kernel_, stride_, padding_};
}

Shape Conv2d::outputShape(const Shape& in) const {
  return conv2dOutputShape(name_, in, in_c_, out_c_, {kernel_, stride_, padding_});
}

// The convolutions themselves are strict fp32 (oneDNN). Precision modes act around them:
// fp16/bf16 modes hand in exactly representable x and W and round the results here; TF32
// mode hands in TF32-rounded copies of every convolution input (x, W, dy) and keeps fp32
// outputs, like the GEMMs in Linear.
void Conv2d::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  const auto g = geometry(x.shape);
  const float* x_in = ctx.gemmInput(x, scratch_x_);
  const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
  y.reshapeTo(outputShape(x.shape));
  conv_.forward(g, x_in, w, bias_.compute().ptr(), y.ptr());
  ctx.roundOutput(y);
}

void Conv2d::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                      ExecContext& ctx) {
  const auto g = geometry(x.shape);
  const float* dy_in = ctx.gemmInput(dy, scratch_dy_);
  const float* x_in = ctx.gemmInput(x, scratch_x_);

  weight_.grad.reshapeTo(weight_.value.shape);
  bias_.grad.reshapeTo({out_c_});
  conv_.backwardWeights(g, x_in, dy_in, weight_.grad.ptr(), bias_.grad.ptr());
  ctx.roundGradient(weight_.grad);
  ctx.roundGradient(bias_.grad);

  if (dx) {
    const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
    dx->reshapeTo(x.shape);
    conv_.backwardData(g, dy_in, w, dx->ptr());
    ctx.roundGradient(*dx);
  }
}

}  // namespace halflab
