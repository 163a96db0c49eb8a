#pragma once
// Labelled texts from CSV or TSV files: <dir>/train.csv and <dir>/test.csv (or .tsv,
// tab-separated). The first row is a header naming the columns; it must hold `text` and
// `label` (any order, other columns ignored). Fields follow RFC 4180 (libcsv, strict):
// quoted fields may hold the separator, newlines and doubled quotes (""). Classes are
// the distinct training labels, in numeric order when all are integers, else byte order.
#include <string>

#include "engine/data/text/text_options.hpp"
#include "engine/data/text/tokenized_set.hpp"

namespace halflab {

// Throws DataError naming the file and, for content problems, the line: no header, a
// missing column, a row with another number of fields, a broken quote, an empty label,
// a test label absent from training, non-UTF-8 text, no rows, a file over 1 GiB.
TokenizedSplit loadCsvText(const std::string& dir, const TextOptions& opts, TextLoadInfo* info = nullptr);

}  // namespace halflab
