#include "engine/tensor/tensor.hpp"

namespace halflab {

std::string shapeToString(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += "x";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

void throwShapeSizeError(const Shape& s) {
  for (const std::int64_t d : s)
    if (d < 0) throw ShapeError("shape " + shapeToString(s) + " has a negative dimension");
  throw ShapeError("shape " + shapeToString(s) + ": its element count overflows 64 bits");
}

}  // namespace halflab
