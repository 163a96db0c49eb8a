// mean_over_time: [N, T, F] -> [N, F], the mean of each feature over the sample's real
// steps (ExecContext::lengths; padded steps are ignored, an empty sequence gives 0).
// A reduction, so it sums in fp32 (docs/ARCHITECTURE.md 2.1); the output and the input
// gradient are rounded once to the compute format.
#include <vector>

#include "engine/model/op_def.hpp"
#include "engine/model/sequence_lengths.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

class MeanOverTime : public Op {
 public:
  explicit MeanOverTime(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override { return overTimeOutputShape(name_, in.at(0)); }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    y.reshapeTo(nodeOutputShape({x.shape}));
    const std::int64_t n = x.dim(0), t = x.dim(1), f = x.dim(2);
    batchLengths(ctx, name_, n, t, lengths_);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t len = lengths_[static_cast<std::size_t>(i)];
      float* out = y.ptr() + i * f;
      std::fill(out, out + f, 0.0f);
      for (std::int64_t s = 0; s < len; ++s) {
        const float* row = x.ptr() + (i * t + s) * f;
        for (std::int64_t j = 0; j < f; ++j) out[j] += row[j];
      }
      const float inv = len > 0 ? 1.0f / static_cast<float>(len) : 0.0f;
      for (std::int64_t j = 0; j < f; ++j) out[j] *= inv;
    }
    ctx.roundOutput(y);
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dxs, ExecContext& ctx) override {
    Tensor* dx = dxs.at(0);
    if (!dx) return;
    const Tensor& x = *xs.at(0);
    const std::int64_t n = x.dim(0), t = x.dim(1), f = x.dim(2);
    dx->reshapeTo(x.shape);
    dx->zero();
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t len = lengths_[static_cast<std::size_t>(i)];
      const float inv = len > 0 ? 1.0f / static_cast<float>(len) : 0.0f;
      for (std::int64_t s = 0; s < len; ++s) {
        float* row = dx->ptr() + (i * t + s) * f;
        for (std::int64_t j = 0; j < f; ++j) row[j] = dy.ptr()[i * f + j] * inv;
      }
    }
    ctx.roundGradient(*dx);
  }

 private:
  std::string name_;
  std::vector<std::int32_t> lengths_;
};

}  // namespace

void registerMeanOverTimeOp(OpRegistry& r) {
  OpDef d;
  d.name = "mean_over_time";
  d.summary = "mean over the real steps of [N, T, F] -> [N, F] (length-aware global average pooling)";
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return overTimeOutputShape(n.name, in.at(0)); };
  d.flops = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) { return static_cast<double>(shapeSize(in.at(0))); };
  using nlohmann::json;
  d.examples = {{json::object(), {{2, 4, 3}}}, {json::object(), {{3, 5, 2}}, {5, 2, 0}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<MeanOverTime>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
