// gelu: the exact (erf) GELU as an op of its own, for model.layers written like
// PyTorch's nn.GELU(); the arithmetic is the activation op's (engine/model/activation.hpp).
#include "engine/model/activation.hpp"
#include "engine/model/op_def.hpp"

namespace halflab {

void registerGeluOp(OpRegistry& r) {
  OpDef d;
  d.name = "gelu";
  d.summary = "GELU (exact erf form), elementwise";
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec&, const std::vector<Shape>& in) { return in.at(0); };
  using nlohmann::json;
  d.examples = {{json::object(), {{3, 7}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<Activation>(n.name, ActivationKind::GELU);
  };
  r.add(std::move(d));
}

}  // namespace halflab
