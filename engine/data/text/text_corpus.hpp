#pragma once
// Raw labelled texts -> a TokenizedSplit: vocabulary from the training texts, ids,
// padding / truncating. Shared by the IMDB and CSV/TSV loaders.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/text/text_options.hpp"
#include "engine/data/text/tokenized_set.hpp"

namespace halflab {

struct LabelledText {
  std::string text;  // valid UTF-8 (the readers check)
  std::int32_t label = 0;
};

// Rows keep the order of the inputs (shuffling comes later, see shuffleRows).
TokenizedSplit tokenizeCorpus(const std::vector<LabelledText>& train, const std::vector<LabelledText>& test,
                              std::vector<std::string> class_names, const std::string& name,
                              const TextOptions& opts);

// A whole text file, checked to be UTF-8 (a leading byte-order mark is dropped). Throws
// DataError naming the file: unreadable, larger than max_bytes, or not UTF-8 (with the
// byte offset).
std::string readUtf8File(const std::string& path, std::int64_t max_bytes);

// Throws DataError "<where>: not valid UTF-8 (byte N)" when text is not UTF-8.
void requireUtf8(const std::string& text, const std::string& where);

}  // namespace halflab
