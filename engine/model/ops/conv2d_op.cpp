// conv2d: square-kernel convolution over [N, C, H, W] inputs (engine/model/conv2d.hpp).
#include "engine/model/conv2d.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

struct ConvAttrs {
  std::int64_t filters, kernel, stride, padding;
  static ConvAttrs read(AttrReader& a) {
    ConvAttrs c{};
    c.filters = a.integer("filters", std::nullopt, 1, 65536);
    c.kernel = a.integer("kernel", std::nullopt, 1, 64);
    c.stride = a.integer("stride", 1, 1, 64);
    c.padding = a.integer("padding", 0, 0, 64);
    return c;
  }
  static ConvAttrs of(const NodeSpec& n) {
    ConvAttrs c{};
    c.filters = n.attrs.value("filters", std::int64_t{0});
    c.kernel = n.attrs.value("kernel", std::int64_t{0});
    c.stride = n.attrs.value("stride", std::int64_t{1});
    c.padding = n.attrs.value("padding", std::int64_t{0});
    return c;
  }
};

std::int64_t inChannels(const std::vector<Shape>& in) { return in.at(0).size() == 4 ? in[0][1] : 0; }

}  // namespace

void registerConv2dOp(OpRegistry& r) {
  OpDef d;
  d.name = "conv2d";
  d.summary = "2-D convolution: filters, kernel, stride (1), padding (0)";
  d.gemm = true;
  d.check_attrs = [](AttrReader& a) { ConvAttrs::read(a); };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const ConvAttrs c = ConvAttrs::of(n);
    if (c.filters < 1)
      throw ShapeInferenceError(n.name + ": channels must be >= 1 (got " + std::to_string(c.filters) + ")");
    return conv2dOutputShape(n.name, in.at(0), inChannels(in), c.filters, {c.kernel, c.stride, c.padding});
  };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const ConvAttrs c = ConvAttrs::of(n);
    const std::int64_t ic = inChannels(in), fan_in = ic * c.kernel * c.kernel;
    return std::vector<ParameterSpec>{
        {n.name + ".weight", {c.filters, ic, c.kernel, c.kernel}, false, true, ParamInit::UniformFanIn, fan_in},
        {n.name + ".bias", {c.filters}, false, false, ParamInit::UniformFanIn, fan_in}};
  };
  d.flops = [](const NodeSpec& n, const std::vector<Shape>& in, const Shape& out) {
    const ConvAttrs c = ConvAttrs::of(n);
    return 2.0 * static_cast<double>(inChannels(in) * c.kernel * c.kernel) * static_cast<double>(shapeSize(out));
  };
  using nlohmann::json;
  d.examples = {{{{"filters", 3}, {"kernel", 3}, {"stride", 2}, {"padding", 1}}, {{2, 2, 5, 4}}}, {{{"filters", 2}, {"kernel", 1}}, {{2, 3, 3, 3}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    const ConvAttrs c = ConvAttrs::of(n);
    return std::make_unique<Conv2d>(n.name, c.stride, c.padding, std::move(p.at(0)), std::move(p.at(1)));
  };
  r.add(std::move(d));
}

}  // namespace halflab
