// depthwise_conv2d: a grouped convolution with groups = channels over [N, C, H, W]; each
// input channel has `multiplier` square filters of its own (MobileNet's depthwise step).
// Parameters in PyTorch's layout for groups = C: weight [C*mult, 1, k, k], bias [C*mult].
// Direct loops: the per-channel work is tiny and a GEMM would not pay for its packing.
// Inputs and weights are in the compute format, every sum is fp32 (ARCHITECTURE 2.1), the
// output and every gradient are rounded once to the compute format (as conv2d does);
// weight and bias gradients are summed in double before that rounding.
#include <vector>

#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

struct DepthwiseAttrs {
  std::int64_t kernel, stride, padding, multiplier;
  static DepthwiseAttrs read(AttrReader& a) {
    DepthwiseAttrs c{};
    c.kernel = a.integer("kernel", std::nullopt, 1, 64);
    c.stride = a.integer("stride", 1, 1, 64);
    c.padding = a.integer("padding", 0, 0, 64);
    c.multiplier = a.integer("multiplier", 1, 1, 64);
    return c;
  }
  static DepthwiseAttrs of(const NodeSpec& n) {
    DepthwiseAttrs c{};
    c.kernel = n.attrs.value("kernel", std::int64_t{0});
    c.stride = n.attrs.value("stride", std::int64_t{1});
    c.padding = n.attrs.value("padding", std::int64_t{0});
    c.multiplier = n.attrs.value("multiplier", std::int64_t{1});
    return c;
  }
};

std::int64_t inChannels(const Shape& in) { return in.size() == 4 ? in[1] : 0; }

Shape depthwiseOutputShape(const std::string& name, const Shape& in, const DepthwiseAttrs& c) {
  return conv2dOutputShape(name, in, inChannels(in), inChannels(in) * c.multiplier, {c.kernel, c.stride, c.padding});
}

class DepthwiseConv2d : public Op {
 public:
  DepthwiseConv2d(std::string name, DepthwiseAttrs attrs, Parameter weight, Parameter bias)
      : name_(std::move(name)), a_(attrs), w_(std::move(weight)), b_(std::move(bias)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override {
    const Shape out = depthwiseOutputShape(name_, in.at(0), a_);
    if (out[1] != b_.value.size())
      throw ShapeInferenceError(name_ + ": expects " + std::to_string(b_.value.size() / a_.multiplier) + " channels, got " +
                                std::to_string(inChannels(in.at(0))));
    return out;
  }
  std::vector<Parameter*> parameters() override { return {&w_, &b_}; }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    y.reshapeTo(nodeOutputShape({x.shape}));
    const float* w = w_.compute().ptr();
    const float* b = b_.compute().ptr();
    forEachOutput(x.shape, y.shape, [&](std::int64_t n, std::int64_t oc, std::int64_t c, std::int64_t oh, std::int64_t ow, float* out) {
      float sum = b[oc];
      visitWindow(x, n, c, oh, ow, [&](std::int64_t k, std::int64_t xi) { sum += w[oc * kk() + k] * x.ptr()[xi]; });
      *out = sum;
    }, y.ptr());
    ctx.roundOutput(y);
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dxs, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    Tensor* dx = dxs.at(0);
    const float* w = w_.compute().ptr();
    std::vector<double> dw(static_cast<std::size_t>(w_.value.size()), 0.0), db(static_cast<std::size_t>(b_.value.size()), 0.0);
    if (dx) {
      dx->reshapeTo(x.shape);
      dx->zero();
    }
    forEachOutput(x.shape, dy.shape, [&](std::int64_t n, std::int64_t oc, std::int64_t c, std::int64_t oh, std::int64_t ow, float* g) {
      db[oc] += *g;
      visitWindow(x, n, c, oh, ow, [&](std::int64_t k, std::int64_t xi) {
        dw[oc * kk() + k] += static_cast<double>(*g) * x.ptr()[xi];
        if (dx) dx->ptr()[xi] += w[oc * kk() + k] * *g;
      });
    }, const_cast<float*>(dy.ptr()));
    w_.grad.reshapeTo(w_.value.shape);
    b_.grad.reshapeTo(b_.value.shape);
    for (std::size_t i = 0; i < dw.size(); ++i) w_.grad.data[i] = static_cast<float>(dw[i]);
    for (std::size_t i = 0; i < db.size(); ++i) b_.grad.data[i] = static_cast<float>(db[i]);
    ctx.roundGradient(w_.grad);
    ctx.roundGradient(b_.grad);
    if (dx) ctx.roundGradient(*dx);
  }

