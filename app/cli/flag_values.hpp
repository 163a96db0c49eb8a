#pragma once
// Strict parsing of numeric flag values, so that every problem names its flag in plain
// words (exit 2): no "64.5" read as 64, no "256abc" as 256, no library exception text for
// "1e400" or a seed of 2^64.
#include <cstdint>
#include <exception>
#include <string>

namespace halflab::cli {

// Throws CLI::RuntimeError(message, kExitUsage).
[[noreturn]] void usageError(const std::string& message);

// "(got VALUE)", cut when long; "(got an empty value)" for "".
std::string gotText(const std::string& text);

// A whole number written as plain digits with an optional '-', nothing else (range
// checks are the caller's, usually the config's validation).
std::int64_t parseWholeFlag(const std::string& flag, const std::string& text);
// A seed: 0 to 2^64-1.
std::uint64_t parseSeedFlag(const std::string& flag, const std::string& text);
// A finite number (decimal or exponent notation).
double parseRealFlag(const std::string& flag, const std::string& text);

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string plainJsonMessage(const std::exception& e);

}  // namespace halflab::cli
