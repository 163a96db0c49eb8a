#include "engine/model/node_spec.hpp"

namespace halflab {

nlohmann::json nodeToJson(const NodeSpec& n) {
  nlohmann::json j = nlohmann::json::object();
  j["op"] = n.op;
  j["name"] = n.name;
  if (!n.inputs.empty()) j["inputs"] = n.inputs;
  for (const auto& [k, v] : n.attrs.items()) j[k] = v;
  return j;
}

nlohmann::json nodesToJson(const std::vector<NodeSpec>& nodes) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& n : nodes) a.push_back(nodeToJson(n));
  return a;
}

}  // namespace halflab
