#include "engine/model/model_plan.hpp"

#include <map>
#include <stdexcept>

#include "engine/model/presets.hpp"

namespace halflab {

std::int64_t ModelPlan::parameterCount() const {
  std::int64_t n = 0;
  for (const auto& l : layers)
    for (const auto& p : l.parameters) n += shapeSize(p.shape);
  return n;
}

ModelPlan planNodes(const std::vector<NodeSpec>& nodes, const Shape& sample_shape, const ShapeErrorHint& explain,
                    DType input_dtype) {
  ModelPlan plan;
  plan.sample = sample_shape;
  plan.input_dtype = input_dtype;
  if (sample_shape.empty()) throw std::invalid_argument("model: samples have no shape");
  shapeSize(sample_shape);
  Shape first = sample_shape;
  first.insert(first.begin(), 1);
  std::vector<Shape> values{first};
  std::map<std::string, int> value_of{{kModelInputName, 0}};
  const OpRegistry& ops = opRegistry();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& n = nodes[i];
    LayerSpec l;
    l.def = &ops.at(n.op);
    l.node = n;
    l.name = n.name;
    if (n.name.empty()) throw std::invalid_argument("node " + std::to_string(i + 1) + " (" + n.op + ") has no name");
    if (value_of.count(n.name)) throw std::invalid_argument(n.name + ": a second node of this name");
    if (n.inputs.empty()) l.inputs.push_back(static_cast<int>(values.size()) - 1);
    for (const auto& in : n.inputs) {
      const auto it = value_of.find(in);
      if (it == value_of.end())
        throw std::invalid_argument(n.name + ": input '" + in + "' is not the model input or an earlier node");
      l.inputs.push_back(it->second);
    }
    const auto count = static_cast<int>(l.inputs.size());
    if (count < l.def->min_inputs || (l.def->max_inputs >= 0 && count > l.def->max_inputs))
      throw std::invalid_argument(n.name + ": " + n.op + " takes " +
                                  (l.def->max_inputs < 0 ? "at least " + std::to_string(l.def->min_inputs)
                                                         : std::to_string(l.def->min_inputs)) +
                                  " input" + (l.def->min_inputs == 1 && l.def->max_inputs == 1 ? "" : "s") +
                                  ", got " + std::to_string(count));
    for (int v : l.inputs) l.ins.push_back(values[static_cast<std::size_t>(v)]);
    l.in = l.ins.front();
    // Token ids are int32 and carry no gradient: only an op made for them (embedding) reads them.
    const bool tokens_in = input_dtype == DType::I32 && l.inputs.front() == 0;
    for (std::size_t k = 0; k < l.inputs.size(); ++k)
      if (input_dtype == DType::I32 && l.inputs[k] == 0 && !(k == 0 && l.def->token_input))
        throw ShapeInferenceError(n.name + ": " + n.op + " cannot read the token ids of a text set (int32); "
                                  "start the model with an embedding");
    if (l.def->token_input && !tokens_in)
      throw ShapeInferenceError(n.name + ": " + n.op + " reads token ids, but its input " +
                                (l.inputs.front() == 0 ? std::string("(the model input) holds floats")
                                                       : "'" + nodes[static_cast<std::size_t>(l.inputs.front() - 1)].name +
                                                             "' holds floats"));
    try {
      l.out = l.def->output_shape(n, l.ins);
      if (l.def->parameters) l.parameters = l.def->parameters(n, l.ins);
      for (const auto& p : l.parameters) shapeSize(p.shape);  // ShapeError on a negative size or overflow
    } catch (const ShapeInferenceError& e) {
      if (explain) throw ShapeInferenceError(explain(i, e.what()));
      throw;
    }
    if (l.def->buffers) l.buffers = l.def->buffers(n, l.ins, l.out);
    value_of[n.name] = static_cast<int>(values.size());
    values.push_back(l.out);
    plan.layers.push_back(std::move(l));
  }
  return plan;
}

ModelPlan planModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes, DType input_dtype) {
  if (num_classes < 1)
    throw std::invalid_argument("model: the dataset has " + std::to_string(num_classes) + " classes");
  if (sample_shape.empty()) throw std::invalid_argument("model: samples have no shape");
  shapeSize(sample_shape);
  if (!cfg.layers.empty()) {
    ModelPlan plan = planNodes(cfg.layers, sample_shape, {}, input_dtype);
    plan.preset = cfg.preset;
    if (plan.output() != Shape{1, num_classes})
      throw ShapeInferenceError("model.layers: the last layer (" + plan.layers.back().name + ") outputs " +
                                shapeToString(plan.output()) + " per sample; the loss needs [1x" +
                                std::to_string(num_classes) + "]" + (num_classes == 1 ? " (one logit)" : " (one value per class)"));
    return plan;
  }
  const PresetModel preset = presetModel(cfg, sample_shape, num_classes);
  // When the images are too small for every convolutional stage, the error says how
  // many stages they allow.
  auto explain = [&](std::size_t node, const std::string& message) {
    const int i = preset.stage.at(node);
    if (i < 0) return message;
    const int n = preset.stages;
    return message + " (" + cfg.preset + " has " + std::to_string(n) + " pooling stage" + (n == 1 ? "" : "s") +
           "; " + std::to_string(sample_shape[1]) + "x" + std::to_string(sample_shape[2]) + " images allow " +
           (i == 0 ? std::string("none") : "at most " + std::to_string(i)) + ")";
  };
  ModelPlan plan = planNodes(preset.nodes, sample_shape, explain, input_dtype);
  plan.preset = cfg.preset;
  return plan;
}

}  // namespace halflab
