#pragma once
// The shape rules of every op, in one place: each layer's outputShape() and the model plan
// (engine/model/model_plan.hpp) call these, so an input that does not fit an op is refused
// during shape inference, before any kernel could read or write outside its buffers.
// Shapes carry the batch dimension first ([N, C, H, W] or [N, D]).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/tensor/tensor.hpp"

namespace halflab {

// A layer whose input does not fit it; the message starts with the layer's name.
class ShapeInferenceError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A square sliding window (convolution or pooling).
struct Window2d {
  std::int64_t kernel = 1, stride = 1, padding = 0;
};

struct Size2d {
  std::int64_t h = 0, w = 0;
};

// (in + 2 padding - kernel) / stride + 1 on each axis, or ShapeInferenceError such as
// "pool6: a 2x2 window with stride 2 does not fit a 1x1 input" when the (padded) input
// is smaller than the window: integer division would otherwise turn -1/2 into an output
// of 1. Also refuses kernel < 1, stride < 1 and padding < 0.
Size2d windowOutputSize(const std::string& layer, Size2d in, const Window2d& w);

Shape linearOutputShape(const std::string& layer, const Shape& in, std::int64_t in_features,
                        std::int64_t out_features);
Shape conv2dOutputShape(const std::string& layer, const Shape& in, std::int64_t in_channels,
                        std::int64_t out_channels, const Window2d& w);
Shape maxPool2dOutputShape(const std::string& layer, const Shape& in, const Window2d& w);
// [N, C] (BatchNorm1d) or [N, C, H, W] (BatchNorm2d) with C == channels; returns `in`.
Shape batchNormOutputShape(const std::string& layer, const Shape& in, std::int64_t channels);
// [N, ...] -> [N, product of the rest] (checked: no overflow).
Shape flattenOutputShape(const std::string& layer, const Shape& in);

}  // namespace halflab
