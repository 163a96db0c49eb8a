// max_over_time: [N, T, F] -> [N, F], the maximum of each feature over the sample's real
// steps (ExecContext::lengths; padded steps never win, an empty sequence gives 0 and no
// gradient). Only moves exact values, so the output is in the input's format; the
// gradient goes to the winning step. NaN propagates like max pooling (a NaN wins).
#include <limits>
#include <vector>

#include "engine/model/op_def.hpp"
#include "engine/model/sequence_lengths.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

class MaxOverTime : public Op {
 public:
  explicit MaxOverTime(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override { return overTimeOutputShape(name_, in.at(0)); }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    y.reshapeTo(nodeOutputShape({x.shape}));
    const std::int64_t n = x.dim(0), t = x.dim(1), f = x.dim(2);
    batchLengths(ctx, name_, n, t, lengths_);
    argmax_.assign(static_cast<std::size_t>(n * f), -1);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t len = lengths_[static_cast<std::size_t>(i)];
      float* out = y.ptr() + i * f;
      std::int32_t* arg = argmax_.data() + i * f;
      std::fill(out, out + f, len > 0 ? -std::numeric_limits<float>::infinity() : 0.0f);
      for (std::int64_t s = 0; s < len; ++s) {
        const float* row = x.ptr() + (i * t + s) * f;
        for (std::int64_t j = 0; j < f; ++j)
          if (row[j] > out[j] || row[j] != row[j] || arg[j] < 0) {
            out[j] = row[j];
            arg[j] = static_cast<std::int32_t>(s);
          }
      }
    }
    y.format = x.format;
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dxs, ExecContext& ctx) override {
    Tensor* dx = dxs.at(0);
    if (!dx) return;
    const Tensor& x = *xs.at(0);
    const std::int64_t n = x.dim(0), t = x.dim(1), f = x.dim(2);
    dx->reshapeTo(x.shape);
    dx->zero();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < f; ++j) {
        const std::int32_t s = argmax_[static_cast<std::size_t>(i * f + j)];
        if (s >= 0) dx->ptr()[(i * t + s) * f + j] = dy.ptr()[i * f + j];
      }
    dx->format = ctx.policy.compute;  // dy is already in the compute format; values only move
  }

 private:
  std::string name_;
  std::vector<std::int32_t> lengths_, argmax_;
};

}  // namespace

void registerMaxOverTimeOp(OpRegistry& r) {
  OpDef d;
  d.name = "max_over_time";
  d.summary = "maximum over the real steps of [N, T, F] -> [N, F] (length-aware global max pooling)";
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return overTimeOutputShape(n.name, in.at(0)); };
  d.buffers = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) {
    return std::vector<OpBuffer>{{"argmax", in.at(0).at(2), 4, OpBuffer::Batch::Forward}};
  };
  d.flops = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) { return static_cast<double>(shapeSize(in.at(0))); };
  using nlohmann::json;
  d.examples = {{json::object(), {{2, 4, 3}}}, {json::object(), {{3, 5, 2}}, {5, 2, 0}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<MaxOverTime>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
