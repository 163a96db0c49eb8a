// The consistency check shared by every loader (see requireWellFormed in dataset.hpp).
#include <string>

#include "engine/data/dataset.hpp"

namespace halflab {

void requireInputsMatchShape(const Dataset& d) {
  const Shape& s = d.inputs.shape;
  if (s.size() < 2)
    throw DataError(d.name + ": inputs need a sample dimension and at least one more (shape " + shapeToString(s) + ")");
  std::int64_t elements = 0;
  try {
    elements = shapeSize(s);
  } catch (const ShapeError& e) {
    throw DataError(d.name + ": " + e.what());
  }
  if (elements != d.inputs.size())
    throw DataError(d.name + ": shape " + shapeToString(s) + " needs " + std::to_string(elements) +
                    " values but " + std::to_string(d.inputs.size()) + " were loaded");
  if (!d.lengths.empty() && static_cast<std::int64_t>(d.lengths.size()) != s[0])
    throw DataError(d.name + ": " + std::to_string(s[0]) + " samples but " + std::to_string(d.lengths.size()) +
                    " sequence lengths");
}

void requireWellFormed(const Dataset& d) {
  requireInputsMatchShape(d);
  const Shape& s = d.inputs.shape;
  if (static_cast<std::uint64_t>(s[0]) != d.labels.size())
    throw DataError(d.name + ": " + std::to_string(s[0]) + " samples but " + std::to_string(d.labels.size()) +
                    " labels");
  if (d.num_classes < 1) throw DataError(d.name + ": needs at least one class (num_classes " + std::to_string(d.num_classes) + ")");
  for (std::size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels[i] < 0 || d.labels[i] >= d.num_classes)
      throw DataError(d.name + ": label " + std::to_string(d.labels[i]) + " of sample " + std::to_string(i) +
                      " is outside 0.." + std::to_string(d.num_classes - 1));
}

}  // namespace halflab
