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

}  // namespace halflab
