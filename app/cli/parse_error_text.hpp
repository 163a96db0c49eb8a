#pragma once
// Turns a CLI11 parse failure into one line a person can act on: the unknown command or
// flag with the closest known one ("unknown command 'trian' (did you mean 'train'?)",
// "train: unknown flag '--epoch' (did you mean '--epochs'?)"), or CLI11's own message
// with the command it belongs to.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace halflab::cli {

// The closest candidate: edit distance <= 2 (or `word` is a prefix of exactly one
// candidate); "" when nothing is close.
std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates);

// After app.parse(...) threw e (not help or version).
std::string describeParseError(const CLI::App& app, const CLI::ParseError& e);

}  // namespace halflab::cli
