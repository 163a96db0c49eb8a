#pragma once
// Token datasets: what the text loaders (IMDB, CSV/TSV) produce. Token ids are int32,
// never float: a vocabulary of 20,000 words is past what fp16 (or bf16) holds exactly.
// Kept apart from the float Dataset on purpose; the engine's int32 input path consumes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/text/vocabulary.hpp"

namespace halflab {

struct TokenizedSet {
  std::string name;                          // e.g. "imdb/train"
  std::int64_t max_len = 0;                  // T: tokens per row after padding / truncating
  std::vector<std::int32_t> ids;             // [N, T] row-major; kPadId fills, kUnknownId for rare words
  std::vector<std::int32_t> lengths;         // real tokens per row (<= T); the rest is padding
  std::vector<std::int32_t> source_lengths;  // tokens before truncation (> T: the row was cut)
  std::vector<std::int32_t> labels;          // class index per row
  int num_classes = 0;

  std::int64_t count() const { return static_cast<std::int64_t>(labels.size()); }
  const std::int32_t* row(std::int64_t i) const { return ids.data() + i * max_len; }
  std::int64_t memoryBytes() const {
    return static_cast<std::int64_t>((ids.size() + lengths.size() + source_lengths.size() + labels.size()) *
                                     sizeof(std::int32_t));
  }
};

struct TokenizedSplit {
  TokenizedSet train, test;
  Vocabulary vocab;                       // built from the training split only
  std::vector<std::string> class_names;   // label i is class_names[i]
};

// Every array has the size N (or N * T) and every value is in range: ids < vocab_size,
// lengths <= T and <= source_lengths, labels < num_classes. Throws DataError naming the set.
void requireWellFormed(const TokenizedSet& s, std::int64_t vocab_size);

// Reorders the rows of `s` by a permutation drawn from `seed` (portable, same on every
// platform).
void shuffleRows(TokenizedSet& s, std::uint64_t seed);

}  // namespace halflab
