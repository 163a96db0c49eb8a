#pragma once
// A dense fp32 host tensor (row-major, NCHW for images). Low-precision values are held
// as fp32 numbers exactly representable in their format; `format` says which.
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "engine/numeric/format.hpp"

namespace halflab {

using Shape = std::vector<std::int64_t>;

inline std::int64_t shapeSize(const Shape& s) {
  return std::accumulate(s.begin(), s.end(), std::int64_t{1}, std::multiplies<>());
}
std::string shapeToString(const Shape& s);

struct Tensor {
  Shape shape;
  std::vector<float> data;
  Format format = Format::FP32;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f, Format f = Format::FP32)
      : shape(std::move(s)), data(static_cast<std::size_t>(shapeSize(shape)), fill), format(f) {}

  std::int64_t size() const { return static_cast<std::int64_t>(data.size()); }
  std::int64_t dim(std::size_t i) const { return shape.at(i); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
  // Resize keeping capacity (no per-step allocation once shapes are stable).
  void reshapeTo(const Shape& s) {
    shape = s;
    data.resize(static_cast<std::size_t>(shapeSize(s)));
  }
  void zero() { std::fill(data.begin(), data.end(), 0.0f); }
};

}  // namespace halflab
