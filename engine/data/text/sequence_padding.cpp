#include "engine/data/text/sequence_padding.hpp"

#include <algorithm>

#include "engine/data/text/vocabulary.hpp"

namespace halflab {

std::optional<PadSide> parsePadSide(const std::string& s) {
  if (s == "pre") return PadSide::Pre;
  if (s == "post") return PadSide::Post;
  return std::nullopt;
}

std::int64_t padSequence(const std::int32_t* tokens, std::int64_t n, std::int64_t max_len, PadSide padding,
                         PadSide truncating, std::int32_t* out) {
  const std::int64_t kept = std::min(n, max_len);
  const std::int32_t* from = truncating == PadSide::Pre ? tokens + (n - kept) : tokens;
  const std::int64_t pad = max_len - kept;
  std::int32_t* to = padding == PadSide::Pre ? out + pad : out;
  std::fill(out, out + max_len, kPadId);
  std::copy(from, from + kept, to);
  return kept;
}

}  // namespace halflab
