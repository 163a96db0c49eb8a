// concat: joins two or more inputs along axis 1 (features or channels); the other
// dimensions must agree. Values are only moved, so nothing is rounded.
#include <algorithm>

#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

class Concat : public Op {
 public:
  explicit Concat(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override {
    Shape out = in.at(0);
    if (out.size() < 2) throw ShapeInferenceError(name_ + ": expects inputs with a batch and a feature axis, got " + shapeToString(out));
    for (std::size_t i = 1; i < in.size(); ++i) {
      bool fits = in[i].size() == out.size();
      for (std::size_t a = 0; fits && a < out.size(); ++a) fits = a == 1 || in[i][a] == out[a];
      if (!fits)
        throw ShapeInferenceError(name_ + ": inputs may differ only in axis 1; input 1 is " + shapeToString(in[0]) +
                                  ", input " + std::to_string(i + 1) + " is " + shapeToString(in[i]));
      out[1] += in[i][1];
    }
    shapeSize(out);
    return out;
  }
  void forwardNode(const std::vector<const Tensor*>& x, Tensor& y, ExecContext&) override {
    std::vector<Shape> shapes;
    for (const Tensor* t : x) shapes.push_back(t->shape);
    y.reshapeTo(nodeOutputShape(shapes));
    y.format = x[0]->format;
    const std::int64_t n = y.dim(0), row = y.size() / std::max<std::int64_t>(n, 1);
    std::int64_t offset = 0;
    for (const Tensor* t : x) {
      const std::int64_t part = t->size() / std::max<std::int64_t>(n, 1);
      for (std::int64_t i = 0; i < n; ++i)
        std::copy(t->ptr() + i * part, t->ptr() + (i + 1) * part, y.ptr() + i * row + offset);
      offset += part;
    }
  }
  void backwardNode(const std::vector<const Tensor*>& x, const Tensor&, const Tensor& dy,
                    const std::vector<Tensor*>& dx, ExecContext&) override {
    const std::int64_t n = dy.dim(0), row = dy.size() / std::max<std::int64_t>(n, 1);
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      const std::int64_t part = x[k]->size() / std::max<std::int64_t>(n, 1);
      if (dx[k]) {
        dx[k]->reshapeTo(x[k]->shape);
        dx[k]->format = dy.format;
        for (std::int64_t i = 0; i < n; ++i)
          std::copy(dy.ptr() + i * row + offset, dy.ptr() + i * row + offset + part, dx[k]->ptr() + i * part);
      }
      offset += part;
    }
  }

 private:
  std::string name_;
};

}  // namespace

void registerConcatOp(OpRegistry& r) {
  OpDef d;
  d.name = "concat";
  d.summary = "joins two or more inputs along the feature / channel axis";
  d.min_inputs = 2;
  d.max_inputs = -1;
  d.check_attrs = [](AttrReader&) {};
  d.output_shape = [](const NodeSpec& n, const std::vector<Shape>& in) { return Concat(n.name).nodeOutputShape(in); };
  d.flops = [](const NodeSpec&, const std::vector<Shape>&, const Shape&) { return 0.0; };
  using nlohmann::json;
  d.examples = {{json::object(), {{3, 4}, {3, 2}}}, {json::object(), {{2, 1, 3, 3}, {2, 2, 3, 3}}}};
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<Concat>(n.name);
  };
  r.add(std::move(d));
}

}  // namespace halflab
