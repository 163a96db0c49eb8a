#include "storage/config_params.hpp"

#include <nlohmann/json.hpp>

namespace halflab {
namespace {

void flattenInto(const nlohmann::json& j, const std::string& prefix,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [key, value] : j.items())
      flattenInto(value, prefix.empty() ? key : prefix + "." + key, out);
    return;
  }
  if (prefix.empty()) return;  // a bare scalar config has no key to file it under
  out.emplace_back(prefix, j.is_string() ? j.get<std::string>() : j.dump());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flattenConfigJson(const nlohmann::json& config) {
  std::vector<std::pair<std::string, std::string>> out;
  flattenInto(config, "", out);
  return out;
}

}  // namespace halflab
