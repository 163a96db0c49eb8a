#pragma once
// The word tokenizer of the text sets: ASCII letters lowercased, the HTML line breaks of
// IMDB reviews ("<br />", also "<br/>" and "<br>") removed, and words are the maximal runs
// of [a-z0-9'] in what is left; every other byte (punctuation, spaces, non-ASCII UTF-8)
// separates words.
#include <cstddef>
#include <string>
#include <string_view>

namespace halflab {

// Calls f(std::string_view word) for each word of `text`, in order. The views point into
// `scratch` (reused between calls) and are valid until the next call.
template <typename F>
void forEachWord(std::string_view text, std::string& scratch, F&& f);

// Offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or std::string_view::npos.
std::size_t firstInvalidUtf8(std::string_view text);

// Implementation -----------------------------------------------------------------------

inline bool isWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

template <typename F>
void forEachWord(std::string_view text, std::string& scratch, F&& f) {
  scratch.assign(text);
  for (char& c : scratch)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const std::string_view s(scratch);
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    if (s[i] == '<') {
      // A break tag is a separator, never part of a word ("br" must not become one).
      std::size_t tag = 0;
      for (std::string_view t : {std::string_view("<br />"), std::string_view("<br/>"), std::string_view("<br>")})
        if (s.substr(i, t.size()) == t) tag = t.size();
      if (tag) {
        i += tag;
        continue;
      }
    }
    if (isWordByte(static_cast<unsigned char>(s[i]))) {
      const std::size_t start = i;
      while (i < n && isWordByte(static_cast<unsigned char>(s[i]))) ++i;
      f(s.substr(start, i - start));
      continue;
    }
    ++i;
  }
}

}  // namespace halflab
