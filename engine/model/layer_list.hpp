#pragma once
// model.layers: a model written as a JSON list, Keras-Sequential style:
//   [{"op": "conv2d", "filters": 32, "kernel": 3, "activation": "relu"},
//    {"op": "linear", "name": "a", "units": 64}, {"op": "add", "inputs": ["a", "b"]}]
// Each entry is one node (name defaults to <op><n>, inputs to the previous node); an
// "activation" key adds an activation node after it ("<name>_act"), which later inputs
// naming the entry then read. expandLayerList() checks every entry and reports every
// problem at once with its path ("model.layers[3].units: must be >= 1 (got 0)"); the
// expanded list is what a run stores, and expanding it again gives the same list.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/node_spec.hpp"

namespace halflab {

struct LayerListIssue {
  std::string field;  // e.g. "model.layers[3].units"
  std::string message;
};

std::vector<NodeSpec> expandLayerList(const nlohmann::json& list, const std::string& path,
                                      std::vector<LayerListIssue>& issues);

}  // namespace halflab
