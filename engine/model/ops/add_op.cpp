// add: elementwise sum of two or more inputs of the same shape (residual connections).
// Low formats: the sum is taken in fp32 and rounded once to the compute format; each
// input's gradient is the output gradient itself (no rounding: it is already stored in
// the compute format).
#include <algorithm>

#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

class Add : public Op {
 public:
  explicit Add(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override {
    for (std::size_t i = 1; i < in.size(); ++i)
      if (in[i] != in[0])
        throw ShapeInferenceError(name_ + ": every input needs the same shape; input 1 is " + shapeToString(in[0]) +
                                  ", input " + std::to_string(i + 1) + " is " + shapeToString(in[i]));
    return in.at(0);
  }
  void forwardNode(const std::vector<const Tensor*>& x, Tensor& y, ExecContext& ctx) override {
    std::vector<Shape> shapes;
    for (const Tensor* t : x) shapes.push_back(t->shape);
    y.reshapeTo(nodeOutputShape(shapes));
    std::copy(x[0]->data.begin(), x[0]->data.end(), y.data.begin());
    for (std::size_t i = 1; i < x.size(); ++i) {
      const float* s = x[i]->ptr();
      float* d = y.ptr();
      for (std::size_t k = 0; k < y.data.size(); ++k) d[k] += s[k];
    }
    ctx.roundOutput(y);
  }
  void backwardNode(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dx, ExecContext&) override {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!dx[i]) continue;
      dx[i]->shape = dy.shape;
      dx[i]->data.assign(dy.data.begin(), dy.data.end());
      dx[i]->format = dy.format;
    }
  }

 private:
  std::string name_;
};

}  // namespace

void registerAddOp(OpRegistry& r) {
  OpDef d;
  d.name = "add";
  d.summary = "elementwise sum of two or more inputs of the same shape";
  d.min_inputs = 2;
  d.max_inputs = -1;
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return Add(n.name).nodeOutputShape(in); };
  d.flops = [](const NodeSpec&, const std::vector<Shape>& in, const Shape& out) {
    return static_cast<double>(in.size() - 1) * static_cast<double>(shapeSize(out));
  };
  using nlohmann::json;
  d.examples = {{json::object(), {{3, 4}, {3, 4}}}, {json::object(), {{2, 5}, {2, 5}, {2, 5}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<Add>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
