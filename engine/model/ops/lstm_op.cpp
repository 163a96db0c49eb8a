// lstm: a one-layer LSTM over [N, T, F] (PyTorch's nn.LSTM, batch_first), uni- or
// bidirectional, last states [N, H*dirs] or the whole sequence [N, T, H*dirs];
// length-aware. Arithmetic and rounding points: engine/model/recurrent.hpp.
#include "engine/model/op_def.hpp"
#include "engine/model/recurrent.hpp"

namespace halflab {

void registerLstmOp(OpRegistry& r) {
  OpDef d;
  d.name = "lstm";
  d.summary = "LSTM over [N, T, F] (gates i, f, g, o): hidden, bidirectional (false), return_sequences (false)";
  fillRecurrentOpDef(d, CellKind::LSTM);
  using nlohmann::json;
  d.examples = {{{{"hidden", 3}}, {{2, 4, 3}}},
                {{{"hidden", 3}, {"bidirectional", true}, {"return_sequences", true}}, {{3, 5, 4}}, {5, 2, 4}},
                {{{"hidden", 2}, {"bidirectional", true}}, {{3, 4, 3}}, {4, 1, 3}}};
  r.add(std::move(d));
}

}  // namespace halflab
