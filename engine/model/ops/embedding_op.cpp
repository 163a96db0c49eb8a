// embedding: token ids [N, ...] (int32, never rounded) -> rows of a table [vocab, dim],
// output [N, ..., dim] (PyTorch nn.Embedding, parameter `<name>.weight`). The table is an
// fp32 master in the amp modes; the lookup reads the low-format working copy, so outputs
// are exact compute-format values without another rounding. The gradient of each row is the
// fp32 sum of the output gradients of its tokens, in token order (deterministic), then stored
// in the compute format like every weight gradient; `padding_idx` (PyTorch's) is a row that
// starts at zero and never receives gradient. Initialisation: uniform in +-0.05, Keras'
// default for Embedding (the seeds' models are Keras ones).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

constexpr std::int64_t kMaxVocab = std::int64_t{1} << 26;
constexpr std::int64_t kMaxDim = std::int64_t{1} << 16;
constexpr std::int64_t kKerasUniformFanIn = 400;  // 1 / sqrt(400) = 0.05

class Embedding : public Op {
 public:
  Embedding(std::string name, Parameter weight, std::int64_t padding_idx)
      : name_(std::move(name)), weight_(std::move(weight)), padding_idx_(padding_idx) {
    vocab_ = weight_.value.dim(0);
    dim_ = weight_.value.dim(1);
    if (padding_idx_ >= 0)
      std::fill_n(weight_.value.ptr() + padding_idx_ * dim_, static_cast<std::size_t>(dim_), 0.0f);
  }
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override {
    Shape out = in.at(0);
    out.push_back(dim_);
    return out;
  }
  std::vector<Parameter*> parameters() override { return {&weight_}; }

  void forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    if (!x.isTokenIds()) throw std::invalid_argument(name_ + ": embedding reads int32 token ids, got floats");
    y.reshapeTo(nodeOutputShape({x.shape}));
    const float* w = weight_.compute().ptr();
    const std::size_t row = static_cast<std::size_t>(dim_);
    for (std::size_t t = 0; t < x.ids.size(); ++t) {
      const std::int64_t id = x.ids[t];
      if (id < 0 || id >= vocab_)
        throw std::out_of_range(name_ + ": token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                std::to_string(vocab_ - 1) + "); raise `vocab` or lower dataset.vocab_size");
      std::copy_n(w + id * dim_, row, y.ptr() + t * row);
    }
    ctx.roundOutput(y);  // values already exact in the compute format: this only marks it
  }

  void backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>&, ExecContext& ctx) override {
    const Tensor& x = *xs.at(0);
    weight_.grad.reshapeTo({vocab_, dim_});
    weight_.grad.zero();
    float* g = weight_.grad.ptr();
    for (std::size_t t = 0; t < x.ids.size(); ++t) {
      const std::int64_t id = x.ids[t];
      if (id == padding_idx_) continue;
      const float* d = dy.ptr() + t * static_cast<std::size_t>(dim_);
      float* gr = g + id * dim_;
      for (std::int64_t j = 0; j < dim_; ++j) gr[j] += d[j];
    }
    ctx.roundGradient(weight_.grad);
    // Token ids have no gradient: the graph never asks for one (no parameter upstream).
  }

 private:
  std::string name_;
  Parameter weight_;
  std::int64_t padding_idx_, vocab_ = 0, dim_ = 0;
};

}  // namespace

void registerEmbeddingOp(OpRegistry& r) {
  OpDef d;
  d.name = "embedding";
  d.summary = "token ids -> learned vectors: vocab (table rows), dim, padding_idx (-1: none)";
  d.token_input = true;
  d.check_attrs = [](AttrReader& a) {
    const std::int64_t vocab = a.integer("vocab", std::nullopt, 1, kMaxVocab);
    a.integer("dim", std::nullopt, 1, kMaxDim);
    a.integer("padding_idx", -1, -1, std::max<std::int64_t>(vocab - 1, -1));
  };
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) {
    if (in.at(0).size() < 2)
      throw ShapeInferenceError(n.name + ": expects token ids [batch, T], got shape " + shapeToString(in[0]));
    Shape out = in[0];
    out.push_back(n.attrs.value("dim", std::int64_t{1}));
    return out;
  };
  d.parameters = [](const NodeSpec& n, const std::vector<Shape>&) {
    const std::int64_t vocab = n.attrs.at("vocab").get<std::int64_t>(), dim = n.attrs.at("dim").get<std::int64_t>();
    return std::vector<ParameterSpec>{
        {n.name + ".weight", {vocab, dim}, false, false, ParamInit::UniformFanIn, kKerasUniformFanIn}};
  };
  d.flops = [](const NodeSpec&, const std::vector<Shape>&, const Shape& out) {
    return static_cast<double>(shapeSize(out));  // one copy per output element
  };
  d.examples = {{{{"vocab", 7}, {"dim", 3}}, {{2, 5}}}, {{{"vocab", 6}, {"dim", 2}, {"padding_idx", 0}}, {{3, 4}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<Embedding>(n.name, std::move(p.at(0)), n.attrs.value("padding_idx", std::int64_t{-1}));
  };
  r.add(std::move(d));
}

}  // namespace halflab
