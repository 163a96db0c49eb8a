// The registration list: every op of the engine, in the order `model ops` lists them.
// Adding an op = its own file under engine/model/ops/ plus one line in each list below.
#include "engine/model/op_def.hpp"

namespace halflab {

void registerFlattenOp(OpRegistry&);
void registerLinearOp(OpRegistry&);
void registerConv2dOp(OpRegistry&);
void registerBatchNormOp(OpRegistry&);
void registerActivationOp(OpRegistry&);
void registerDropoutOp(OpRegistry&);
void registerMaxPool2dOp(OpRegistry&);
void registerGlobalAvgPool2dOp(OpRegistry&);
void registerDepthwiseConv2dOp(OpRegistry&);
void registerAddOp(OpRegistry&);
void registerConcatOp(OpRegistry&);
void registerLayerNormOp(OpRegistry&);
void registerGeluOp(OpRegistry&);
void registerEmbeddingOp(OpRegistry&);
void registerGruOp(OpRegistry&);
void registerLstmOp(OpRegistry&);
void registerMeanOverTimeOp(OpRegistry&);
void registerMaxOverTimeOp(OpRegistry&);

const OpRegistry& opRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerFlattenOp(r);
    registerLinearOp(r);
    registerConv2dOp(r);
    registerBatchNormOp(r);
    registerActivationOp(r);
    registerDropoutOp(r);
    registerMaxPool2dOp(r);
    registerGlobalAvgPool2dOp(r);
    registerDepthwiseConv2dOp(r);
    registerAddOp(r);
    registerConcatOp(r);
    registerLayerNormOp(r);
    registerGeluOp(r);
    registerEmbeddingOp(r);
    registerGruOp(r);
    registerLstmOp(r);
    registerMeanOverTimeOp(r);
    registerMaxOverTimeOp(r);
    return r;
  }();
  return registry;
}

}  // namespace halflab
