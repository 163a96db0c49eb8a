#include "app/cli/flag_values.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"

namespace halflab::cli {
namespace {

template <typename T>
T parseDigits(const std::string& flag, const std::string& text, const char* too_big) {
  T value{};
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  const bool digits_only = ptr == last && !text.empty();
  if (ec == std::errc::result_out_of_range && digits_only) usageError(flag + ": " + too_big + " " + gotText(text));
  if (ec != std::errc() || !digits_only) usageError(flag + ": expected a whole number " + gotText(text));
  return value;
}

}  // namespace

void usageError(const std::string& message) { throw CLI::RuntimeError(message, kExitUsage); }

std::string gotText(const std::string& text) {
  constexpr std::size_t kMax = 60;
  if (text.empty()) return "(got an empty value)";
  return "(got " + (text.size() > kMax ? text.substr(0, kMax) + "..." : text) + ")";
}

std::int64_t parseWholeFlag(const std::string& flag, const std::string& text) {
  return parseDigits<std::int64_t>(flag, text, "too large for a whole number");
}

std::uint64_t parseSeedFlag(const std::string& flag, const std::string& text) {
  if (!text.empty() && text[0] == '-')
    usageError(flag + ": must be a whole number between 0 and 18446744073709551615 " + gotText(text));
  return parseDigits<std::uint64_t>(flag, text, "must be a whole number between 0 and 18446744073709551615");
}

double parseRealFlag(const std::string& flag, const std::string& text) {
  double value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  const bool whole_text = ptr == last && !text.empty();
  if (ec == std::errc::result_out_of_range && whole_text)
    usageError(flag + ": " + text.substr(0, 60) +
               " is out of range for a number (magnitudes from about 2.2e-308 to 1.8e308)");
  if (ec != std::errc() || !whole_text) usageError(flag + ": expected a number " + gotText(text));
  if (!std::isfinite(value)) usageError(flag + ": must be a finite number " + gotText(text));
  return value;
}

std::string plainJsonMessage(const std::exception& e) {
  std::string what = e.what();
  const auto close = what.find("] ");
  if (what.rfind("[json.exception", 0) == 0 && close != std::string::npos) what = what.substr(close + 2);
  return what;
}

}  // namespace halflab::cli
