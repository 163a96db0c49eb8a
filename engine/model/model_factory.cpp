#include "engine/model/model_factory.hpp"

#include <cmath>
#include <random>
#include <stdexcept>

#include "engine/model/init.hpp"

namespace halflab {

Graph buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes, std::uint64_t seed) {
  return buildModel(planModel(cfg, sample_shape, num_classes), cfg.init_gain, seed);
}

std::vector<std::vector<Parameter>> initialParameters(const ModelPlan& plan, double init_gain, std::uint64_t seed) {
  // One generator for the whole model: each parameter draws its values in plan order.
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Parameter>> out;
  for (const LayerSpec& l : plan.layers) {
    std::vector<Parameter> params;
    for (const ParameterSpec& s : l.parameters) {
      Parameter p;
      p.name = s.name;
      p.decay = s.decay;
      p.keep_fp32 = s.keep_fp32;
      switch (s.init) {
        case ParamInit::Ones: p.value = Tensor(s.shape, 1.0f); break;
        case ParamInit::Zeros: p.value = Tensor(s.shape, 0.0f); break;
        case ParamInit::UniformFanIn:
          p.value = Tensor(s.shape);
          initUniform(p.value, init_gain / std::sqrt(static_cast<double>(s.fan_in)), rng);
          break;
      }
      params.push_back(std::move(p));
    }
    out.push_back(std::move(params));
  }
  return out;
}

Graph buildModel(const ModelPlan& plan, double init_gain, std::uint64_t seed) {
  auto params = initialParameters(plan, init_gain, seed);
  Graph g;
  for (std::size_t i = 0; i < plan.layers.size(); ++i) {
    const LayerSpec& l = plan.layers[i];
    if (!l.def->make_cpu) throw std::invalid_argument(l.name + ": op '" + l.def->name + "' has no CPU implementation");
    g.add(l.def->make_cpu(l.node, l.ins, std::move(params[i])), l.inputs);
  }
  return g;
}

}  // namespace halflab
