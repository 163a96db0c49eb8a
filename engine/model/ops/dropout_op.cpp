// dropout: inverted dropout, identity in evaluation (engine/model/dropout.hpp).
#include "engine/model/dropout.hpp"
#include "engine/model/op_def.hpp"

namespace halflab {

void registerDropoutOp(OpRegistry& r) {
  OpDef d;
  d.name = "dropout";
  d.summary = "inverted dropout on any shape (features, sequences, images): rate in [0, 1)";
  d.check_attrs = [](AttrReader& a) { a.number("rate", 0.5, 0.0, 1.0, true); };
  d.output_shape = [](const NodeSpec&, const std::vector<Shape>& in) { return in.at(0); };
  d.buffers = [](const NodeSpec&, const std::vector<Shape>& in, const Shape&) {
    return std::vector<OpBuffer>{{"mask", shapeSize(in.at(0)), 1, OpBuffer::Batch::Train}};
  };
  using nlohmann::json;
  d.examples = {{{{"rate", 0.0}}, {{3, 5}}}, {{{"rate", 0.0}}, {{2, 4, 3}}}};  // rank 3: sequences [N, T, F]
  d.make_cpu = [](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter>) -> std::unique_ptr<Op> {
    return std::make_unique<Dropout>(n.name, n.attrs.value("rate", 0.5));
  };
  r.add(std::move(d));
}

}  // namespace halflab
