#include "engine/model/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "engine/model/init.hpp"

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

cpu::ConvGeometry Conv2d::geometry(const Shape& in) const {
  return {in.at(0), in.at(1), in.at(2), in.at(3), out_c_, kernel_, kernel_, stride_, padding_};
}

Shape Conv2d::outputShape(const Shape& in) const {
  const auto g = geometry(in);
  return {g.batch, out_c_, g.outH(), g.outW()};
}

// Layout (see cpu_ops.hpp): cols_ is patch-major [patch, N*P] and pixels_ is
// channel-major [OC, N*P], so the GEMM has the long N*P side as its row dimension (what
// OpenBLAS's kernels want) and im2col/col2im move whole rows.
void Conv2d::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  const auto g = geometry(x.shape);
  const std::int64_t rows = g.batch * g.outPixels(), patch = g.patchSize();
  cols_.resize(static_cast<std::size_t>(rows * patch));
  cpu::im2colPatchMajor(g, x.ptr(), cols_.data());
  if (ctx.policy.gemm_input == Format::TF32) roundBuffer(Format::TF32, cols_.data(), cols_.size());
  // pixels[oc, row] = bias[oc] + sum_k W[oc, k] * cols[k, row]
  pixels_.resize(static_cast<std::size_t>(rows * out_c_));
  const float* b = bias_.compute().ptr();
  for (std::int64_t c = 0; c < out_c_; ++c)
    std::fill(pixels_.data() + c * rows, pixels_.data() + (c + 1) * rows, b[c]);
  const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
  cpu::gemm(false, false, out_c_, rows, patch, 1.0f, w, cols_.data(), 1.0f, pixels_.data());
  y.reshapeTo(outputShape(x.shape));
  cpu::channelMajorToBatch(pixels_.data(), y.ptr(), g.batch, out_c_, g.outPixels());
  ctx.roundOutput(y);
}

void Conv2d::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                      ExecContext& ctx) {
  const auto g = geometry(x.shape);
  const std::int64_t rows = g.batch * g.outPixels(), patch = g.patchSize();
  // dy (NCHW) -> [oc, rows]; cols_ still holds this step's im2col of x.
  pixels_.resize(static_cast<std::size_t>(rows * out_c_));
  cpu::batchToChannelMajor(dy.ptr(), pixels_.data(), g.batch, out_c_, g.outPixels());
  if (ctx.policy.gemm_input == Format::TF32)
    roundBuffer(Format::TF32, pixels_.data(), pixels_.size());

  weight_.grad.reshapeTo(weight_.value.shape);
  cpu::gemm(false, true, out_c_, patch, rows, 1.0f, pixels_.data(), cols_.data(), 0.0f,
            weight_.grad.ptr());
  ctx.roundGradient(weight_.grad);

  bias_.grad.reshapeTo({out_c_});
  cpu::sumRowsInOrder(pixels_.data(), out_c_, rows, bias_.grad.ptr());
  ctx.roundGradient(bias_.grad);

  if (dx) {
    dcols_.resize(static_cast<std::size_t>(rows * patch));
    const float* w = ctx.gemmInput(weight_.compute(), scratch_w_);
    cpu::gemm(true, false, patch, rows, out_c_, 1.0f, w, pixels_.data(), 0.0f, dcols_.data());
    dx->reshapeTo(x.shape);
    dx->zero();
    cpu::col2imPatchMajor(g, dcols_.data(), dx->ptr());
    ctx.roundGradient(*dx);
  }
}

}  // namespace halflab
