#pragma once
// A model description with every shape worked out, without allocating anything: each
// node with its op definition, the values it reads, its input and output shapes
// (shape inference) and its parameters. buildModel() instantiates a plan; the memory
// estimate and `model show` walk one.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/model_config.hpp"
#include "engine/model/node_spec.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

struct LayerSpec {
  const OpDef* def = nullptr;
  NodeSpec node;
  std::string name;             // node.name
  std::vector<int> inputs;      // values read: 0 = the model input, k + 1 = node k's output
  std::vector<Shape> ins;       // their shapes
  Shape in, out;                // first input and output, with a batch dimension of 1
  std::vector<ParameterSpec> parameters;
  std::vector<OpBuffer> buffers;
};

struct ModelPlan {
  std::string preset;            // "" for a model given as model.layers
  Shape sample;                  // one sample's shape, without the batch dimension
  DType input_dtype = DType::F32;  // I32: the model input is token ids
  std::vector<LayerSpec> layers;
  Shape output() const { return layers.empty() ? Shape{} : layers.back().out; }
  std::int64_t parameterCount() const;
};

// Shape inference over a node list. Resolves input names (default: the previous node),
// checks each op's input count and shapes. Throws ShapeInferenceError naming the node
// (`explain` may extend its message) and std::invalid_argument for an unknown op, a
// duplicate name or an unknown input.
using ShapeErrorHint = std::function<std::string(std::size_t node, const std::string& message)>;
// input_dtype I32: the input is token ids, which only ops with OpDef::token_input read.
ModelPlan planNodes(const std::vector<NodeSpec>& nodes, const Shape& sample_shape,
                    const ShapeErrorHint& explain = {}, DType input_dtype = DType::F32);

// sample_shape: {C, H, W} for images, {D} for vectors. Throws ShapeInferenceError naming
// the layer when the data does not fit the architecture, e.g. "pool6: a 2x2 window with
// stride 2 does not fit a 1x1 input (cifar-cnn has 6 pooling stages; 32x32 images allow
// at most 5)", and std::invalid_argument for an unknown preset or activation.
// num_outputs: values per sample the loss needs (the class count, 1 for bce-with-logits).
ModelPlan planModel(const ModelConfig& cfg, const Shape& sample_shape, int num_outputs,
                    DType input_dtype = DType::F32);

}  // namespace halflab
