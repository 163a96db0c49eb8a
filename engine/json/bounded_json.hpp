#pragma once
// JSON from untrusted text (config files, --set values, stored configs, lessons) and JSON
// values quoted in messages, both bounded: nesting deeper than kMaxJsonDepth is refused
// while parsing (nlohmann's dump() and most tree walks recurse once per level, so
// 100000 nested brackets would overflow the stack), and a value quoted in a message is
// cut to a few dozen characters. Header-only so storage and the UI can use it without
// linking the engine.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace halflab {

// No HalfLab document nests more than a few levels; this leaves room for any sane one.
constexpr int kMaxJsonDepth = 64;
// How much of a value a message quotes.
constexpr std::size_t kMessageValueChars = 60;

class JsonTooDeep : public std::runtime_error {
 public:
  JsonTooDeep()
      : std::runtime_error("the JSON is nested deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels of arrays and objects") {}
};

// json::parse with the nesting bounded. Throws JsonTooDeep, or a nlohmann::json::exception
// for bad syntax (parse_error) or a number beyond double (out_of_range "number overflow");
// describe those with describeJsonError.
inline nlohmann::json parseBoundedJson(std::string_view text) {
  return nlohmann::json::parse(text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw JsonTooDeep();
    return true;
  });
}

// Like json::parse(text, nullptr, false): a discarded value (is_discarded()) for bad
// syntax, and for nesting that is too deep.
inline nlohmann::json parseBoundedJsonOrDiscarded(std::string_view text) {
  try {
    return parseBoundedJson(text);
  } catch (const std::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

// At most `max_chars` bytes of `s`, cut at a UTF-8 character boundary, with "…" when cut.
inline std::string cutForMessage(std::string_view s, std::size_t max_chars = kMessageValueChars) {
  if (s.size() <= max_chars) return std::string(s);
  std::size_t end = max_chars;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "…";
}

namespace detail {
// Compact JSON, but stops once `out` is longer than `max_chars`: never builds (or
// recurses through) more of a huge or deep value than a message can show.
inline void writeBriefJson(const nlohmann::json& v, std::string& out, std::size_t max_chars) {
  if (out.size() > max_chars) return;
  if (v.is_array() || v.is_object()) {
    out += v.is_array() ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end() && out.size() <= max_chars; ++it) {
      if (!first) out += ',';
      first = false;
      if (v.is_object()) out += nlohmann::json(cutForMessage(it.key(), max_chars)).dump() + ":";
      writeBriefJson(*it, out, max_chars);
    }
    out += v.is_array() ? ']' : '}';
  } else if (v.is_string()) {
    out += nlohmann::json(cutForMessage(v.get_ref<const std::string&>(), max_chars)).dump();
  } else {
    out += v.dump();
  }
}
}  // namespace detail

// A value as a message shows it: compact JSON cut to `max_chars` (with "…").
inline std::string jsonForMessage(const nlohmann::json& v, std::size_t max_chars = kMessageValueChars) {
  std::string out;
  detail::writeBriefJson(v, out, max_chars);
  return cutForMessage(out, max_chars);
}

// nlohmann's error without its "[json.exception.parse_error.101] " prefix, and cut (the
// text ends with the offending token, which may be a megabyte long).
inline std::string describeJsonError(const nlohmann::json::exception& e) {
  std::string_view what = e.what();
  if (const auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string_view::npos)
    what.remove_prefix(close + 2);
  return cutForMessage(what, 160);
}

}  // namespace halflab
