#include "engine/train/run_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/json/bounded_json.hpp"
#include "engine/model/activation.hpp"
#include "engine/model/layer_list.hpp"
#include "engine/model/loss.hpp"
#include "engine/model/presets.hpp"

namespace halflab {

const std::vector<std::string>& datasetKindNames() {
  static const std::vector<std::string> names{"fashion-mnist", "mnist",    "cifar10", "image-folder", "imdb",
                                              "csv-text",      "spirals", "moons",   "blobs"};
  return names;
}

using nlohmann::json;

namespace {

std::string joinIssues(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) out += "; ";
    out += i.field.empty() ? i.message : i.field + ": " + i.message;
  }
  return out;
}

// A JSON number that must fit the integer type T exactly (nlohmann would wrap or
// truncate silently: -1 as a seed, 2^32+1 as epochs, 64.5 as a width).
template <typename T>
void checkWhole(const json& v) {
  constexpr auto lo = std::numeric_limits<T>::min();
  constexpr auto hi = std::numeric_limits<T>::max();
  // Integers are compared exactly: through a double, 2^64 would pass as 2^64-1.
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      throw std::invalid_argument("out of range for this field");
    return;
  }
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i < 0 && std::is_unsigned_v<T>) throw std::invalid_argument("must not be negative");
    if ((std::is_signed_v<T> && i < static_cast<std::int64_t>(lo)) ||
        (i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(hi)))
      throw std::invalid_argument("out of range for this field");
    return;
  }
  const double d = v.get<double>();
  if (d != std::floor(d)) throw std::invalid_argument("expected a whole number");
  // T holds [-2^digits, 2^digits) (signed) or [0, 2^digits): both bounds exact in double.
  const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
  if (d >= limit || d < (std::is_signed_v<T> ? -limit : 0.0))
    throw std::invalid_argument("out of range for this field");
}

// Reads one section, recording type errors and unknown keys instead of throwing, so a
// user sees every problem of a config at once.
class SectionReader {
 public:
  SectionReader(const json& root, std::string section, std::vector<ConfigIssue>& issues)
      : section_(std::move(section)), issues_(issues) {
    if (!root.contains(section_)) return;
    const json& s = root.at(section_);
    if (!s.is_object()) {
      issues_.push_back({section_, "must be an object"});
      return;
    }
    obj_ = &s;
  }
  template <typename T>
  void get(const char* key, T& out) {
    if (!obj_) return;
    seen_.insert(key);
    auto it = obj_->find(key);
    if (it == obj_->end() || it->is_null()) return;
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!it->is_boolean()) throw std::invalid_argument("expected true or false");
      } else if constexpr (std::is_arithmetic_v<T>) {
        if (!it->is_number()) throw std::invalid_argument("expected a number");
        if constexpr (std::is_integral_v<T>) checkWhole<T>(*it);
      } else if constexpr (std::is_same_v<T, std::vector<int>>) {
        if (!it->is_array()) throw std::invalid_argument("expected a list of whole numbers");
        for (const auto& e : *it) {
          if (!e.is_number()) throw std::invalid_argument("expected a list of whole numbers");
          checkWhole<int>(e);
        }
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) throw std::invalid_argument("expected a string");
      }
      out = it->get<T>();
    } catch (const std::exception& e) {
      std::string what = e.what();
      if (what.rfind("[json.exception", 0) == 0) what = "has the wrong type";
      issues_.push_back({section_ + "." + key, what + " (got " + jsonForMessage(*it) + ")"});
    }
  }
  bool has(const char* key) const { return obj_ && obj_->contains(key); }
  // The raw value of a field the caller checks itself (null when absent).
  const json* take(const char* key) {
    if (!obj_) return nullptr;
    seen_.insert(key);
    auto it = obj_->find(key);
    return it == obj_->end() || it->is_null() ? nullptr : &*it;
  }
  void rejectUnknown() {
    if (!obj_) return;
    for (auto it = obj_->begin(); it != obj_->end(); ++it)
      if (!seen_.count(it.key()))
        issues_.push_back({section_ + "." + cutForMessage(it.key()), "unknown field"});
  }

 private:
  std::string section_;
  std::vector<ConfigIssue>& issues_;
  const json* obj_ = nullptr;
  std::set<std::string> seen_;
};

