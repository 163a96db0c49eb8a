#pragma once
// The token data a config names (dataset.kind imdb or csv-text), with its options.
#include "engine/data/text/text_options.hpp"
#include "engine/data/dataset.hpp"
#include "engine/data/text/tokenized_set.hpp"
#include "engine/train/run_config.hpp"

namespace halflab {

TextOptions textOptionsFor(const RunConfig& cfg);
// Throws DataError from the loader, ConfigError for a kind that is not a text kind.
TokenizedSplit loadTextFor(const RunConfig& cfg, TextLoadInfo* info = nullptr);
// A token set as the trainer's Dataset: inputs [N, T] int32 ids, lengths, labels.
Dataset tokenDataset(TokenizedSet&& s);

}  // namespace halflab
