#include "engine/model/attr_reader.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace halflab {

void AttrReader::problem(const std::string& key, const std::string& message) {
  if (issues_) {
    issues_->push_back({key, message});
    return;
  }
  throw std::invalid_argument(node_ + "." + key + ": " + message);
}

std::int64_t AttrReader::integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min,
                                 std::int64_t max) {
  read_.insert(key);
  const std::int64_t fallback = def.value_or(min);
  if (!attrs_.is_object() || !attrs_.contains(key)) {
    if (!def) problem(key, "is required");
    return fallback;
  }
  const auto& v = attrs_.at(key);
  if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                                  std::fabs(v.get<double>()) < 9e15)) {
    problem(key, "must be an integer");
    return fallback;
  }
  const std::int64_t x = v.is_number_float() ? static_cast<std::int64_t>(v.get<double>())
                         : v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)
                             ? max + 1
                             : v.get<std::int64_t>();
  if (x < min) {
    problem(key, "must be >= " + std::to_string(min) + " (got " + std::to_string(x) + ")");
    return fallback;
  }
  if (x > max) {
    problem(key, "must be <= " + std::to_string(max) + " (got " + std::to_string(x) + ")");
    return fallback;
  }
  return x;
}

double AttrReader::number(const std::string& key, double def, double min, double max, bool max_open) {
  read_.insert(key);
  if (!attrs_.is_object() || !attrs_.contains(key)) return def;
  const auto& v = attrs_.at(key);
  if (!v.is_number()) {
    problem(key, "must be a number");
    return def;
  }
  const double x = v.get<double>();
  if (!(x >= min) || (max_open ? !(x < max) : !(x <= max))) {
    std::ostringstream m;
    m << "must be in [" << min << ", " << max << (max_open ? ")" : "]") << " (got " << x << ")";
    problem(key, m.str());
    return def;
  }
  return x;
}

bool AttrReader::boolean(const std::string& key, bool def) {
  read_.insert(key);
  if (!attrs_.is_object() || !attrs_.contains(key)) return def;
  const auto& v = attrs_.at(key);
  if (!v.is_boolean()) {
    problem(key, "must be true or false");
    return def;
  }
  return v.get<bool>();
}

std::string AttrReader::choice(const std::string& key, const std::string& def,
                               const std::vector<std::string>& options) {
  read_.insert(key);
  if (!attrs_.is_object() || !attrs_.contains(key)) return def;
  const auto& v = attrs_.at(key);
  std::string list;
  for (std::size_t i = 0; i < options.size(); ++i) list += (i ? ", " : "") + options[i];
  if (!v.is_string()) {
    problem(key, "must be one of " + list);
    return def;
  }
  const std::string s = v.get<std::string>();
  for (const auto& o : options)
    if (o == s) return s;
  problem(key, "unknown '" + s.substr(0, 40) + "' (expected one of " + list + ")");
  return def;
}

std::vector<std::string> AttrReader::unread() const {
  std::vector<std::string> out;
  if (!attrs_.is_object()) return out;
  for (const auto& [k, v] : attrs_.items())
    if (!read_.count(k)) out.push_back(k);
  return out;
}

}  // namespace halflab
