#include "app/cli/parse_error_text.hpp"

#include <algorithm>

namespace halflab::cli {
namespace {

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The innermost subcommand the parser got into.
const CLI::App* innermost(const CLI::App& app) {
  const CLI::App* at = &app;
  for (;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) return at;
    at = subs.front();
  }
}

std::string commandPath(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a && a->get_parent(); a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

std::vector<std::string> subcommandNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(s->get_name());
  return names;
}

// Flags of app and of the parents it falls through to ("--epochs", "-e", ...).
std::vector<std::string> flagNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a; a = a->get_fallthrough() ? a->get_parent() : nullptr) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
    }
  }
  return names;
}

std::string orList(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

// Arguments nobody took, innermost command first.
std::vector<std::pair<const CLI::App*, std::string>> leftovers(const CLI::App* inner) {
  std::vector<std::pair<const CLI::App*, std::string>> out;
  for (const CLI::App* a = inner; a; a = a->get_parent())
    for (const std::string& arg : a->remaining(false)) out.emplace_back(a, arg);
  return out;
}

}  // namespace

std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;
  std::size_t prefix_matches = 0;
  std::string prefix_match;
  for (const std::string& c : candidates) {
    const std::size_t d = editDistance(word, c);
    if (d < best_distance) best_distance = d, best = c;
    if (word.size() >= 2 && c.rfind(word, 0) == 0) ++prefix_matches, prefix_match = c;
  }
  if (!best.empty()) return best;
  return prefix_matches == 1 ? prefix_match : std::string();
}

std::string describeParseError(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* inner = innermost(app);
  const std::string where = commandPath(inner);
  const std::string prefix = where.empty() ? "" : where + ": ";
  for (const auto& [owner, arg] : leftovers(inner)) {
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      const std::string hint = closestMatch(flag, flagNames(inner));
      return prefix + "unknown flag '" + flag + "'" +
             (hint.empty() ? " (see " + std::string(where.empty() ? "" : where + " ") + "--help)"
                           : " (did you mean '" + hint + "'?)");
    }
    (void)owner;  // with fallthrough, a parent may hold what the inner command missed
    const auto commands = subcommandNames(inner);
    if (!commands.empty()) {
      const std::string hint = closestMatch(arg, commands);
      return prefix + "unknown command '" + arg + "' (" +
             (hint.empty() ? "expected " + orList(commands) : "did you mean '" + hint + "'?") + ")";
    }
    return prefix + "unexpected argument '" + arg + "'";
  }
  if (e.get_name() == "RequiredError" && !subcommandNames(inner).empty() &&
      std::string(e.what()).find("subcommand") != std::string::npos)
    return prefix + "a command is required: " + orList(subcommandNames(inner)) + " (see " +
           (where.empty() ? "" : where + " ") + "--help)";
  return prefix + e.what();
}

}  // namespace halflab::cli
