#pragma once
// The IMDB Large Movie Review Dataset (aclImdb): <dir>/{train,test}/{neg,pos}/<id>_<rating>.txt,
// one review per UTF-8 file. Labels: neg = 0, pos = 1. `dir` may also be the folder
// holding aclImdb/. Files are read in name order (then shuffled with opts.seed); other
// folders (unsup/) and non-.txt files are ignored.
#include <string>

#include "engine/data/text/text_options.hpp"
#include "engine/data/text/tokenized_set.hpp"

namespace halflab {

// Throws DataError naming the folder or file: a missing split or class folder, a class
// folder without .txt files, an unreadable or non-UTF-8 file, a file over 16 MiB.
TokenizedSplit loadImdb(const std::string& dir, const TextOptions& opts, TextLoadInfo* info = nullptr);

}  // namespace halflab
