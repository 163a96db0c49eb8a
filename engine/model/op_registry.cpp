#include <stdexcept>

#include "engine/model/op_def.hpp"

namespace halflab {

void OpRegistry::add(OpDef def) {
  if (find(def.name)) throw std::logic_error("op '" + def.name + "' is registered twice");
  defs_.push_back(std::make_unique<OpDef>(std::move(def)));
}

const OpDef* OpRegistry::find(const std::string& name) const {
  for (const auto& d : defs_)
    if (d->name == name) return d.get();
  return nullptr;
}

const OpDef& OpRegistry::at(const std::string& name) const {
  if (const OpDef* d = find(name)) return *d;
  std::string list;
  for (const auto& d : defs_) list += (list.empty() ? "" : ", ") + d->name;
  throw std::invalid_argument("unknown op '" + name.substr(0, 40) + "' (expected one of " + list + ")");
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& d : defs_) out.push_back(d->name);
  return out;
}

}  // namespace halflab
