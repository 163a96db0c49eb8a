#include "engine/model/model_plan.hpp"

#include <stdexcept>

namespace halflab {
namespace {

ActivationKind activationOf(const ModelConfig& cfg) {
  auto a = parseActivation(cfg.activation);
  if (!a) throw std::invalid_argument("model.activation: unknown '" + cfg.activation + "'");
  return *a;
}

// Appends layers while tracking the current (batch 1) shape; each layer's shape comes from
// the same rule its outputShape() uses.
class PlanBuilder {
 public:
  explicit PlanBuilder(ModelPlan& plan) : plan_(plan) {
    shape_ = plan.sample;
    shape_.insert(shape_.begin(), 1);
  }
  const Shape& shape() const { return shape_; }

  void flatten(const std::string& name) {
    LayerSpec l = start(LayerKind::Flatten, name);
    finish(std::move(l), flattenOutputShape(name, shape_));
  }
  void linear(const std::string& name, std::int64_t out) {
    if (out < 1) throw ShapeInferenceError(name + ": width must be >= 1 (got " + std::to_string(out) + ")");
    const std::int64_t in = shape_.size() == 2 ? shape_[1] : 0;
    LayerSpec l = start(LayerKind::Linear, name);
    l.in_size = in;
    l.out_size = out;
    l.parameters = {{name + ".weight", {out, in}}, {name + ".bias", {out}}};
    finish(std::move(l), linearOutputShape(name, shape_, in, out));
  }
  void conv2d(const std::string& name, std::int64_t out, const Window2d& w) {
    if (out < 1) throw ShapeInferenceError(name + ": channels must be >= 1 (got " + std::to_string(out) + ")");
    const std::int64_t in = shape_.size() == 4 ? shape_[1] : 0;
    LayerSpec l = start(LayerKind::Conv2d, name);
    l.in_size = in;
    l.out_size = out;
    l.window = w;
    l.parameters = {{name + ".weight", {out, in, w.kernel, w.kernel}}, {name + ".bias", {out}}};
    finish(std::move(l), conv2dOutputShape(name, shape_, in, out, w));
  }
  void batchNorm(const std::string& name) {
    const std::int64_t channels = shape_.size() >= 2 ? shape_[1] : 0;
    LayerSpec l = start(LayerKind::BatchNorm, name);
    l.in_size = channels;
    l.parameters = {{name + ".weight", {channels}, true}, {name + ".bias", {channels}, true}};
    l.buffer_elements = 2 * channels;
    finish(std::move(l), batchNormOutputShape(name, shape_, channels));
  }
  void activation(const std::string& name, ActivationKind kind) {
    LayerSpec l = start(LayerKind::Activation, name);
    l.activation = kind;
    finish(std::move(l), shape_);
  }
  void dropout(const std::string& name, double p) {
    LayerSpec l = start(LayerKind::Dropout, name);
    l.dropout = p;
    finish(std::move(l), shape_);
  }
  void maxPool2d(const std::string& name, const Window2d& w) {
    LayerSpec l = start(LayerKind::MaxPool2d, name);
    l.window = w;
    finish(std::move(l), maxPool2dOutputShape(name, shape_, w));
  }

 private:
  LayerSpec start(LayerKind kind, const std::string& name) const {
    LayerSpec l;
    l.kind = kind;
    l.name = name;
    l.in = shape_;
    return l;
  }
  // A layer joins the plan only once its shapes are known to work.
  void finish(LayerSpec l, Shape out) {
    for (const auto& p : l.parameters) shapeSize(p.shape);  // ShapeError on a negative size or overflow
    l.out = std::move(out);
    shape_ = l.out;
    plan_.layers.push_back(std::move(l));
  }

