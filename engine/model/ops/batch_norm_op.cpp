// batchnorm: over [N, C] (1d) or [N, C, H, W] (2d), fp32 statistics and affine
// parameters in every mode (engine/model/batch_norm.hpp).
#include "engine/model/batch_norm.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

std::int64_t channelsOf(const std::vector<Shape>& in) { return in.at(0).size() >= 2 ? in[0][1] : 0; }

}  // namespace

void registerBatchNormOp(OpRegistry& r) {
  OpDef d;
  d.name = "batchnorm";
  d.summary = "batch normalisation over channels: momentum (0.1), eps (1e-5)";
  d.check_attrs = [](AttrReader& a) {
    a.number("momentum", 0.1, 0.0, 1.0);
    a.number("eps", 1e-5, 0.0, 1.0, true);
  };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    return batchNormOutputShape(n.name, in.at(0), channelsOf(in));
  };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const std::int64_t c = channelsOf(in);
    return std::vector<ParameterSpec>{{n.name + ".weight", {c}, true, false, ParamInit::Ones, c},
                                      {n.name + ".bias", {c}, true, false, ParamInit::Zeros, c}};
  };
  d.buffers = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) {
    return std::vector<OpBuffer>{{"running statistics", 2 * channelsOf(in), 4, OpBuffer::Batch::None},
                                 {"normalised input", shapeSize(in.at(0)), 4, OpBuffer::Batch::Forward}};
  };
  // Statistics (2), normalise (2) and the affine transform (2) per element.
  d.flops = [](const NodeSpec&, const std::vector<Shape>&, const Shape& out) { return 6.0 * static_cast<double>(shapeSize(out)); };
  using nlohmann::json;
  d.examples = {{json::object(), {{6, 3}}}, {json::object(), {{3, 2, 3, 2}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<BatchNorm>(n.name, std::move(p.at(0)), std::move(p.at(1)),
                                       n.attrs.value("momentum", 0.1), n.attrs.value("eps", 1e-5));
  };
  r.add(std::move(d));
}

}  // namespace halflab
