#pragma once
// The real steps of each sample of a [N, T, ...] batch, for the length-aware sequence ops:
// ExecContext::lengths checked against the batch (one per sample, each in [0, T]), or all
// T steps when the batch carries none.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/model/exec_context.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

// [N, T, F] -> [N, F]: the output of the reductions over time (mean_over_time, max_over_time).
inline Shape overTimeOutputShape(const std::string& name, const Shape& in) {
  if (in.size() != 3) throw ShapeInferenceError(name + ": expects [batch, time, features], got shape " + shapeToString(in));
  return {in[0], in[2]};
}

inline void batchLengths(const ExecContext& ctx, const std::string& node, std::int64_t n, std::int64_t t,
                         std::vector<std::int32_t>& out) {
  if (ctx.lengths.empty()) {
    out.assign(static_cast<std::size_t>(n), static_cast<std::int32_t>(t));
    return;
  }
  if (static_cast<std::int64_t>(ctx.lengths.size()) != n)
    throw std::invalid_argument(node + ": " + std::to_string(ctx.lengths.size()) + " sequence lengths for a batch of " +
                                std::to_string(n));
  for (const auto len : ctx.lengths)
    if (len < 0 || len > t)
      throw std::invalid_argument(node + ": sequence length " + std::to_string(len) + " outside [0, " + std::to_string(t) + "]");
  out = ctx.lengths;
}

}  // namespace halflab
