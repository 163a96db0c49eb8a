#include "plots/format_zones.hpp"

#include <cmath>

namespace halflab {

FormatZones formatZones(Format f) {
  switch (f) {
    case Format::FP16: return {-24.0, -14.0, std::log2(65504.0)};
    case Format::BF16: return {-133.0, -126.0, std::log2(3.3895313892515355e38)};
    case Format::E4M3: return {-9.0, -6.0, std::log2(448.0)};
    case Format::E5M2: return {-16.0, -14.0, std::log2(57344.0)};
    case Format::TF32: return {-136.0, -126.0, 128.0};
    case Format::FP32: return {-149.0, -126.0, 128.0};
  }
  return {-149.0, -126.0, 128.0};
}

QString formatLabel(Format f) {
  switch (f) {
    case Format::FP32: return QStringLiteral("FP32");
    case Format::TF32: return QStringLiteral("TF32");
    case Format::FP16: return QStringLiteral("FP16");
    case Format::BF16: return QStringLiteral("BF16");
    case Format::E4M3: return QStringLiteral("FP8 E4M3");
    case Format::E5M2: return QStringLiteral("FP8 E5M2");
  }
  return QStringLiteral("?");
}

}  // namespace halflab