const std::set<std::string> kDatasetKinds(datasetKindNames().begin(), datasetKindNames().end());

}  // namespace

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : std::runtime_error("invalid config: " + joinIssues(issues)), issues_(std::move(issues)) {}

RunConfig RunConfig::fromJson(const json& j) {
  std::vector<ConfigIssue> issues;
  if (!j.is_object()) throw ConfigError("", "the config must be a JSON object");
  RunConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::set<std::string> known{"name", "dataset", "model", "precision",
                                             "optimizer", "schedule", "training"};
    if (!known.count(it.key())) issues.push_back({cutForMessage(it.key()), "unknown section"});
  }
  if (j.contains("name")) {
    if (j["name"].is_string()) c.name = j["name"].get<std::string>();
    else issues.push_back({"name", "expected a string"});
  }

  SectionReader d(j, "dataset", issues);
  d.get("kind", c.dataset.kind);
  d.get("path", c.dataset.path);
  d.get("train_limit", c.dataset.train_limit);
  d.get("test_limit", c.dataset.test_limit);
  d.get("synthetic_samples", c.dataset.synthetic_samples);
  d.get("synthetic_classes", c.dataset.synthetic_classes);
  d.get("noise", c.dataset.noise);
  d.get("normalize", c.dataset.normalize);
  d.get("augment_flip", c.dataset.augment_flip);
  d.get("augment_crop_pad", c.dataset.augment_crop_pad);
  d.get("vocab_size", c.dataset.vocab_size);
  d.get("max_len", c.dataset.max_len);
  d.get("padding", c.dataset.padding);
  d.get("truncating", c.dataset.truncating);
  d.get("cache", c.dataset.cache);
  d.get("cache_dir", c.dataset.cache_dir);
  d.rejectUnknown();

  SectionReader m(j, "model", issues);
  m.get("preset", c.model.preset);
  if (c.model.preset == "lenet") c.model.hidden = {120, 84};
  if (c.model.preset == "cifar-cnn") c.model.hidden = {};
  m.get("hidden", c.model.hidden);
  m.get("activation", c.model.activation);
  m.get("dropout", c.model.dropout);
  m.get("batchnorm", c.model.batchnorm);
  m.get("channels", c.model.channels);
  m.get("init_gain", c.model.init_gain);
  if (const json* layers = m.take("layers")) {
    for (const char* preset_field : {"preset", "hidden", "activation", "dropout", "batchnorm", "channels"})
      if (m.has(preset_field) && !(std::string(preset_field) == "preset" && c.model.preset == "layers"))
        issues.push_back({std::string("model.") + preset_field, "belongs to a preset; model.layers describes the whole model"});
    std::vector<LayerListIssue> layer_issues;
    c.model.layers = expandLayerList(*layers, "model.layers", layer_issues);
    for (auto& li : layer_issues) issues.push_back({std::move(li.field), std::move(li.message)});
    c.model.preset = "layers";
  }
  m.rejectUnknown();

  SectionReader p(j, "precision", issues);
  std::string mode = "fp32", flavour;
  p.get("mode", mode);
  if (auto pm = parsePrecisionMode(mode)) c.precision.mode = *pm;
  else issues.push_back({"precision.mode", "unknown mode '" + cutForMessage(mode) +
                                               "' (expected fp32, tf32, fp16-pure, fp16-amp or bf16-amp)"});
  p.get("scaler", flavour);
  ScalerFlavour fl = defaultScalerFor(c.precision.mode);
  if (!flavour.empty() && flavour != "default") {
    if (auto f = parseScalerFlavour(flavour)) fl = *f;
    else issues.push_back({"precision.scaler", "unknown scaler '" + cutForMessage(flavour) +
                                                   "' (expected none, static, pytorch, apex, tf-keras, deepspeed or megatron)"});
  }
  c.precision.scaler = defaultScalerConfig(fl);
  auto& s = c.precision.scaler;
  p.get("init_scale", s.init_scale);
  p.get("growth_factor", s.growth_factor);
  p.get("backoff_factor", s.backoff_factor);
  p.get("growth_interval", s.growth_interval);
  p.get("min_scale", s.min_scale);
  p.get("max_scale", s.max_scale);
  p.get("hysteresis", s.hysteresis);
  p.get("consecutive_hysteresis", s.consecutive_hysteresis);
  p.get("raise_at_min", s.raise_at_min);
  p.get("max_consecutive_skips", c.precision.max_consecutive_skips);
  p.rejectUnknown();

  SectionReader o(j, "optimizer", issues);
  std::string kind = std::string(optimizerKindName(c.optimizer.kind));
  o.get("kind", kind);
  if (auto k = parseOptimizerKind(kind)) c.optimizer.kind = *k;
  else issues.push_back({"optimizer.kind", "unknown optimizer '" + cutForMessage(kind) + "' (expected sgd, adam or adamw)"});
  if (c.optimizer.kind == OptimizerKind::SGD) c.lr = 0.01;
  if (c.optimizer.kind == OptimizerKind::AdamW) c.optimizer.weight_decay = 0.01;
  o.get("lr", c.lr);
  o.get("momentum", c.optimizer.momentum);
  o.get("nesterov", c.optimizer.nesterov);
  o.get("dampening", c.optimizer.dampening);
  o.get("weight_decay", c.optimizer.weight_decay);
  o.get("beta1", c.optimizer.beta1);
  o.get("beta2", c.optimizer.beta2);
  o.get("eps", c.optimizer.eps);
  o.rejectUnknown();

  SectionReader sc(j, "schedule", issues);
  std::string sk = std::string(scheduleKindName(c.schedule.kind));
  sc.get("kind", sk);
  if (auto k = parseScheduleKind(sk)) c.schedule.kind = *k;
  else issues.push_back({"schedule.kind", "unknown schedule '" + cutForMessage(sk) + "' (expected constant, step or cosine)"});
  sc.get("warmup_steps", c.schedule.warmup_steps);
  sc.get("step_size", c.schedule.step_size);
  sc.get("gamma", c.schedule.gamma);
  sc.get("min_lr", c.schedule.min_lr);
  sc.rejectUnknown();

  SectionReader t(j, "training", issues);
  t.get("epochs", c.training.epochs);
  t.get("batch_size", c.training.batch_size);
  t.get("seed", c.training.seed);
  t.get("max_steps", c.training.max_steps);
  t.get("eval_every", c.training.eval_every);
  t.get("histogram_every", c.training.histogram_every);
  t.get("loss", c.training.loss);
  t.get("loss_weight", c.training.loss_weight);
  t.get("clip_grad_norm", c.training.clip_grad_norm);
  t.get("device", c.training.device);
  t.get("threads", c.training.threads);
  t.get("target_accuracy", c.training.target_accuracy);
  t.rejectUnknown();

  if (issues.empty()) issues = c.validate();
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return c;
}

