#pragma once
// Plain text tables for the CLI (runs list, compare, sweep reports).
#include <string>
#include <vector>

namespace halflab::cli {

// Prints a table on stdout; columns whose flag is true are right-aligned (numbers).
void printTable(const std::vector<std::string>& head, const std::vector<bool>& right,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace halflab::cli
