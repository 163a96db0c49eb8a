#include "engine/data/text/vocabulary.hpp"

#include <algorithm>
#include <stdexcept>

namespace halflab {

Vocabulary Vocabulary::fromCounts(const WordCounts& counts, std::int64_t max_words) {
  std::vector<const WordCounts::value_type*> order;
  order.reserve(counts.size());
  for (const auto& kv : counts) order.push_back(&kv);
  const auto by_rank = [](const auto* a, const auto* b) {
    return a->second != b->second ? a->second > b->second : a->first < b->first;
  };
  const auto keep = static_cast<std::size_t>(std::clamp<std::int64_t>(max_words, 0, static_cast<std::int64_t>(order.size())));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_rank);
  std::vector<std::string> words;
  words.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) words.push_back(order[i]->first);
  return fromWords(std::move(words));
}

Vocabulary Vocabulary::fromWords(std::vector<std::string> words) {
  Vocabulary v;
  v.words_ = std::move(words);
  v.index_.reserve(v.words_.size());
  for (std::size_t i = 0; i < v.words_.size(); ++i)
    v.index_.emplace(v.words_[i], static_cast<std::int32_t>(i) + kFirstWordId);
  return v;
}

std::int32_t Vocabulary::idOf(std::string_view word) const {
  const auto it = index_.find(word);
  return it == index_.end() ? kUnknownId : it->second;
}

std::string Vocabulary::wordOf(std::int32_t id) const {
  if (id == kPadId) return "<pad>";
  if (id == kUnknownId) return "<unk>";
  if (id < kFirstWordId || id >= size()) throw std::out_of_range("token id " + std::to_string(id) + " is not in the vocabulary");
  return words_[static_cast<std::size_t>(id - kFirstWordId)];
}

}  // namespace halflab