 private:
  std::int64_t kk() const { return a_.kernel * a_.kernel; }

  // Calls f(n, out_channel, in_channel, oh, ow, element) for every element of y (or dy).
  template <class F>
  void forEachOutput(const Shape& xs, const Shape& ys, F&& f, float* base) const {
    const std::int64_t oc_n = ys[1], oh_n = ys[2], ow_n = ys[3];
    for (std::int64_t n = 0; n < xs[0]; ++n)
      for (std::int64_t oc = 0; oc < oc_n; ++oc)
        for (std::int64_t oh = 0; oh < oh_n; ++oh)
          for (std::int64_t ow = 0; ow < ow_n; ++ow)
            f(n, oc, oc / a_.multiplier, oh, ow, base + ((n * oc_n + oc) * oh_n + oh) * ow_n + ow);
  }

  // Calls g(kernel_index, input_index) for the in-bounds taps of one output position.
  template <class G>
  void visitWindow(const Tensor& x, std::int64_t n, std::int64_t c, std::int64_t oh, std::int64_t ow, G&& g) const {
    const std::int64_t h = x.dim(2), wd = x.dim(3), plane = ((n * x.dim(1)) + c) * h * wd;
    for (std::int64_t kh = 0; kh < a_.kernel; ++kh) {
      const std::int64_t ih = oh * a_.stride - a_.padding + kh;
      if (ih < 0 || ih >= h) continue;
      for (std::int64_t kw = 0; kw < a_.kernel; ++kw) {
        const std::int64_t iw = ow * a_.stride - a_.padding + kw;
        if (iw < 0 || iw >= wd) continue;
        g(kh * a_.kernel + kw, plane + ih * wd + iw);
      }
    }
  }

  std::string name_;
  DepthwiseAttrs a_;
  Parameter w_, b_;
};

}  // namespace

void registerDepthwiseConv2dOp(OpRegistry& r) {
  OpDef d;
  d.name = "depthwise_conv2d";
  d.summary = "depthwise 2-D convolution (groups = channels): kernel, stride (1), padding (0), multiplier (1)";
  d.check_attrs = [](AttrReader& a) { DepthwiseAttrs::read(a); };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    return depthwiseOutputShape(n.name, in.at(0), DepthwiseAttrs::of(n));
  };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const DepthwiseAttrs c = DepthwiseAttrs::of(n);
    const std::int64_t oc = inChannels(in.at(0)) * c.multiplier, fan_in = c.kernel * c.kernel;
    return std::vector<ParameterSpec>{
        {n.name + ".weight", {oc, 1, c.kernel, c.kernel}, false, true, ParamInit::UniformFanIn, fan_in},
        {n.name + ".bias", {oc}, false, false, ParamInit::UniformFanIn, fan_in}};
  };
  d.flops = [](const NodeSpec& n, const std::vector<Shape>&, const Shape& out) {
    const DepthwiseAttrs c = DepthwiseAttrs::of(n);
    return 2.0 * static_cast<double>(c.kernel * c.kernel) * static_cast<double>(shapeSize(out));
  };
  using nlohmann::json;
  d.examples = {{{{"kernel", 3}, {"stride", 2}, {"padding", 1}}, {{2, 3, 5, 4}}},
                {{{"kernel", 2}, {"multiplier", 2}}, {{2, 2, 3, 3}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<DepthwiseConv2d>(n.name, DepthwiseAttrs::of(n), std::move(p.at(0)), std::move(p.at(1)));
  };
  r.add(std::move(d));
}

}  // namespace halflab
