#include "engine/model/max_pool2d.hpp"

#include "engine/backend/cpu/cpu_ops.hpp"

namespace halflab {

void MaxPool2d::forward(const Tensor& x, Tensor& y, ExecContext&) {
  y.reshapeTo(outputShape(x.shape));
  y.format = x.format;  // a max of exact values is exact: no rounding needed
  argmax_.resize(y.data.size());
  cpu::maxPoolForward(x.ptr(), y.ptr(), argmax_.data(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                      kernel_, stride_);
}

void MaxPool2d::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                         ExecContext& ctx) {
  if (!dx) return;
  dx->reshapeTo(x.shape);
  cpu::maxPoolBackward(dy.ptr(), argmax_.data(), dx->ptr(), x.dim(0) * x.dim(1), x.dim(2),
                       x.dim(3), y.dim(2), y.dim(3));
  if (stride_ >= kernel_) {
    dx->format = dy.format;  // non-overlapping windows only route values: still exact
  } else {
    ctx.roundGradient(*dx);  // overlapping windows add gradients: round the sums
  }
}

}  // namespace halflab
