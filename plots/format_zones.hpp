#pragma once
// Where a format's values live on the log2 axis: below min_subnormal a value rounds to 0,
// [min_subnormal, min_normal) is subnormal (lost precision), [min_normal, max] is normal,
// beyond max it overflows to inf.
#include <QString>

#include "engine/numeric/format.hpp"

namespace halflab {

struct FormatZones {
  double subnormal_from;  // log2 of the smallest subnormal
  double normal_from;     // log2 of the smallest normal
  double overflow_from;   // log2 of the largest finite value
};

// Exponents for the formats the plots shade; computed without the numeric library so
// that plots only depend on the record types.
FormatZones formatZones(Format f);
QString formatLabel(Format f);

}  // namespace halflab
