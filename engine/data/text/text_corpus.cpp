#include "engine/data/text/text_corpus.hpp"

#include <fstream>
#include <limits>

#include "engine/data/dataset.hpp"
#include "engine/data/text/tokenizer.hpp"

namespace halflab {

namespace {

TokenizedSet makeRows(const std::vector<std::vector<std::int32_t>>& seqs, const std::vector<LabelledText>& texts,
                      const std::string& name, int num_classes, const TextOptions& opts) {
  TokenizedSet s;
  s.name = name;
  s.max_len = opts.max_len;
  s.num_classes = num_classes;
  const std::size_t n = seqs.size();
  s.ids.resize(n * static_cast<std::size_t>(opts.max_len));
  s.lengths.resize(n);
  s.source_lengths.resize(n);
  s.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto len = static_cast<std::int64_t>(seqs[i].size());
    if (len > std::numeric_limits<std::int32_t>::max()) throw DataError(name + ": a text holds more than 2^31 words");
    s.source_lengths[i] = static_cast<std::int32_t>(len);
    s.lengths[i] = static_cast<std::int32_t>(padSequence(seqs[i].data(), len, opts.max_len, opts.padding,
                                                         opts.truncating, s.ids.data() + i * opts.max_len));
    s.labels[i] = texts[i].label;
  }
  return s;
}

}  // namespace

TokenizedSplit tokenizeCorpus(const std::vector<LabelledText>& train, const std::vector<LabelledText>& test,
                              std::vector<std::string> class_names, const std::string& name,
                              const TextOptions& opts) {
  TokenizedSplit out;
  std::string scratch;
  // One pass over the training texts: words are interned (provisional ids in first-seen
  // order) and counted; the vocabulary then maps provisional ids to final ones.
  WordCounts interned;  // word -> provisional id
  std::vector<std::int64_t> counts;
  std::vector<std::vector<std::int32_t>> train_seqs(train.size());
  for (std::size_t i = 0; i < train.size(); ++i) {
    forEachWord(train[i].text, scratch, [&](std::string_view w) {
      auto it = interned.find(w);
      if (it == interned.end()) {
        it = interned.emplace(std::string(w), static_cast<std::int64_t>(counts.size())).first;
        counts.push_back(0);
      }
      ++counts[static_cast<std::size_t>(it->second)];
      train_seqs[i].push_back(static_cast<std::int32_t>(it->second));
    });
  }
  WordCounts word_counts;
  word_counts.reserve(interned.size());
  for (const auto& [w, pid] : interned) word_counts.emplace(w, counts[static_cast<std::size_t>(pid)]);
  out.vocab = Vocabulary::fromCounts(word_counts, opts.vocab_size);
  std::vector<std::int32_t> final_id(counts.size());
  for (const auto& [w, pid] : interned) final_id[static_cast<std::size_t>(pid)] = out.vocab.idOf(w);
  for (auto& seq : train_seqs)
    for (auto& t : seq) t = final_id[static_cast<std::size_t>(t)];

  std::vector<std::vector<std::int32_t>> test_seqs(test.size());
  for (std::size_t i = 0; i < test.size(); ++i)
    forEachWord(test[i].text, scratch, [&](std::string_view w) { test_seqs[i].push_back(out.vocab.idOf(w)); });

  const int k = static_cast<int>(class_names.size());
  out.train = makeRows(train_seqs, train, name + "/train", k, opts);
  out.test = makeRows(test_seqs, test, name + "/test", k, opts);
  out.class_names = std::move(class_names);
  requireWellFormed(out.train, out.vocab.size());
  requireWellFormed(out.test, out.vocab.size());
  return out;
}

void requireUtf8(const std::string& text, const std::string& where) {
  const std::size_t bad = firstInvalidUtf8(text);
  if (bad != std::string_view::npos)
    throw DataError(where + ": not valid UTF-8 (byte " + std::to_string(bad) +
                    "); text files must be UTF-8 encoded");
}

std::string readUtf8File(const std::string& path, std::int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": cannot open the text file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw DataError(path + ": cannot read the text file");
  if (size > max_bytes)
    throw DataError(path + ": " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) + " allowed");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  in.read(text.data(), size);
  if (in.gcount() != size) throw DataError(path + ": cannot read the text file");
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  requireUtf8(text, path);
  return text;
}

}  // namespace halflab