  ModelPlan& plan_;
  Shape shape_;
};

// Hidden Linear layers (each with optional BatchNorm1d, the activation, optional
// dropout), then the classifier.
void addDenseStack(PlanBuilder& b, const ModelConfig& cfg, const std::vector<int>& hidden, int classes) {
  const auto act = activationOf(cfg);
  int idx = 1;
  for (int width : hidden) {
    const auto tag = std::to_string(idx++);
    b.linear("fc" + tag, width);
    if (cfg.batchnorm) b.batchNorm("bn_fc" + tag);
    b.activation("act_fc" + tag, act);
    if (cfg.dropout > 0) b.dropout("drop_fc" + tag, cfg.dropout);
  }
  b.linear("fc" + std::to_string(idx), classes);
}

// The convolutional stages of an image preset, one per channel entry; when the images
// are too small for them all, the error says how many stages they allow.
template <typename AddStage>
void addStages(const ModelConfig& cfg, const Shape& sample, const std::vector<int>& channels,
               AddStage add_stage) {
  for (std::size_t i = 0; i < channels.size(); ++i) {
    try {
      add_stage(i, channels[i]);
    } catch (const ShapeInferenceError& e) {
      const std::size_t n = channels.size();
      throw ShapeInferenceError(std::string(e.what()) + " (" + cfg.preset + " has " + std::to_string(n) +
                                " pooling stage" + (n == 1 ? "" : "s") + "; " + std::to_string(sample[1]) + "x" +
                                std::to_string(sample[2]) + " images allow " +
                                (i == 0 ? std::string("none") : "at most " + std::to_string(i)) + ")");
    }
  }
}

}  // namespace

ModelPlan planModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes) {
  ModelPlan plan;
  plan.preset = cfg.preset;
  plan.sample = sample_shape;
  if (num_classes < 1)
    throw std::invalid_argument("model: the dataset has " + std::to_string(num_classes) + " classes");
  if (sample_shape.empty()) throw std::invalid_argument("model: samples have no shape");
  shapeSize(sample_shape);
  PlanBuilder b(plan);
  if (cfg.preset == "mlp") {
    b.flatten("flatten");
    addDenseStack(b, cfg, cfg.hidden, num_classes);
    return plan;
  }
  if (cfg.preset != "lenet" && cfg.preset != "cifar-cnn")
    throw std::invalid_argument("model.preset: unknown '" + cfg.preset + "' (expected mlp, lenet or cifar-cnn)");
  if (sample_shape.size() != 3)
    throw std::invalid_argument("model.preset: '" + cfg.preset +
                                "' needs image data (channels x height x width); this dataset "
                                "has samples of shape " + shapeToString(sample_shape));
  const auto act = activationOf(cfg);
  if (cfg.preset == "lenet") {
    // LeNet-5 style: conv5(pad 2)-act-pool, conv5-act-pool, fc120-act, fc84-act, fc.
    const std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{6, 16} : cfg.channels;
    addStages(cfg, sample_shape, ch, [&](std::size_t i, int width) {
      const auto tag = std::to_string(i + 1);
      b.conv2d("conv" + tag, width, {5, 1, i == 0 ? 2 : 0});
      b.activation("act_conv" + tag, act);
      b.maxPool2d("pool" + tag, {2, 2, 0});
    });
    b.flatten("flatten");
    addDenseStack(b, cfg, cfg.hidden.empty() ? std::vector<int>{120, 84} : cfg.hidden, num_classes);
    return plan;
  }
  // cifar-cnn: [conv3x3(pad 1) - BN - act - pool2] per width, then one classifier layer.
  const std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{32, 64, 128} : cfg.channels;
  addStages(cfg, sample_shape, ch, [&](std::size_t i, int width) {
    const auto tag = std::to_string(i + 1);
    b.conv2d("conv" + tag, width, {3, 1, 1});
    b.batchNorm("bn" + tag);
    b.activation("act_conv" + tag, act);
    b.maxPool2d("pool" + tag, {2, 2, 0});
  });
  b.flatten("flatten");
  addDenseStack(b, cfg, {}, num_classes);
  return plan;
}

}  // namespace halflab
