#include "engine/model/layer_list.hpp"

#include <map>
#include <set>

#include "engine/model/attr_reader.hpp"
#include "engine/model/op_def.hpp"

namespace halflab {
namespace {

constexpr std::size_t kMaxLayers = 4096;
const std::set<std::string> kNodeKeys{"op", "name", "inputs", "activation"};

std::string cut(const std::string& s) { return s.size() > 40 ? s.substr(0, 40) + "..." : s; }

}  // namespace

std::vector<NodeSpec> expandLayerList(const nlohmann::json& list, const std::string& path,
                                      std::vector<LayerListIssue>& issues) {
  std::vector<NodeSpec> out;
  if (!list.is_array()) {
    issues.push_back({path, "must be a list of layers ({\"op\": ..., attributes})"});
    return out;
  }
  if (list.empty()) issues.push_back({path, "needs at least one layer"});
  if (list.size() > kMaxLayers) {
    issues.push_back({path, "at most " + std::to_string(kMaxLayers) + " layers"});
    return out;
  }
  const OpRegistry& ops = opRegistry();
  std::map<std::string, std::string> output_of{{kModelInputName, kModelInputName}};  // entry name -> node read
  std::map<std::string, int> per_op;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const auto& e = list[i];
    if (!e.is_object()) {
      issues.push_back({at, "must be an object with an \"op\""});
      continue;
    }
    if (!e.contains("op") || !e["op"].is_string()) {
      issues.push_back({at + ".op", "is required (one of " + [&] {
                          std::string s;
                          for (const auto& n : ops.names()) s += (s.empty() ? "" : ", ") + n;
                          return s;
                        }() + ")"});
      continue;
    }
    NodeSpec n;
    n.op = e["op"].get<std::string>();
    const OpDef* def = ops.find(n.op);
    if (!def) {
      std::string known;
      for (const auto& name : ops.names()) known += (known.empty() ? "" : ", ") + name;
      issues.push_back({at + ".op", "unknown op '" + cut(n.op) + "' (expected one of " + known + ")"});
      continue;
    }
    const int index = ++per_op[n.op];
    n.name = n.op + std::to_string(index);
    if (e.contains("name")) {
      if (!e["name"].is_string() || e["name"].get<std::string>().empty() || e["name"].get<std::string>().size() > 64)
        issues.push_back({at + ".name", "must be a non-empty string of at most 64 characters"});
      else
        n.name = e["name"].get<std::string>();
    }
    if (output_of.count(n.name)) issues.push_back({at + ".name", "'" + cut(n.name) + "' is already taken"});
    if (e.contains("inputs")) {
      const auto& in = e["inputs"];
      if (!in.is_array() || in.empty()) {
        issues.push_back({at + ".inputs", "must be a non-empty list of layer names"});
      } else {
        for (std::size_t k = 0; k < in.size(); ++k) {
          const auto it = in[k].is_string() ? output_of.find(in[k].get<std::string>()) : output_of.end();
          if (it == output_of.end())
            issues.push_back({at + ".inputs[" + std::to_string(k) + "]",
                              in[k].is_string() ? "'" + cut(in[k].get<std::string>()) +
                                                      "' is not \"input\" or an earlier layer"
                                                : "must be a layer name"});
          else
            n.inputs.push_back(it->second);
        }
      }
    }
    const bool listed = e.contains("inputs") && e["inputs"].is_array() && !e["inputs"].empty();
    const int count = listed ? static_cast<int>(e["inputs"].size()) : 1;
    if (count < def->min_inputs || (def->max_inputs >= 0 && count > def->max_inputs))
      issues.push_back({at + ".inputs", n.op + " takes " +
                                            (def->max_inputs < 0 ? "at least " + std::to_string(def->min_inputs)
                                                                 : std::to_string(def->min_inputs)) +
                                            " input" + (def->min_inputs == 1 && def->max_inputs == 1 ? "" : "s") +
                                            ", got " + std::to_string(count)});
    // The attributes: everything but the node keys, checked by the op itself.
    for (const auto& [k, v] : e.items())
      if (!kNodeKeys.count(k)) n.attrs[k] = v;
    std::vector<AttrIssue> attr_issues;
    AttrReader reader(n.attrs, n.name, &attr_issues);
    if (def->check_attrs) def->check_attrs(reader);
    for (const auto& a : attr_issues) issues.push_back({at + "." + a.attribute, a.message});
    for (const auto& k : reader.unread()) issues.push_back({at + "." + cut(k), "unknown attribute of " + n.op});
    const std::string entry = n.name;
    std::string reads = entry;  // what later layers naming this entry read
    out.push_back(std::move(n));
    if (e.contains("activation")) {
      NodeSpec act{"activation", entry + "_act", {}, {{"function", e["activation"]}}};
      std::vector<AttrIssue> act_issues;
      AttrReader r(act.attrs, act.name, &act_issues);
      ops.at("activation").check_attrs(r);
      for (const auto& a : act_issues) issues.push_back({at + ".activation", a.message});
      if (output_of.count(act.name)) issues.push_back({at + ".activation", "'" + act.name + "' is already taken"});
      reads = act.name;
      output_of[act.name] = act.name;
      out.push_back(std::move(act));
    }
    output_of[entry] = reads;
  }
  return out;
}

}  // namespace halflab
