// gru: a one-layer GRU over [N, T, F] (PyTorch's nn.GRU, batch_first), uni- or
// bidirectional, last states [N, H*dirs] or the whole sequence [N, T, H*dirs];
// length-aware. Arithmetic and rounding points: engine/model/recurrent.hpp.
#include "engine/model/op_def.hpp"
#include "engine/model/recurrent.hpp"

namespace halflab {

void registerGruOp(OpRegistry& r) {
  OpDef d;
  d.name = "gru";
  d.summary = "GRU over [N, T, F] (gates r, z, n): hidden, bidirectional (false), return_sequences (false)";
  fillRecurrentOpDef(d, CellKind::GRU);
  using nlohmann::json;
  d.examples = {{{{"hidden", 3}}, {{2, 4, 3}}},
                {{{"hidden", 3}, {"bidirectional", true}, {"return_sequences", true}}, {{3, 5, 4}}, {5, 2, 4}},
                {{{"hidden", 2}, {"bidirectional", true}}, {{3, 4, 3}}, {4, 1, 3}}};
  r.add(std::move(d));
}

}  // namespace halflab
