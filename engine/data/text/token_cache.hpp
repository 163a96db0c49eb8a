#pragma once
// The tokenized-set cache: one binary file per (source, options), so a second load skips
// reading and tokenizing the texts. The file starts with a versioned header holding the
// full key text and ends with a CRC-32 of everything before it; a file whose magic,
// version, key, sizes, checksum or values do not check out is never trusted (the caller
// rebuilds it). Writes go to a temporary file renamed into place, so a crash leaves either
// the old file or the new one.
#include <cstdint>
#include <optional>
#include <string>

#include "engine/data/text/tokenized_set.hpp"

namespace halflab {

inline constexpr std::uint32_t kTokenCacheVersion = 1;

// $XDG_CACHE_HOME/halflab/tokens, else $HOME/.cache/halflab/tokens ("" if neither is set).
std::string defaultTokenCacheDir();

// The cache file for `key` in `dir`: "<prefix>-<16 hex digits of a hash of key>.hltok".
std::string tokenCachePath(const std::string& dir, const std::string& prefix, const std::string& key);

// The split stored under `key`, or nullopt with *why set ("no cache file yet", "stale:
// written for other options", "corrupt: checksum mismatch", ...).
std::optional<TokenizedSplit> readTokenCache(const std::string& path, const std::string& key, std::string* why);

// Throws DataError naming the file when it cannot be written.
void writeTokenCache(const std::string& path, const std::string& key, const TokenizedSplit& split);

}  // namespace halflab
