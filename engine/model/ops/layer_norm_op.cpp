// layernorm: normalises each sample over its last axis (features), then a per-feature
// affine transform. Statistics, the affine parameters and their gradients are fp32 in
// every mode (like PyTorch autocast, which runs layer_norm in fp32); the output and the
// input gradient are rounded to the compute format.
#include <cmath>
#include <vector>

#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

std::int64_t featuresOf(const Shape& s) { return s.size() >= 2 ? s.back() : 0; }

Shape layerNormOutputShape(const std::string& name, const Shape& in) {
  if (in.size() < 2) throw ShapeInferenceError(name + ": expects [batch, ..., features], got shape " + shapeToString(in));
  return in;
}

class LayerNorm : public Op {
 public:
  LayerNorm(std::string name, Parameter gamma, Parameter beta, double eps)
      : name_(std::move(name)), gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override {
    const Shape out = layerNormOutputShape(name_, in.at(0));
    if (featuresOf(out) != gamma_.value.size())
      throw ShapeInferenceError(name_ + ": expects " + std::to_string(gamma_.value.size()) + " features, got " +
                                std::to_string(featuresOf(out)));
    return out;
  }
  std::vector<Parameter*> parameters() override { return {&gamma_, &beta_}; }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    y.reshapeTo(nodeOutputShape({x.shape}));
    const std::int64_t d = featuresOf(x.shape), rows = x.size() / d;
    xhat_.resize(x.data.size());
    inv_std_.resize(static_cast<std::size_t>(rows));
    const float* g = gamma_.compute().ptr();
    const float* b = beta_.compute().ptr();
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* in = x.ptr() + r * d;
      double sum = 0, sq = 0;
      for (std::int64_t j = 0; j < d; ++j) {
        sum += in[j];
        sq += static_cast<double>(in[j]) * in[j];
      }
      const double mean = sum / static_cast<double>(d);
      const double var = std::max(0.0, sq / static_cast<double>(d) - mean * mean);
      const float inv = static_cast<float>(1.0 / std::sqrt(var + eps_));
      const float mu = static_cast<float>(mean);
      inv_std_[r] = inv;
      float* xh = xhat_.data() + r * d;
      float* out = y.ptr() + r * d;
      for (std::int64_t j = 0; j < d; ++j) {
        xh[j] = (in[j] - mu) * inv;
        out[j] = g[j] * xh[j] + b[j];
      }
    }
    ctx.roundOutput(y);
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dxs, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    Tensor* dx = dxs.at(0);
    const std::int64_t d = featuresOf(x.shape), rows = x.size() / d;
    std::vector<double> dgamma(static_cast<std::size_t>(d), 0.0), dbeta(static_cast<std::size_t>(d), 0.0);
    if (dx) dx->reshapeTo(x.shape);
    const float* g = gamma_.compute().ptr();
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* gy = dy.ptr() + r * d;
      const float* xh = xhat_.data() + r * d;
      double sum_g = 0, sum_gx = 0;
      for (std::int64_t j = 0; j < d; ++j) {
        dgamma[j] += static_cast<double>(gy[j]) * xh[j];
        dbeta[j] += gy[j];
        const double gj = static_cast<double>(gy[j]) * g[j];
        sum_g += gj;
        sum_gx += gj * xh[j];
      }
      if (!dx) continue;
      const double inv_d = 1.0 / static_cast<double>(d);
      float* out = dx->ptr() + r * d;
      for (std::int64_t j = 0; j < d; ++j) {
        const double gj = static_cast<double>(gy[j]) * g[j];
        out[j] = static_cast<float>(inv_std_[r] * (gj - inv_d * sum_g - xh[j] * inv_d * sum_gx));
      }
    }
    gamma_.grad.reshapeTo(gamma_.value.shape);
    beta_.grad.reshapeTo(beta_.value.shape);
    for (std::int64_t j = 0; j < d; ++j) {
      gamma_.grad.data[j] = static_cast<float>(dgamma[j]);
      beta_.grad.data[j] = static_cast<float>(dbeta[j]);
    }
    if (dx) ctx.roundGradient(*dx);
  }

 private:
  std::string name_;
  Parameter gamma_, beta_;
  double eps_;
  std::vector<float> xhat_, inv_std_;
};

}  // namespace

void registerLayerNormOp(OpRegistry& r) {
  OpDef d;
  d.name = "layernorm";
  d.summary = "layer normalisation over the last axis, fp32 statistics in every mode: eps (1e-5)";
  d.check_attrs = [](AttrReader& a) { a.number("eps", 1e-5, 0.0, 1.0, true); };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return layerNormOutputShape(n.name, in.at(0)); };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>& in) {
    const std::int64_t f = featuresOf(in.at(0));
    return std::vector<ParameterSpec>{{n.name + ".weight", {f}, true, false, ParamInit::Ones, f},
                                      {n.name + ".bias", {f}, true, false, ParamInit::Zeros, f}};
  };
  d.buffers = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) {
    return std::vector<OpBuffer>{{"normalised input", shapeSize(in.at(0)), 4, OpBuffer::Batch::Forward}};
  };
  d.flops = [](const NodeSpec&, const std::vector<Shape>&, const Shape& out) { return 8.0 * static_cast<double>(shapeSize(out)); };
  using nlohmann::json;
  d.examples = {{json::object(), {{4, 6}}}, {{{"eps", 1e-3}}, {{2, 3, 5}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<LayerNorm>(n.name, std::move(p.at(0)), std::move(p.at(1)), n.attrs.value("eps", 1e-5));
  };
  r.add(std::move(d));
}

}  // namespace halflab
