// linear: y = x W^T + b over [N, D] inputs (engine/model/linear.hpp).
#include "engine/model/linear.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

constexpr std::int64_t kMaxUnits = std::int64_t{1} << 24;

std::int64_t inFeatures(const std::vector<Shape>& in) { return in.at(0).size() == 2 ? in[0][1] : 0; }

}  // namespace

void registerLinearOp(OpRegistry& r) {
  OpDef d;
  d.name = "linear";
  d.summary = "fully connected layer: units (output features)";
  d.gemm = true;
  d.check_attrs = [](AttrReader& a) { a.integer("units", std::nullopt, 1, kMaxUnits); };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const std::int64_t units = n.attrs.value("units", std::int64_t{0});
    if (units < 1) throw ShapeInferenceError(n.name + ": width must be >= 1 (got " + std::to_string(units) + ")");
    return linearOutputShape(n.name, in.at(0), inFeatures(in), units);
  };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const std::int64_t units = n.attrs.at("units").get<std::int64_t>(), fan_in = inFeatures(in);
    return std::vector<ParameterSpec>{
        {n.name + ".weight", {units, fan_in}, false, true, ParamInit::UniformFanIn, fan_in},
        {n.name + ".bias", {units}, false, false, ParamInit::UniformFanIn, fan_in}};
  };
  d.flops = [](const NodeSpec&, const std::vector<Shape>& in, const Shape& out) {
    return 2.0 * static_cast<double>(inFeatures(in)) * static_cast<double>(out.at(1));
  };
  using nlohmann::json;
  d.examples = {{{{"units", 5}}, {{3, 4}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<Linear>(n.name, std::move(p.at(0)), std::move(p.at(1)));
  };
  r.add(std::move(d));
}

}  // namespace halflab
