#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

[[noreturn]] void refuse(const std::string& layer, const std::string& problem) {
  throw ShapeInferenceError(layer + ": " + problem);
}

void requireRank(const std::string& layer, const Shape& in, std::size_t rank, const char* layout) {
  if (in.size() != rank)
    refuse(layer, "expects a " + std::string(layout) + " input, got shape " + shapeToString(in));
  for (const std::int64_t d : in)
    if (d < 0) refuse(layer, "input shape " + shapeToString(in) + " has a negative dimension");
}

void requireSize(const std::string& layer, const Shape& in, std::size_t dim, std::int64_t expected,
                 const char* what) {
  if (in[dim] != expected)
    refuse(layer, "expects " + std::to_string(expected) + " " + what + ", got " + std::to_string(in[dim]) +
                      " (input shape " + shapeToString(in) + ")");
}

}  // namespace

Size2d windowOutputSize(const std::string& layer, Size2d in, const Window2d& w) {
  if (w.kernel < 1 || w.stride < 1 || w.padding < 0)
    refuse(layer, "window " + std::to_string(w.kernel) + " with stride " + std::to_string(w.stride) +
                      " and padding " + std::to_string(w.padding) +
                      " is not valid (kernel and stride must be >= 1, padding >= 0)");
  const std::int64_t span_h = in.h + 2 * w.padding, span_w = in.w + 2 * w.padding;
  if (in.h < 1 || in.w < 1 || span_h < w.kernel || span_w < w.kernel) {
    const std::string k = std::to_string(w.kernel);
    std::string window = "a " + k + "x" + k + " window with stride " + std::to_string(w.stride);
    if (w.padding > 0) window += " and padding " + std::to_string(w.padding);
    refuse(layer, window + " does not fit a " + std::to_string(in.h) + "x" + std::to_string(in.w) + " input");
  }
  return {(span_h - w.kernel) / w.stride + 1, (span_w - w.kernel) / w.stride + 1};
}

Shape linearOutputShape(const std::string& layer, const Shape& in, std::int64_t in_features,
                        std::int64_t out_features) {
  requireRank(layer, in, 2, "[batch, features]");
  requireSize(layer, in, 1, in_features, "input features");
  return {in[0], out_features};
}

Shape conv2dOutputShape(const std::string& layer, const Shape& in, std::int64_t in_channels,
                        std::int64_t out_channels, const Window2d& w) {
  requireRank(layer, in, 4, "[batch, channels, height, width]");
  requireSize(layer, in, 1, in_channels, "input channels");
  const Size2d out = windowOutputSize(layer, {in[2], in[3]}, w);
  return {in[0], out_channels, out.h, out.w};
}

Shape maxPool2dOutputShape(const std::string& layer, const Shape& in, const Window2d& w) {
  requireRank(layer, in, 4, "[batch, channels, height, width]");
  const Size2d out = windowOutputSize(layer, {in[2], in[3]}, w);
  return {in[0], in[1], out.h, out.w};
}

Shape batchNormOutputShape(const std::string& layer, const Shape& in, std::int64_t channels) {
  if (in.size() != 2 && in.size() != 4)
    refuse(layer, "expects a [batch, channels] or [batch, channels, height, width] input, got shape " +
                      shapeToString(in));
  requireSize(layer, in, 1, channels, "channels");
  return in;
}

Shape flattenOutputShape(const std::string& layer, const Shape& in) {
  if (in.empty()) refuse(layer, "expects an input with a batch dimension, got shape []");
  try {
    return {in[0], shapeSize(Shape(in.begin() + 1, in.end()))};
  } catch (const ShapeError& e) {
    refuse(layer, e.what());
  }
}

}  // namespace halflab
