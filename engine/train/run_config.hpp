#pragma once
// The one configuration schema of a run (JSON), shared by the CLI, the GUI and storage.
// fromJson() fills defaults and validates; problems name the field ("optimizer.lr: ...").
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/model_config.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/precision/loss_scaler.hpp"
#include "engine/precision/precision_mode.hpp"
#include "engine/record/run_bookkeeper.hpp"

namespace halflab {

struct ConfigIssue {
  std::string field;    // dotted path, e.g. "training.batch_size"
  std::string message;  // what is wrong and what is allowed
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  ConfigError(std::string field, std::string message)
      : ConfigError(std::vector<ConfigIssue>{{std::move(field), std::move(message)}}) {}
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

struct DatasetConfig {
  // fashion-mnist | mnist | cifar10 | image-folder | imdb | csv-text | spirals | moons | blobs
  std::string kind = "fashion-mnist";
  std::string path;                    // folder; empty = default for the kind
  std::int64_t train_limit = 0;        // 0 = all samples
  std::int64_t test_limit = 0;
  std::int64_t synthetic_samples = 3000;
  int synthetic_classes = 3;
  double noise = 0.1;
  bool normalize = true;
  // Image sets, training batches only (engine/data/image_augment.hpp).
  bool augment_flip = false;
  int augment_crop_pad = 0;            // pixels, 0 = no random crop
  // Text sets (imdb, csv-text; engine/data/text/).
  std::int64_t vocab_size = 20000;     // most frequent training words kept (ids 2.., plus pad 0 and unknown 1)
  std::int64_t max_len = 256;          // tokens per sample after padding / truncating
  std::string padding = "pre";         // pre | post (Keras pad_sequences)
  std::string truncating = "pre";      // pre | post
  bool cache = true;                   // keep tokenized sets in cache_dir
  std::string cache_dir;               // empty = $XDG_CACHE_HOME/halflab/tokens (or ~/.cache/...)

  bool isImageKind() const;            // [N, C, H, W] float inputs
  bool isTextKind() const;             // int32 token inputs
};

// Every dataset kind a run config accepts, in the order a chooser lists them.
const std::vector<std::string>& datasetKindNames();

struct PrecisionConfig {
  PrecisionMode mode = PrecisionMode::FP32;
  ScalerConfig scaler;                 // flavour defaults to the mode's default
  // Skipped steps in a row after which a dynamic scale stuck at its floor ends the run as
  // diverged, and a static scale gets a warning; 0 = neither.
  std::int64_t max_consecutive_skips = kDefaultMaxConsecutiveSkips;
};

struct TrainingConfig {
  int epochs = 1;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 1;
  std::int64_t max_steps = 0;          // > 0: exactly this many steps, epochs ignored; 0 = epochs * steps per epoch
  std::int64_t eval_every = 0;         // 0 = once per epoch
  std::int64_t histogram_every = 50;   // 0 = never
  std::string loss = "cross-entropy";  // cross-entropy | mse
  double loss_weight = 1.0;            // multiplies the loss (tiny-gradient lessons)
  double clip_grad_norm = 0.0;         // 0 = off
  std::string device = "cpu";          // cpu | cuda | auto
  int threads = 0;                     // BLAS threads, 0 = all cores (a run stores the number it used)
  double target_accuracy = 0.85;       // for time-to-target in the summary
};

struct RunConfig {
  std::string name;
  DatasetConfig dataset;
  ModelConfig model;
  PrecisionConfig precision;
  OptimizerConfig optimizer;
  double lr = 1e-3;
  ScheduleConfig schedule;
  TrainingConfig training;

  // Parses and validates; throws ConfigError listing every problem.
  static RunConfig fromJson(const nlohmann::json& j);
  static RunConfig fromJsonText(const std::string& text);
  static RunConfig fromFile(const std::string& path);
  nlohmann::json toJson() const;
  std::string toJsonText(int indent = 2) const;
  // Every problem with the current values (empty = valid).
  std::vector<ConfigIssue> validate() const;
  // The folder the dataset is read from (path, or the default for the kind).
  std::string datasetDir() const;
  std::string displayName() const;  // name, or "<model> <mode> seed N"
};

// The divergence and event rules both training loops apply to this run.
inline BookkeepingRules bookkeepingRulesFor(const RunConfig& cfg) {
  BookkeepingRules r;
  r.scaler = cfg.precision.scaler;
  r.max_consecutive_skips = cfg.precision.max_consecutive_skips;
  r.step_schedule = cfg.schedule.kind == ScheduleKind::Step;
  r.target_accuracy = cfg.training.target_accuracy;
  return r;
}

// The steps a run trains (both loops): max_steps when set (as many epochs as that takes,
// the last one possibly partial), else epochs full epochs.
inline std::int64_t plannedSteps(const TrainingConfig& t, std::int64_t steps_per_epoch) {
  return t.max_steps > 0 ? t.max_steps : steps_per_epoch * t.epochs;
}

}  // namespace halflab
