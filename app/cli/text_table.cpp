#include "app/cli/text_table.hpp"

#include <algorithm>
#include <iostream>

namespace halflab::cli {

void printTable(const std::vector<std::string>& head, const std::vector<bool>& right,
                const std::vector<std::vector<std::string>>& rows) {
  // Widths in characters, not bytes: "±" is two bytes in UTF-8.
  const auto chars = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::vector<std::size_t> width(head.size());
  for (std::size_t c = 0; c < head.size(); ++c) width[c] = chars(head[c]);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], chars(r[c]));
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c) {
      const std::string pad(width[c] - chars(cells[c]), ' ');
      if (c) s += "  ";
      s += right[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    std::cout << s << '\n';
  };
  line(head);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  std::cout << std::string(total > 2 ? total - 2 : 0, '-') << '\n';
  for (const auto& r : rows) line(r);
}

}  // namespace halflab::cli
