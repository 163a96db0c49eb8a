#include "engine/model/presets.hpp"

#include <stdexcept>

#include "engine/model/activation.hpp"

namespace halflab {
namespace {

class NodeList {
 public:
  explicit NodeList(PresetModel& m) : m_(m) {}
  int stage = -1;
  void add(std::string op, std::string name, nlohmann::json attrs = nlohmann::json::object()) {
    m_.nodes.push_back({std::move(op), std::move(name), {}, std::move(attrs)});
    m_.stage.push_back(stage);
  }

 private:
  PresetModel& m_;
};

std::string activationOf(const ModelConfig& cfg) {
  if (!parseActivation(cfg.activation))
    throw std::invalid_argument("model.activation: unknown '" + cfg.activation + "'");
  return cfg.activation;
}

// Hidden Linear layers (each with optional BatchNorm1d, the activation, optional
// dropout), then the classifier.
void addDenseStack(NodeList& b, const ModelConfig& cfg, const std::vector<int>& hidden, int classes) {
  const std::string act = activationOf(cfg);
  int idx = 1;
  for (int width : hidden) {
    const auto tag = std::to_string(idx++);
    b.add("linear", "fc" + tag, {{"units", width}});
    if (cfg.batchnorm) b.add("batchnorm", "bn_fc" + tag);
    b.add("activation", "act_fc" + tag, {{"function", act}});
    if (cfg.dropout > 0) b.add("dropout", "drop_fc" + tag, {{"rate", cfg.dropout}});
  }
  b.add("linear", "fc" + std::to_string(idx), {{"units", classes}});
}

void addConvBnRelu(NodeList& b, const std::string& tag, const std::string& op, nlohmann::json attrs) {
  b.add(op, tag, std::move(attrs));
  b.add("batchnorm", "bn_" + tag);
  b.add("activation", "act_" + tag, {{"function", "relu"}});
}

// MobileNet v1 in miniature: a 3x3 stem, then depthwise-separable blocks (depthwise 3x3
// + BN + ReLU, pointwise 1x1 + BN + ReLU); the stride-2 blocks halve the image
// (32 -> 16 -> 8 -> 4, or 28 -> 14 -> 7 -> 4) while the width doubles.
void addMobileNetTiny(NodeList& b, PresetModel& m, int classes) {
  b.stage = 0;
  addConvBnRelu(b, "stem", "conv2d", {{"filters", 16}, {"kernel", 3}, {"stride", 1}, {"padding", 1}});
  const std::vector<std::pair<int, int>> blocks{{32, 1}, {64, 2}, {128, 2}, {128, 2}};  // pointwise width, stride
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto tag = std::to_string(i + 1);
    b.stage = static_cast<int>(i + 1);
    addConvBnRelu(b, "dw" + tag, "depthwise_conv2d", {{"kernel", 3}, {"stride", blocks[i].second}, {"padding", 1}});
    addConvBnRelu(b, "pw" + tag, "conv2d", {{"filters", blocks[i].first}, {"kernel", 1}, {"stride", 1}, {"padding", 0}});
  }
  b.stage = -1;
  m.stages = static_cast<int>(blocks.size() + 1);
  b.add("global_avg_pool2d", "pool");
  b.add("linear", "fc", {{"units", classes}});
}

}  // namespace

const std::vector<PresetInfo>& modelPresets() {
  static const std::vector<PresetInfo> presets{
      {"mlp", "flatten, hidden linear layers (model.hidden) with the activation, a linear classifier", false},
      {"lenet", "LeNet-5: two 5x5 convolutions with pooling, then linear layers 120, 84", true},
      {"cifar-cnn", "3x3 convolution + batch norm + pooling per stage (32, 64, 128), a linear classifier", true},
      {"seed-mnist-cnn", "the digit seed's CNN: conv 32 3x3 ReLU, max pool 2, flatten, dense 128 ReLU, dense", true},
      {"seed-cifar-cnn", "the CIFAR-10 seed's CNN: conv 32, pool, conv 64, pool, conv 64 (3x3 ReLU), dense 64 ReLU, dense", true},
      {"mobilenet-tiny", "depthwise-separable CNN: conv 3x3 16 + BN + ReLU, 4 blocks of depthwise 3x3 + BN + ReLU + pointwise 1x1 + BN + ReLU (32, 64/2, 128/2, 128/2), global average pool, dense", true},
  };
  return presets;
}

