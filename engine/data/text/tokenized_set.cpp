#include "engine/data/text/tokenized_set.hpp"

#include <utility>

#include "engine/data/dataset.hpp"
#include "engine/data/portable_random.hpp"

namespace halflab {

void requireWellFormed(const TokenizedSet& s, std::int64_t vocab_size) {
  const auto n = static_cast<std::size_t>(s.count());
  auto fail = [&](const std::string& what) { throw DataError(s.name + ": " + what); };
  if (s.max_len < 1) fail("max_len must be >= 1");
  if (s.lengths.size() != n || s.source_lengths.size() != n) fail("one length per row is required");
  if (s.ids.size() != n * static_cast<std::size_t>(s.max_len)) fail("ids must hold N x max_len values");
  if (s.num_classes < 1) fail("no classes");
  for (std::size_t i = 0; i < n; ++i) {
    if (s.labels[i] < 0 || s.labels[i] >= s.num_classes) fail("label out of range in row " + std::to_string(i));
    if (s.lengths[i] < 0 || s.lengths[i] > s.max_len || s.lengths[i] > s.source_lengths[i])
      fail("length out of range in row " + std::to_string(i));
  }
  for (std::int32_t id : s.ids)
    if (id < 0 || id >= vocab_size) fail("token id " + std::to_string(id) + " outside the vocabulary of " + std::to_string(vocab_size));
}

void shuffleRows(TokenizedSet& s, std::uint64_t seed) {
  const std::int64_t n = s.count(), t = s.max_len;
  PortableRandom rng(mixSeed(seed, 0x7E47ULL));
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(perm[static_cast<std::size_t>(i)], perm[rng.below(static_cast<std::uint64_t>(i + 1))]);
  TokenizedSet out;
  out.name = s.name;
  out.max_len = t;
  out.num_classes = s.num_classes;
  out.ids.resize(s.ids.size());
  out.lengths.resize(s.lengths.size());
  out.source_lengths.resize(s.source_lengths.size());
  out.labels.resize(s.labels.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const auto src = static_cast<std::size_t>(perm[static_cast<std::size_t>(i)]);
    std::copy(s.row(static_cast<std::int64_t>(src)), s.row(static_cast<std::int64_t>(src)) + t, out.ids.data() + i * t);
    out.lengths[static_cast<std::size_t>(i)] = s.lengths[src];
    out.source_lengths[static_cast<std::size_t>(i)] = s.source_lengths[src];
    out.labels[static_cast<std::size_t>(i)] = s.labels[src];
  }
  s = std::move(out);
}

}  // namespace halflab
