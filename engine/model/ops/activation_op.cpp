// activation: an elementwise function (engine/model/activation.hpp).
#include "engine/model/activation.hpp"
#include "engine/model/op_def.hpp"

namespace halflab {

void registerActivationOp(OpRegistry& r) {
  OpDef d;
  d.name = "activation";
  d.summary = "elementwise activation: function (relu, gelu, tanh, sigmoid)";
  d.check_attrs = [](AttrReader& a) { a.choice("function", "relu", {"relu", "gelu", "tanh", "sigmoid"}); };
  d.output_shape = [](const NodeSpec&, const std::vector<Shape>& in) { return in.at(0); };
  using nlohmann::json;
  d.examples = {{{{"function", "relu"}}, {{3, 5}}}, {{{"function", "gelu"}}, {{3, 5}}}, {{{"function", "tanh"}}, {{3, 5}}}, {{{"function", "sigmoid"}}, {{3, 5}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    const std::string f = n.attrs.value("function", std::string("relu"));
    const auto kind = parseActivation(f);
    if (!kind) throw std::invalid_argument(n.name + ".function: unknown activation '" + f + "'");
    return std::make_unique<Activation>(n.name, *kind);
  };
  r.add(std::move(d));
}

}  // namespace halflab
