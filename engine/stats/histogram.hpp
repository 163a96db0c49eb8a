#pragma once
// Log2-magnitude histograms of tensors (docs/ARCHITECTURE.md 2.3 "Histogram record"): counts of
// floor(log2|x|) over a fixed exponent range plus zero / inf / NaN bins, so the GUI can
// lay a tensor's spread over a format's representable range.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/stats/tensor_stats.hpp"  // TensorStats lives beside the histogram

namespace halflab {

struct Log2Histogram {
  int min_exp;  // exponent of bins[0]; smaller exponents are counted in bins[0]
  int max_exp;  // exponent of bins.back(); larger exponents are counted there
  std::vector<std::int64_t> bins;  // max_exp - min_exp + 1 entries
  std::int64_t zeros = 0, infs = 0, nans = 0;
};

// An empty histogram over [min_exp, max_exp]; throws std::invalid_argument when
// min_exp > max_exp.
Log2Histogram makeLog2Histogram(int min_exp = -40, int max_exp = 16);

// Adds the n values of x: each finite non-zero value to the bin of floor(log2|x|)
// (fp32 subnormals included, e.g. 2^-149 has exponent -149), clamped into the first /
// last bin. Throws std::invalid_argument when h.bins does not match its exponent range.
void accumulateLog2Histogram(const float* x, std::size_t n, Log2Histogram& h);

}  // namespace halflab
