#pragma once
// Precision modes (docs/ARCHITECTURE.md 2.1): which format the forward/backward tensors are held in,
// whether fp32 master weights exist, and the default loss scaler.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/numeric/format.hpp"
#include "engine/precision/loss_scaler.hpp"

namespace halflab {

enum class PrecisionMode { FP32, TF32, FP16Pure, FP16Amp, BF16Amp };

std::string_view precisionModeName(PrecisionMode m);  // "fp32", "fp16-amp", ...
std::optional<PrecisionMode> parsePrecisionMode(std::string_view name);
// Every mode's name, in table order: what the GUI and CLI offer.
std::vector<std::string> precisionModeNames();

struct PrecisionPolicy {
  PrecisionMode mode = PrecisionMode::FP32;
  Format compute = Format::FP32;   // activations, activation grads, working weights
  Format gemm_input = Format::FP32;  // what GEMM/conv inputs are rounded to (TF32 for tf32)
  bool master_weights = false;     // fp32 master + low-format working copy
  bool low_precision() const { return compute != Format::FP32; }
};

PrecisionPolicy policyFor(PrecisionMode m);
ScalerFlavour defaultScalerFor(PrecisionMode m);

}  // namespace halflab
