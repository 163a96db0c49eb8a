#include "engine/data/text/cached_text_load.hpp"

#include <chrono>

#include "engine/data/dataset.hpp"
#include "engine/data/text/token_cache.hpp"

namespace halflab {

TokenizedSplit loadTextCached(const std::string& name, const std::string& source_key,
                              const std::function<RawCorpus()>& read, const TextOptions& opts,
                              TextLoadInfo* info) {
  const auto t0 = std::chrono::steady_clock::now();
  TextLoadInfo local;
  TextLoadInfo& li = info ? *info : local;
  li = {};
  const std::string key = source_key + "|vocab=" + std::to_string(opts.vocab_size) +
                          "|max_len=" + std::to_string(opts.max_len) +
                          "|padding=" + (opts.padding == PadSide::Pre ? "pre" : "post") +
                          "|truncating=" + (opts.truncating == PadSide::Pre ? "pre" : "post") +
                          "|tokenizer=1";
  const std::string dir = opts.cache_dir.empty() ? defaultTokenCacheDir() : opts.cache_dir;
  if (opts.use_cache && !dir.empty()) li.cache_file = tokenCachePath(dir, name, key);

  std::optional<TokenizedSplit> split;
  if (!li.cache_file.empty()) {
    split = readTokenCache(li.cache_file, key, &li.cache_note);
    li.cache_used = split.has_value();
  } else {
    li.cache_note = opts.use_cache ? "no cache folder (set dataset.cache_dir, or HOME)" : "cache off";
  }
  if (!split) {
    RawCorpus raw = read();
    split = tokenizeCorpus(raw.train, raw.test, std::move(raw.class_names), name, opts);
    if (!li.cache_file.empty()) {
      try {
        writeTokenCache(li.cache_file, key, *split);
        if (li.cache_note != "no cache file yet") li.cache_note = "rebuilt (" + li.cache_note + ")";
        else li.cache_note.clear();
      } catch (const DataError& e) {
        li.cache_note = std::string("not written: ") + e.what();  // the data itself is fine
      }
    }
  }
  shuffleRows(split->train, opts.seed);
  shuffleRows(split->test, opts.seed + 1);
  li.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return std::move(*split);
}

}  // namespace halflab
