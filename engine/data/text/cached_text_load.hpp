#pragma once
// The cache-or-build step every text loader shares: look the (source, options) key up in
// the token cache, else read + tokenize and store the result; then shuffle the rows with
// the seed (the cache holds them unshuffled, so one file serves every seed).
#include <functional>
#include <string>
#include <vector>

#include "engine/data/text/text_corpus.hpp"
#include "engine/data/text/text_options.hpp"

namespace halflab {

struct RawCorpus {
  std::vector<LabelledText> train, test;
  std::vector<std::string> class_names;
};

// source_key: what identifies the input (kind, canonical path, file count, sizes and
// times); the options that change the rows are added to it here.
TokenizedSplit loadTextCached(const std::string& name, const std::string& source_key,
                              const std::function<RawCorpus()>& read, const TextOptions& opts,
                              TextLoadInfo* info);

}  // namespace halflab
