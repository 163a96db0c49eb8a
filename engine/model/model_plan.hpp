#pragma once
// The architecture of a model preset, worked out without allocating anything: every
// layer with its input and output shape (shape inference) and the shapes of its
// parameters. buildModel() instantiates a plan; the memory estimate walks one.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/activation.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {

enum class LayerKind { Flatten, Linear, Conv2d, BatchNorm, Activation, Dropout, MaxPool2d };

struct ParameterSpec {
  std::string name;        // e.g. "fc2.weight"
  Shape shape;
  bool keep_fp32 = false;  // batch-norm affine parameters stay fp32 in every mode
};

struct LayerSpec {
  LayerKind kind = LayerKind::Flatten;
  std::string name;
  Shape in, out;                 // with a batch dimension of 1
  std::int64_t in_size = 0;      // Linear: input features; Conv2d: input channels; BatchNorm: channels
  std::int64_t out_size = 0;     // Linear: output features; Conv2d: output channels
  Window2d window;               // Conv2d, MaxPool2d
  ActivationKind activation = ActivationKind::ReLU;
  double dropout = 0.0;
  std::vector<ParameterSpec> parameters;
  std::int64_t buffer_elements = 0;  // state that is not trained (batch-norm running statistics)
};

struct ModelPlan {
  std::string preset;
  Shape sample;                  // one sample's shape, without the batch dimension
  std::vector<LayerSpec> layers;
  Shape output() const { return layers.empty() ? Shape{} : layers.back().out; }
};

// sample_shape: {C, H, W} for images, {D} for vectors. Throws ShapeInferenceError naming
// the layer when the data does not fit the architecture, e.g. "pool6: a 2x2 window with
// stride 2 does not fit a 1x1 input (cifar-cnn has 6 pooling stages; 32x32 images allow
// at most 5)", and std::invalid_argument for an unknown preset or activation.
ModelPlan planModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes);

}  // namespace halflab