RunConfig RunConfig::fromJsonText(const std::string& text) {
  json j;
  try {
    j = parseBoundedJson(text);
  } catch (const json::exception& e) {
    throw ConfigError("", "not valid JSON: " + describeJsonError(e));
  } catch (const JsonTooDeep& e) {
    throw ConfigError("", e.what());
  }
  return fromJson(j);
}

RunConfig RunConfig::fromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("", path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return fromJsonText(ss.str());
  } catch (const ConfigError& e) {
    auto issues = e.issues();
    for (auto& i : issues) i.message = path + ": " + i.message;
    throw ConfigError(std::move(issues));
  }
}

json RunConfig::toJson() const {
  const auto& s = precision.scaler;
  json j{
      {"name", name},
      {"dataset",
       {{"kind", dataset.kind}, {"path", dataset.path}, {"train_limit", dataset.train_limit},
        {"test_limit", dataset.test_limit}, {"synthetic_samples", dataset.synthetic_samples},
        {"synthetic_classes", dataset.synthetic_classes}, {"noise", dataset.noise},
        {"normalize", dataset.normalize}, {"augment_flip", dataset.augment_flip},
        {"augment_crop_pad", dataset.augment_crop_pad}, {"vocab_size", dataset.vocab_size},
        {"max_len", dataset.max_len}, {"padding", dataset.padding},
        {"truncating", dataset.truncating}, {"cache", dataset.cache},
        {"cache_dir", dataset.cache_dir}}},
      {"model",
       {{"preset", model.preset}, {"hidden", model.hidden}, {"activation", model.activation},
        {"dropout", model.dropout}, {"batchnorm", model.batchnorm},
        {"channels", model.channels}, {"init_gain", model.init_gain}}},
      {"precision",
       {{"mode", precisionModeName(precision.mode)}, {"scaler", scalerFlavourName(s.flavour)},
        {"init_scale", s.init_scale}, {"growth_factor", s.growth_factor},
        {"backoff_factor", s.backoff_factor}, {"growth_interval", s.growth_interval},
        {"min_scale", s.min_scale}, {"max_scale", s.max_scale}, {"hysteresis", s.hysteresis},
        {"consecutive_hysteresis", s.consecutive_hysteresis}, {"raise_at_min", s.raise_at_min},
        {"max_consecutive_skips", precision.max_consecutive_skips}}},
      {"optimizer",
       {{"kind", optimizerKindName(optimizer.kind)}, {"lr", lr}, {"momentum", optimizer.momentum},
        {"nesterov", optimizer.nesterov}, {"dampening", optimizer.dampening},
        {"weight_decay", optimizer.weight_decay}, {"beta1", optimizer.beta1},
        {"beta2", optimizer.beta2}, {"eps", optimizer.eps}}},
      {"schedule",
       {{"kind", scheduleKindName(schedule.kind)}, {"warmup_steps", schedule.warmup_steps},
        {"step_size", schedule.step_size}, {"gamma", schedule.gamma}, {"min_lr", schedule.min_lr}}},
      {"training",
       {{"epochs", training.epochs}, {"batch_size", training.batch_size}, {"seed", training.seed},
        {"max_steps", training.max_steps}, {"eval_every", training.eval_every},
        {"histogram_every", training.histogram_every}, {"loss", training.loss},
        {"loss_weight", training.loss_weight}, {"clip_grad_norm", training.clip_grad_norm},
        {"device", training.device}, {"threads", training.threads},
        {"target_accuracy", training.target_accuracy}}}};
  // A model.layers model is stored as its expanded node list: the store alone re-creates it.
  if (model.preset == "layers")
    j["model"] = {{"preset", "layers"}, {"layers", nodesToJson(model.layers)}, {"init_gain", model.init_gain}};
  return j;
}

