#pragma once
// Fixed-length rows from token sequences, with the semantics of Keras pad_sequences:
// a sequence longer than max_len loses tokens at the start (truncating pre) or at the end
// (truncating post); a shorter one gets kPadId before it (padding pre) or after it (post).
#include <cstdint>
#include <optional>
#include <string>

namespace halflab {

enum class PadSide { Pre, Post };

std::optional<PadSide> parsePadSide(const std::string& s);  // "pre" | "post"

// Writes one row of max_len ids to out; returns how many real tokens it holds.
std::int64_t padSequence(const std::int32_t* tokens, std::int64_t n, std::int64_t max_len, PadSide padding,
                         PadSide truncating, std::int32_t* out);

}  // namespace halflab
