#pragma once
// The word -> id table of a text set: pad (0), unknown (1), then the most frequent
// training words. Ties are broken so the table never depends on hash order or file order:
// higher count first, then the word in byte order ("abc" before "abd").
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace halflab {

inline constexpr std::int32_t kPadId = 0;
inline constexpr std::int32_t kUnknownId = 1;
inline constexpr std::int32_t kFirstWordId = 2;

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordCounts = std::unordered_map<std::string, std::int64_t, StringViewHash, std::equal_to<>>;

class Vocabulary {
 public:
  Vocabulary() = default;
  // Keeps the max_words most frequent words of `counts` (count desc, then word asc).
  static Vocabulary fromCounts(const WordCounts& counts, std::int64_t max_words);
  // Words in id order (id = index + kFirstWordId), as stored in a cache file.
  static Vocabulary fromWords(std::vector<std::string> words);

  // kUnknownId for a word not in the table.
  std::int32_t idOf(std::string_view word) const;
  // Ids in use: pad + unknown + words, i.e. every id is < size().
  std::int64_t size() const { return static_cast<std::int64_t>(words_.size()) + kFirstWordId; }
  const std::vector<std::string>& words() const { return words_; }
  // "<pad>", "<unk>" or the word; throws std::out_of_range outside [0, size()).
  std::string wordOf(std::int32_t id) const;

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, std::int32_t, StringViewHash, std::equal_to<>> index_;
};

}  // namespace halflab