const PresetInfo* findPreset(const std::string& name) {
  for (const auto& p : modelPresets())
    if (p.name == name) return &p;
  return nullptr;
}

PresetModel presetModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes) {
  PresetModel m;
  NodeList b(m);
  const PresetInfo* info = findPreset(cfg.preset);
  if (!info) {
    std::string list;
    for (const auto& p : modelPresets()) list += (list.empty() ? "" : ", ") + p.name;
    throw std::invalid_argument("model.preset: unknown '" + cfg.preset + "' (expected one of " + list + ")");
  }
  if (cfg.preset == "mlp") {
    b.add("flatten", "flatten");
    addDenseStack(b, cfg, cfg.hidden, num_classes);
    return m;
  }
  if (sample_shape.size() != 3)
    throw std::invalid_argument("model.preset: '" + cfg.preset +
                                "' needs image data (channels x height x width); this dataset "
                                "has samples of shape " + shapeToString(sample_shape));
  if (cfg.preset == "seed-mnist-cnn" || cfg.preset == "seed-cifar-cnn") {
    // The seeds' Keras models as written there: 'valid' 3x3 convolutions and ReLU
    // fixed by the model itself, not by model.activation.
    const std::vector<int> ch = cfg.preset == "seed-mnist-cnn" ? std::vector<int>{32} : std::vector<int>{32, 64, 64};
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const auto tag = std::to_string(i + 1);
      b.stage = static_cast<int>(i);
      b.add("conv2d", "conv" + tag, {{"filters", ch[i]}, {"kernel", 3}, {"stride", 1}, {"padding", 0}});
      b.add("activation", "act_conv" + tag, {{"function", "relu"}});
      if (i + 1 < ch.size() || ch.size() == 1) b.add("maxpool2d", "pool" + tag, {{"pool", 2}, {"stride", 2}});
    }
    b.stage = -1;
    m.stages = static_cast<int>(ch.size());
    b.add("flatten", "flatten");
    const int hidden = cfg.preset == "seed-mnist-cnn" ? 128 : 64;
    b.add("linear", "fc1", {{"units", hidden}});
    b.add("activation", "act_fc1", {{"function", "relu"}});
    b.add("linear", "fc2", {{"units", num_classes}});
    return m;
  }
  if (cfg.preset == "mobilenet-tiny") {
    addMobileNetTiny(b, m, num_classes);
    return m;
  }
  const std::string act = activationOf(cfg);
  if (cfg.preset == "lenet") {
    // LeNet-5 style: conv5(pad 2)-act-pool, conv5-act-pool, fc120-act, fc84-act, fc.
    const std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{6, 16} : cfg.channels;
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const auto tag = std::to_string(i + 1);
      b.stage = static_cast<int>(i);
      b.add("conv2d", "conv" + tag, {{"filters", ch[i]}, {"kernel", 5}, {"stride", 1}, {"padding", i == 0 ? 2 : 0}});
      b.add("activation", "act_conv" + tag, {{"function", act}});
      b.add("maxpool2d", "pool" + tag, {{"pool", 2}, {"stride", 2}});
    }
    b.stage = -1;
    m.stages = static_cast<int>(ch.size());
    b.add("flatten", "flatten");
    addDenseStack(b, cfg, cfg.hidden.empty() ? std::vector<int>{120, 84} : cfg.hidden, num_classes);
    return m;
  }
  // cifar-cnn: [conv3x3(pad 1) - BN - act - pool2] per width, then one classifier layer.
  const std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{32, 64, 128} : cfg.channels;
  for (std::size_t i = 0; i < ch.size(); ++i) {
    const auto tag = std::to_string(i + 1);
    b.stage = static_cast<int>(i);
    b.add("conv2d", "conv" + tag, {{"filters", ch[i]}, {"kernel", 3}, {"stride", 1}, {"padding", 1}});
    b.add("batchnorm", "bn" + tag);
    b.add("activation", "act_conv" + tag, {{"function", act}});
    b.add("maxpool2d", "pool" + tag, {{"pool", 2}, {"stride", 2}});
  }
  b.stage = -1;
  m.stages = static_cast<int>(ch.size());
  b.add("flatten", "flatten");
  addDenseStack(b, cfg, {}, num_classes);
  return m;
}

}  // namespace halflab
