#pragma once
// Reads an op's attributes from a node's JSON with range checks. In collecting mode
// (model.layers validation) every problem is recorded as {attribute, message} and a
// default is returned so the reading goes on; in throwing mode (building a model whose
// description was already validated) the first problem throws std::invalid_argument
// "<node>.<attribute>: <message>".
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace halflab {

struct AttrIssue {
  std::string attribute;  // e.g. "units"
  std::string message;    // e.g. "must be >= 1 (got 0)"
};

class AttrReader {
 public:
  AttrReader(const nlohmann::json& attrs, std::string node, std::vector<AttrIssue>* issues = nullptr)
      : attrs_(attrs), node_(std::move(node)), issues_(issues) {}

  // An integer in [min, max]; `def` empty = required.
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min,
                       std::int64_t max);
  // A number in [min, max] (or [min, max) when max_open).
  double number(const std::string& key, double def, double min, double max, bool max_open = false);
  // A JSON boolean.
  bool boolean(const std::string& key, bool def);
  // One of `options`.
  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& options);
  // Attributes present but never read, i.e. not attributes of this op.
  std::vector<std::string> unread() const;

 private:
  void problem(const std::string& key, const std::string& message);
  const nlohmann::json& attrs_;
  std::string node_;
  std::vector<AttrIssue>* issues_;
  std::set<std::string> read_;
};

}  // namespace halflab
