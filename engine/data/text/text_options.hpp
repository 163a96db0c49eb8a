#pragma once
// What a text loader is asked for, and what it reports back about the load.
#include <cstdint>
#include <string>

#include "engine/data/text/sequence_padding.hpp"

namespace halflab {

struct TextOptions {
  std::int64_t vocab_size = 20000;  // most frequent training words kept (ids 2 .. vocab_size + 1)
  std::int64_t max_len = 256;       // tokens per row
  PadSide padding = PadSide::Pre;
  PadSide truncating = PadSide::Pre;
  std::uint64_t seed = 1;           // row order of both splits
  bool use_cache = true;
  std::string cache_dir;            // empty = defaultTokenCacheDir()
};

struct TextLoadInfo {
  bool cache_used = false;   // the rows came from the cache file
  std::string cache_file;    // empty when caching is off
  std::string cache_note;    // why the cache was not used or not written ("" when it was fine)
  double load_ms = 0;
};

}  // namespace halflab
