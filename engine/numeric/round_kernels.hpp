#pragma once
// Internal to engine/numeric (and its tests): the two implementations behind
// roundBuffer / roundBufferCounted / roundCopy, so tests can check that the vectorised
// path and the portable path give the same bits on the same machine.
#include "engine/numeric/format.hpp"

#include <cstddef>

namespace halflab::numeric_detail {

// True when this CPU has F16C and AVX2, i.e. when the public functions use the
// vectorised kernels.
bool simdRoundingAvailable();

// Portable element-by-element versions (any x86-64 or other CPU). src may equal dst.
void roundCopyPortable(Format f, const float* src, float* dst, std::size_t n);
void roundCopyCountedPortable(Format f, const float* src, float* dst, std::size_t n,
                              RoundingCounts& counts);

}  // namespace halflab::numeric_detail