std::string RunConfig::toJsonText(int indent) const { return toJson().dump(indent); }

std::vector<ConfigIssue> RunConfig::validate() const {
  std::vector<ConfigIssue> v;
  auto need = [&](bool ok, const char* field, std::string msg) {
    if (!ok) v.push_back({field, std::move(msg)});
  };
  need(kDatasetKinds.count(dataset.kind) > 0, "dataset.kind",
       "unknown dataset '" + cutForMessage(dataset.kind) +
           "' (expected fashion-mnist, mnist, cifar10, image-folder, imdb, csv-text, spirals, moons or blobs)");
  need(dataset.train_limit >= 0, "dataset.train_limit", "must be >= 0 (0 = all samples)");
  need(dataset.test_limit >= 0, "dataset.test_limit", "must be >= 0 (0 = all samples)");
  need(dataset.synthetic_samples >= 10 && dataset.synthetic_samples <= 10'000'000,
       "dataset.synthetic_samples", "must be between 10 and 10,000,000");
  need(dataset.synthetic_classes >= 2 && dataset.synthetic_classes <= 100,
       "dataset.synthetic_classes", "must be between 2 and 100");
  need(dataset.noise >= 0 && dataset.noise <= 10, "dataset.noise", "must be between 0 and 10");
  const bool images = dataset.isImageKind();
  const bool synthetic = !images && !dataset.isTextKind();
  if (synthetic && dataset.path.empty() == false)
    v.push_back({"dataset.path", "synthetic datasets take no path"});
  if ((dataset.kind == "image-folder" || dataset.isTextKind()) && dataset.path.empty())
    v.push_back({"dataset.path", "'" + dataset.kind + "' needs the folder to read (" +
                                     (dataset.kind == "image-folder" ? "holding train/<class>/ and test/<class>/"
                                      : dataset.kind == "imdb" ? "aclImdb, holding train/{pos,neg} and test/{pos,neg}"
                                                               : "holding train.csv and test.csv (or .tsv)") + ")"});
  need(dataset.augment_crop_pad >= 0 && dataset.augment_crop_pad <= 64, "dataset.augment_crop_pad",
       "must be between 0 and 64 pixels (0 = no random crop)");
  if ((dataset.augment_flip || dataset.augment_crop_pad > 0) && !images)
    v.push_back({dataset.augment_flip ? "dataset.augment_flip" : "dataset.augment_crop_pad",
                 "augmentation needs an image dataset (fashion-mnist, mnist, cifar10 or image-folder), not " +
                     cutForMessage(dataset.kind)});
  if ((dataset.augment_flip || dataset.augment_crop_pad > 0) && training.device == "cuda")
    v.push_back({dataset.augment_flip ? "dataset.augment_flip" : "dataset.augment_crop_pad",
                 "augmentation runs in the CPU training loop only; use training.device cpu or auto"});
  need(dataset.vocab_size >= 1 && dataset.vocab_size <= 10'000'000, "dataset.vocab_size",
       "must be between 1 and 10000000 (words kept besides pad 0 and unknown 1)");
  need(dataset.max_len >= 1 && dataset.max_len <= 100'000, "dataset.max_len",
       "must be between 1 and 100000 tokens");
  need(dataset.padding == "pre" || dataset.padding == "post", "dataset.padding",
       "unknown padding '" + cutForMessage(dataset.padding) + "' (expected pre or post)");
  need(dataset.truncating == "pre" || dataset.truncating == "post", "dataset.truncating",
       "unknown truncating '" + cutForMessage(dataset.truncating) + "' (expected pre or post)");

  const PresetInfo* preset_info = findPreset(model.preset);
  const bool layer_list = model.preset == "layers";
  if (layer_list && model.layers.empty()) v.push_back({"model.layers", "needs at least one layer"});
  if (!layer_list && !preset_info) {
    std::string known;
    for (const auto& p : modelPresets()) known += (known.empty() ? "" : ", ") + p.name;
    v.push_back({"model.preset", "unknown preset '" + cutForMessage(model.preset) + "' (expected " + known +
                                     ", or give model.layers)"});
  }
  if (preset_info && preset_info->needs_images && !images)
    v.push_back({"model.preset", "'" + cutForMessage(model.preset) + "' needs an image dataset; use mlp for " + cutForMessage(dataset.kind)});
  for (int h : model.hidden)
    if (h < 1 || h > 65536) { v.push_back({"model.hidden", "every width must be between 1 and 65536"}); break; }
  for (int ch : model.channels)
    if (ch < 1 || ch > 4096) { v.push_back({"model.channels", "every width must be between 1 and 4096"}); break; }
  need(parseActivation(model.activation).has_value(), "model.activation",
       "unknown activation '" + cutForMessage(model.activation) + "' (expected relu, gelu, tanh or sigmoid)");
  need(model.dropout >= 0 && model.dropout < 1, "model.dropout", "must be in [0, 1)");
  need(model.init_gain > 0 && model.init_gain <= 100, "model.init_gain", "must be in (0, 100]");

  // The scaler's own limits (engine/precision), so config and scaler agree.
  for (const ScalerConfigIssue& i : scalerConfigIssues(precision.scaler, true))
    v.push_back({"precision." + i.field, i.rule});
  need(precision.max_consecutive_skips >= 0 && precision.max_consecutive_skips <= 1'000'000'000,
       "precision.max_consecutive_skips",
       "must be between 0 and 1000000000 (skipped steps in a row before a collapsed scale diverges; 0 = never)");

  need(lr > 0 && std::isfinite(lr) && lr <= 100, "optimizer.lr", "must be in (0, 100]");
  need(optimizer.momentum >= 0 && optimizer.momentum < 1, "optimizer.momentum", "must be in [0, 1)");
  need(!optimizer.nesterov || (optimizer.momentum > 0 && optimizer.dampening == 0),
       "optimizer.nesterov", "needs momentum > 0 and dampening 0");
  need(optimizer.dampening >= 0 && optimizer.dampening < 1, "optimizer.dampening", "must be in [0, 1)");
  need(optimizer.weight_decay >= 0 && optimizer.weight_decay < 1, "optimizer.weight_decay", "must be in [0, 1)");
  need(optimizer.beta1 >= 0 && optimizer.beta1 < 1, "optimizer.beta1", "must be in [0, 1)");
  need(optimizer.beta2 >= 0 && optimizer.beta2 < 1, "optimizer.beta2", "must be in [0, 1)");
  need(optimizer.eps > 0, "optimizer.eps", "must be > 0");

  need(schedule.warmup_steps >= 0, "schedule.warmup_steps", "must be >= 0");
  need(schedule.step_size >= 1, "schedule.step_size", "must be >= 1");
  need(schedule.gamma > 0 && schedule.gamma <= 1, "schedule.gamma", "must be in (0, 1]");
  need(schedule.min_lr >= 0 && schedule.min_lr <= lr, "schedule.min_lr", "must be in [0, lr]");

  need(training.epochs >= 1 && training.epochs <= 100000, "training.epochs", "must be between 1 and 100000");
  need(training.batch_size >= 1 && training.batch_size <= 65536, "training.batch_size", "must be between 1 and 65536");
  // The bound keeps the epoch counter (an int) in range at one step per epoch.
  need(training.max_steps >= 0 && training.max_steps <= 1'000'000'000, "training.max_steps",
       "must be between 0 and 1000000000 (0 = epochs decide; otherwise exactly this many steps)");
  need(training.eval_every >= 0, "training.eval_every", "must be >= 0 (0 = once per epoch)");
  need(training.histogram_every >= 0, "training.histogram_every", "must be >= 0 (0 = never)");
  need(std::find(lossNames().begin(), lossNames().end(), training.loss) != lossNames().end(), "training.loss",
       "unknown loss '" + cutForMessage(training.loss) + "' (expected cross-entropy, mse or bce-with-logits)");
  need(training.loss_weight > 0 && std::isfinite(training.loss_weight), "training.loss_weight", "must be > 0");
  need(training.clip_grad_norm >= 0, "training.clip_grad_norm", "must be >= 0 (0 = off)");
  need(training.device == "cpu" || training.device == "cuda" || training.device == "auto",
       "training.device", "unknown device '" + cutForMessage(training.device) + "' (expected cpu, cuda or auto)");
  need(training.threads >= 0 && training.threads <= 256, "training.threads", "must be between 0 and 256");
  need(training.target_accuracy >= 0 && training.target_accuracy <= 1, "training.target_accuracy", "must be in [0, 1]");
  return v;
}

std::string RunConfig::datasetDir() const {
  if (!dataset.path.empty()) return dataset.path;
  if (dataset.kind == "fashion-mnist") return HALFLAB_DEFAULT_DATA_DIR;
  if (dataset.kind == "mnist") return "/usr/share/datasets/mnist";
  return {};
}

bool DatasetConfig::isImageKind() const {
  return kind == "fashion-mnist" || kind == "mnist" || kind == "cifar10" || kind == "image-folder";
}

bool DatasetConfig::isTextKind() const { return kind == "imdb" || kind == "csv-text"; }

std::string RunConfig::displayName() const {
  if (!name.empty()) return name;
  return model.preset + " " + std::string(precisionModeName(precision.mode)) + " seed " +
         std::to_string(training.seed);
}

}  // namespace halflab
