#include "engine/train/text_data.hpp"

#include "engine/data/text/csv_text_loader.hpp"
#include "engine/data/text/imdb_loader.hpp"

namespace halflab {

TextOptions textOptionsFor(const RunConfig& cfg) {
  const auto& d = cfg.dataset;
  TextOptions o;
  o.vocab_size = d.vocab_size;
  o.max_len = d.max_len;
  o.padding = parsePadSide(d.padding).value_or(PadSide::Pre);  // validate() checked them
  o.truncating = parsePadSide(d.truncating).value_or(PadSide::Pre);
  o.seed = cfg.training.seed;
  o.use_cache = d.cache;
  o.cache_dir = d.cache_dir;
  return o;
}

TokenizedSplit loadTextFor(const RunConfig& cfg, TextLoadInfo* info) {
  const TextOptions o = textOptionsFor(cfg);
  TokenizedSplit split;
  if (cfg.dataset.kind == "imdb") split = loadImdb(cfg.datasetDir(), o, info);
  else if (cfg.dataset.kind == "csv-text") split = loadCsvText(cfg.datasetDir(), o, info);
  else throw ConfigError("dataset.kind", "'" + cfg.dataset.kind + "' is not a text dataset (expected imdb or csv-text)");
  // train_limit / test_limit keep the first rows, as for the float sets (after shuffling).
  auto limit = [](TokenizedSet& s, std::int64_t n) {
    if (n <= 0 || n >= s.count()) return;
    s.ids.resize(static_cast<std::size_t>(n * s.max_len));
    s.lengths.resize(static_cast<std::size_t>(n));
    s.source_lengths.resize(static_cast<std::size_t>(n));
    s.labels.resize(static_cast<std::size_t>(n));
  };
  limit(split.train, cfg.dataset.train_limit);
  limit(split.test, cfg.dataset.test_limit);
  return split;
}

Dataset tokenDataset(TokenizedSet&& s) {
  Dataset d;
  d.name = s.name;
  d.inputs.dtype = DType::I32;
  d.inputs.shape = {s.count(), s.max_len};
  d.inputs.ids = std::move(s.ids);
  d.lengths = std::move(s.lengths);
  d.labels = std::move(s.labels);
  d.num_classes = s.num_classes;
  requireWellFormed(d);
  return d;
}

}  // namespace halflab
