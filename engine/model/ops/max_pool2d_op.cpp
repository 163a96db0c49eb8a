// maxpool2d: max pooling over square windows (engine/model/max_pool2d.hpp).
#include "engine/model/max_pool2d.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

Window2d windowOf(const NodeSpec& n) {
  const std::int64_t pool = n.attrs.value("pool", std::int64_t{2});
  return {pool, n.attrs.value("stride", pool), 0};
}

}  // namespace

void registerMaxPool2dOp(OpRegistry& r) {
  OpDef d;
  d.name = "maxpool2d";
  d.summary = "max pooling: pool (2), stride (= pool)";
  d.check_attrs = [](AttrReader& a) {
    const std::int64_t pool = a.integer("pool", 2, 1, 64);
    a.integer("stride", pool, 1, 64);
  };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    return maxPool2dOutputShape(n.name, in.at(0), windowOf(n));
  };
  d.buffers = [](const NodeSpec&, const std::vector<Shape>&, const Shape& out) {
    return std::vector<OpBuffer>{{"indices", shapeSize(out), 4, OpBuffer::Batch::Forward}};
  };
  d.flops = [](const NodeSpec& n, const std::vector<Shape>&, const Shape& out) {
    const Window2d w = windowOf(n);
    return static_cast<double>(w.kernel * w.kernel) * static_cast<double>(shapeSize(out));  // comparisons
  };
  using nlohmann::json;
  d.examples = {{{{"pool", 2}}, {{2, 2, 4, 6}}}, {{{"pool", 3}, {"stride", 2}}, {{1, 2, 5, 5}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    const Window2d w = windowOf(n);
    return std::make_unique<MaxPool2d>(n.name, w.kernel, w.stride);
  };
  r.add(std::move(d));
}

}  // namespace halflab
