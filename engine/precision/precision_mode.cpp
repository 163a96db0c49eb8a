#include "engine/precision/precision_mode.hpp"

#include <array>
#include <utility>

namespace halflab {
namespace {

constexpr std::array<std::pair<PrecisionMode, std::string_view>, 5> kModeNames{{
    {PrecisionMode::FP32, "fp32"},
    {PrecisionMode::TF32, "tf32"},
    {PrecisionMode::FP16Pure, "fp16-pure"},
    {PrecisionMode::FP16Amp, "fp16-amp"},
    {PrecisionMode::BF16Amp, "bf16-amp"},
}};

}  // namespace

std::string_view precisionModeName(PrecisionMode m) {
  for (const auto& [mode, name] : kModeNames)
    if (mode == m) return name;
  return "unknown";
}

std::optional<PrecisionMode> parsePrecisionMode(std::string_view name) {
  for (const auto& [mode, mode_name] : kModeNames)
    if (mode_name == name) return mode;
  return std::nullopt;
}

std::vector<std::string> precisionModeNames() {
  std::vector<std::string> out;
  for (const auto& [mode, mode_name] : kModeNames) out.emplace_back(mode_name);
  return out;
}

// docs/ARCHITECTURE.md 2.1: the table of modes.
PrecisionPolicy policyFor(PrecisionMode m) {
  PrecisionPolicy p;
  p.mode = m;
  switch (m) {
    case PrecisionMode::FP32:
      break;
    case PrecisionMode::TF32:
      p.gemm_input = Format::TF32;
      break;
    case PrecisionMode::FP16Pure:
      p.compute = Format::FP16;
      p.gemm_input = Format::FP16;
      break;
    case PrecisionMode::FP16Amp:
      p.compute = Format::FP16;
      p.gemm_input = Format::FP16;
      p.master_weights = true;
      break;
    case PrecisionMode::BF16Amp:
      p.compute = Format::BF16;
      p.gemm_input = Format::BF16;
      p.master_weights = true;
      break;
  }
  return p;
}

ScalerFlavour defaultScalerFor(PrecisionMode m) {
  switch (m) {
    case PrecisionMode::FP16Pure: return ScalerFlavour::Static;   // static scale 1
    case PrecisionMode::FP16Amp: return ScalerFlavour::PyTorch;
    default: return ScalerFlavour::None;  // fp32/tf32/bf16 have the range to need none
  }
}

}  // namespace halflab
