#pragma once
// One node of a model description: which op, its name, the values it reads and its
// attributes. A model is a list of nodes; `inputs` empty means "the previous node" (the
// model input for the first). The name "input" is the model input. See
// docs/ARCHITECTURE.md, "Model description".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace halflab {

inline constexpr const char* kModelInputName = "input";

struct NodeSpec {
  std::string op;                   // a name in the op registry, e.g. "linear"
  std::string name;                 // unique in the model, e.g. "fc1"
  std::vector<std::string> inputs;  // node names (or "input"); empty = previous node
  nlohmann::json attrs = nlohmann::json::object();  // op attributes, e.g. {"units": 128}
};

// {"op": ..., "name": ..., "inputs": [...], <attrs>} (inputs only when given).
nlohmann::json nodeToJson(const NodeSpec& n);
nlohmann::json nodesToJson(const std::vector<NodeSpec>& nodes);

}  // namespace halflab
