// flatten: [N, ...] -> [N, product of the rest] (engine/model/flatten.hpp).
#include "engine/model/flatten.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

void registerFlattenOp(OpRegistry& r) {
  OpDef d;
  d.name = "flatten";
  d.summary = "flattens every sample to a vector";
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return flattenOutputShape(n.name, in.at(0)); };
  d.flops = [](const NodeSpec&, const std::vector<Shape>&, const Shape&) { return 0.0; };
  using nlohmann::json;
  d.examples = {{json::object(), {{2, 3, 2, 2}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<Flatten>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
