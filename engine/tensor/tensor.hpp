#pragma once
// A dense fp32 host tensor (row-major, NCHW for images). Low-precision values are held
// as fp32 numbers exactly representable in their format; `format` says which.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/numeric/format.hpp"

namespace halflab {

using Shape = std::vector<std::int64_t>;

// A shape that has no element count: a negative dimension, or a product beyond int64
// (which, wrapped, would allocate a tiny buffer for a huge shape).
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

std::string shapeToString(const Shape& s);
[[noreturn]] void throwShapeSizeError(const Shape& s);

// The element count of a shape, checked: throws ShapeError instead of overflowing.
inline std::int64_t shapeSize(const Shape& s) {
  std::int64_t n = 1;
  for (const std::int64_t d : s)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) throwShapeSizeError(s);
  return n;
}

// What a tensor's elements are: fp32 numbers (`data`) or int32 token ids (`ids`), which
// are never rounded (a vocabulary of 20,000 words is past what fp16 holds exactly).
enum class DType { F32, I32 };

struct Tensor {
  Shape shape;
  std::vector<float> data;
  Format format = Format::FP32;
  DType dtype = DType::F32;
  std::vector<std::int32_t> ids;  // the elements when dtype == I32 (`data` is then empty)

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f, Format f = Format::FP32)
      : shape(std::move(s)), data(static_cast<std::size_t>(shapeSize(shape)), fill), format(f) {}

  // An int32 tensor of the given shape, filled with `fill`.
  static Tensor tokenIds(Shape s, std::int32_t fill = 0) {
    Tensor t;
    t.dtype = DType::I32;
    t.ids.assign(static_cast<std::size_t>(shapeSize(s)), fill);
    t.shape = std::move(s);
    return t;
  }
  bool isTokenIds() const { return dtype == DType::I32; }
  std::int64_t size() const {
    return static_cast<std::int64_t>(dtype == DType::I32 ? ids.size() : data.size());
  }
  std::int64_t dim(std::size_t i) const { return shape.at(i); }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
  // Resize keeping capacity (no per-step allocation once shapes are stable).
  void reshapeTo(const Shape& s) {
    const std::int64_t n = shapeSize(s);
    shape = s;
    if (dtype == DType::I32) ids.resize(static_cast<std::size_t>(n));
    else data.resize(static_cast<std::size_t>(n));
  }
  void zero() { std::fill(data.begin(), data.end(), 0.0f); }
};

}  // namespace halflab
