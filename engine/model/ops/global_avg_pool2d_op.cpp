// global_avg_pool2d: [N, C, H, W] -> [N, C], the mean of each channel over its plane
// (MobileNet's head). A reduction, so it sums in fp32 (docs/ARCHITECTURE.md 2.1); the
// output and the input gradient are rounded once to the compute format.
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

Shape globalPoolOutputShape(const std::string& name, const Shape& in) {
  if (in.size() != 4) throw ShapeInferenceError(name + ": expects [batch, channels, height, width], got shape " + shapeToString(in));
  return {in[0], in[1]};
}

class GlobalAvgPool2d : public Op {
 public:
  explicit GlobalAvgPool2d(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override { return globalPoolOutputShape(name_, in.at(0)); }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    y.reshapeTo(nodeOutputShape({x.shape}));
    const std::int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
    const float inv = 1.0f / static_cast<float>(hw);
    for (std::int64_t p = 0; p < planes; ++p) {
      const float* in = x.ptr() + p * hw;
      float sum = 0.0f;
      for (std::int64_t j = 0; j < hw; ++j) sum += in[j];
      y.ptr()[p] = sum * inv;
    }
    ctx.roundOutput(y);
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dxs, ExecContext& ctx) override {
    Tensor* dx = dxs.at(0);
    if (!dx) return;
    const Tensor& x = *xs.at(0);
    dx->reshapeTo(x.shape);
    const std::int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
    const float inv = 1.0f / static_cast<float>(hw);
    for (std::int64_t p = 0; p < planes; ++p) {
      const float g = dy.ptr()[p] * inv;
      float* out = dx->ptr() + p * hw;
      for (std::int64_t j = 0; j < hw; ++j) out[j] = g;
    }
    ctx.roundGradient(*dx);
  }

 private:
  std::string name_;
};

}  // namespace

void registerGlobalAvgPool2dOp(OpRegistry& r) {
  OpDef d;
  d.name = "global_avg_pool2d";
  d.summary = "mean of each channel over height and width: [N, C, H, W] -> [N, C]";
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return globalPoolOutputShape(n.name, in.at(0)); };
  d.flops = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) { return static_cast<double>(shapeSize(in.at(0))); };
  using nlohmann::json;
  d.examples = {{json::object(), {{2, 3, 4, 5}}}, {json::object(), {{3, 2, 1, 1}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<GlobalAvgPool2d>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
