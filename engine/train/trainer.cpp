#include "engine/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/backend/device.hpp"
#if HALFLAB_WITH_CUDA
#include "engine/backend/cuda/cuda_run.hpp"
#endif
#include "engine/data/image_augment.hpp"
#include "engine/data/image_folder.hpp"
#include "engine/data/loaders.hpp"
#include "engine/model/loss.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/optim/optimizer.hpp"
#include "engine/record/run_bookkeeper.hpp"
#include "engine/stats/histogram.hpp"
#include "engine/train/loop_schedule.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/text_data.hpp"
#include "engine/train/training_loop.hpp"

namespace halflab {

namespace {

using Clock = RunClock;

// One pass over every gradient: unscale in place (fp32 multiply by 1/S), find any
// non-finite value, and accumulate the squared norm. g - g is 0 for finite g and NaN
// otherwise, so one sum finds them all without a branch in the loop.
struct UnscaleResult {
  bool found_inf = false;
  double norm = 0;
  std::int64_t zeros = 0;     // elements that were exactly zero before unscaling
  std::int64_t elements = 0;
};

UnscaleResult unscaleCheckAndNorm(const std::vector<Parameter*>& params, float inv_scale) {
  float probe = 0.0f;
  double sq = 0;
  std::int64_t zeros = 0, elements = 0;
  for (auto* p : params) {
    float* g = p->grad.ptr();
    const std::size_t n = p->grad.data.size();
    // Blocks of fp32 partial sums, added up in double: fast and accurate enough for a norm.
    constexpr std::size_t kBlock = 4096;
    for (std::size_t start = 0; start < n; start += kBlock) {
      const std::size_t end = std::min(n, start + kBlock);
      float acc = 0.0f, block_sq = 0.0f;
      int block_zeros = 0;
      for (std::size_t i = start; i < end; ++i) {
        block_zeros += g[i] == 0.0f;
        const float v = g[i] * inv_scale;
        g[i] = v;
        acc += v - v;
        block_sq += v * v;
      }
      probe += acc;
      sq += static_cast<double>(block_sq);
      zeros += block_zeros;
    }
    elements += static_cast<std::int64_t>(n);
    p->grad.format = Format::FP32;
  }
  UnscaleResult r;
  r.found_inf = !(probe == 0.0f);
  r.norm = r.found_inf ? std::numeric_limits<double>::infinity() : std::sqrt(sq);
  r.zeros = zeros;
  r.elements = elements;
  return r;
}

}  // namespace

std::shared_ptr<const DataSplit> loadDataFor(const RunConfig& cfg) {
  auto split = std::make_shared<DataSplit>();
  const auto& d = cfg.dataset;
  const std::uint64_t seed = cfg.training.seed;
  if (d.isTextKind()) {
    // [N, T] int32 token ids with their lengths; no normalisation, no augmentation.
    TokenizedSplit text = loadTextFor(cfg);
    split->train = tokenDataset(std::move(text.train));
    split->test = tokenDataset(std::move(text.test));
    // Length-aware ops take a sample's real steps to be [0, length): post-padding. With
    // pre-padding (Keras' default) the pads come first, so the model reads every step, as a
    // Keras model without masking does.
    if (d.padding != "post") {
      split->train.lengths.clear();
      split->test.lengths.clear();
    }
    return split;
  }
  if (d.kind == "fashion-mnist" || d.kind == "mnist") {
    *split = loadIdxFolder(cfg.datasetDir(), d.kind);
  } else if (d.kind == "cifar10") {
    if (cfg.datasetDir().empty())
      throw DataError("dataset.path: CIFAR-10 needs the folder holding data_batch_1.bin .. test_batch.bin");
    *split = loadCifar10Folder(cfg.datasetDir());
  } else if (d.kind == "image-folder") {
    *split = std::move(loadImageFolder(cfg.datasetDir()).split);
  } else {
    // Synthetic sets: 80% for training, 20% for testing, both drawn from the same shapes.
    const auto n = d.synthetic_samples;
    *split = makeSyntheticSplit(d.kind, n * 4 / 5, n - n * 4 / 5, d.synthetic_classes, d.noise, seed);
  }
  truncateDataset(split->train, d.train_limit);
  truncateDataset(split->test, d.test_limit);
  if (d.normalize) {
    const auto stats = channelStats(split->train);
    normalizeChannels(split->train, stats);
    normalizeChannels(split->test, stats);
  }
  return split;
}

Trainer::Trainer(RunConfig cfg) : cfg_(std::move(cfg)) {
  auto issues = cfg_.validate();
  if (!issues.empty()) throw ConfigError(std::move(issues));
}

Trainer::~Trainer() = default;

void Trainer::setData(std::shared_ptr<const DataSplit> data) {
  data_ = std::move(data);
  prepared_ = false;
  prepare_error_ = nullptr;
}

void Trainer::prepare() {
  if (prepare_error_) std::rethrow_exception(prepare_error_);
  if (prepared_) return;
  try {
    if (!data_) data_ = loadDataFor(cfg_);
    if (data_->train.count() == 0) throw DataError("the training set is empty");
    const ModelPlan plan = planModelFor(cfg_, sampleShape(data_->train), data_->train.num_classes);
    // A GPU run keeps activations on the device, whose allocator reports a shortage itself.
    if (cfg_.training.device == "cpu" || queryDevices().gpus.empty())
      requireMemoryFor(hostMemoryEstimate(cfg_, plan));
    prepared_ = true;
  } catch (...) {
    prepare_error_ = std::current_exception();
    throw;
  }
}

namespace {

// Everything one run needs while it trains; split out of Trainer::run to keep each piece
// readable.
class RunLoop : public StepBackend {
 public:
  RunLoop(const RunConfig& cfg, const DataSplit& data, RunObserver& obs,
          std::atomic<bool>& cancel, std::atomic<bool>& paused)
      : cfg_(cfg), data_(data), obs_(obs), cancel_(cancel), paused_(paused),
        policy_(policyFor(cfg.precision.mode)), scaler_(cfg.precision.scaler),
        optimizer_(Optimizer::create(cfg.optimizer)) {
    plan_ = planModelFor(cfg, sampleShape(data.train), data.train.num_classes);
    model_ = buildModel(plan_, cfg.model.init_gain, cfg.training.seed);
    params_ = model_.parameters();
    ctx_.policy = policy_;
    ctx_.rng.seed(cfg.training.seed ^ 0x9E3779B97F4A7C15ull);
    prepareParameters();
  }

  std::int64_t parameterCount() const {
    std::int64_t n = 0;
    for (auto* p : params_) n += p->value.size();
    return n;
  }

  RunSummary train(RunSummary summary, RunTimer& timer, std::int64_t total_steps,
                   std::int64_t steps_per_epoch);

  // StepBackend: each step runs to completion here.
  void trainStep(std::int64_t step, int epoch, std::int64_t b, const std::int64_t* idx, std::int64_t n,
                 bool histogram) override;
  bool stopped() const override { return stopped_; }
  EvalRecord evaluate(std::int64_t step, int epoch) override;
  // A Warning event at step 0 (e.g. why device auto did not use the GPU).
  void setStartNote(std::string note) { start_note_ = std::move(note); }

 private:
  void prepareParameters();
  void refreshWorkingCopies();
  void emitHistograms(std::int64_t step);
  std::int64_t memoryBytes() const;

  const RunConfig& cfg_;
  const DataSplit& data_;
  RunObserver& obs_;
  std::atomic<bool>& cancel_;
  std::atomic<bool>& paused_;
  PrecisionPolicy policy_;
  LossScaler scaler_;
  std::unique_ptr<Optimizer> optimizer_;
  ModelPlan plan_;
  Graph model_;
  std::vector<Parameter*> params_;
  std::vector<OptimParam> optim_params_;
  ExecContext ctx_;
  Tensor x_, dlogits_;
  std::vector<std::int32_t> y_;
  const RunTimer* timer_ = nullptr;
  RunBookkeeper* book_ = nullptr;  // during train()
  std::int64_t total_steps_ = 0, applied_ = 0;
  bool stopped_ = false;
  std::string start_note_;
  const Format store_format_ = policy_.master_weights ? Format::FP32 : policy_.compute;
  ImageAugmentation augmentation_{cfg_.dataset.augment_flip, cfg_.dataset.augment_crop_pad};
};

void RunLoop::prepareParameters() {
  for (auto* p : params_) {
    const bool low_copy = policy_.master_weights && !p->keep_fp32;
    if (!policy_.master_weights && policy_.low_precision()) {
      // fp16-pure: the stored weights themselves are low-format.
      roundBuffer(policy_.compute, p->value.ptr(), p->value.data.size());
      p->value.format = policy_.compute;
    }
    if (low_copy) p->copy = Tensor(p->value.shape, 0.0f, policy_.compute);
    p->grad = Tensor(p->value.shape);
    optim_params_.push_back({p->value.ptr(), p->grad.ptr(), p->value.data.size(), p->decay});
  }
  refreshWorkingCopies();
}

void RunLoop::refreshWorkingCopies() {
  for (auto* p : params_)
    if (!p->copy.data.empty())
      roundCopy(policy_.compute, p->value.ptr(), p->copy.ptr(), p->value.data.size());
}

std::int64_t RunLoop::memoryBytes() const {
  // Computed from element counts (docs/ARCHITECTURE.md 2.1): what the same run would hold on a device.
  return estimateMemory(plan_, cfg_.training.batch_size, cfg_.training.batch_size, deviceElementSizes(cfg_)).total;
}

void RunLoop::emitHistograms(std::int64_t step) {
  auto emit = [&](const std::string& name, const char* kind, const Tensor& t) {
    if (t.data.empty()) return;
    auto h = makeLog2Histogram(kHistogramMinExp, kHistogramMaxExp);
    accumulateLog2Histogram(t.ptr(), t.data.size(), h);
    HistogramRecord r;
    r.step = step;
    r.tensor = name;
    r.kind = kind;
    r.format = t.format;
    r.min_exp = h.min_exp;
    r.max_exp = h.max_exp;
    r.bins = std::move(h.bins);
    r.zeros = h.zeros;
    r.infs = h.infs;
    r.nans = h.nans;
    obs_.onHistogram(r);
  };
  // Gradients as stored by the backward pass: low-format and still scaled, which is
  // exactly what can underflow or overflow.
  for (auto* p : params_) emit(p->name, "grad", p->grad);
  for (auto* p : params_) emit(p->name, "weight", p->compute());
  // The gradient each trainable node receives at its input (empty where no parameter
  // lies upstream of it, e.g. at the first one).
  const auto& ops = model_.ops();
  for (std::size_t i = 1; i < ops.size(); ++i)
    if (!ops[i]->parameters().empty())
      emit(ops[i]->name() + ".input", "act_grad", model_.inputGradient(i));

  // The ghost beside them: the same backward pass (same forward, weights and loss scale)
  // kept in FP32, i.e. the gradients before any rounding to the low format: what that
  // format loses ("grad_fp32", "act_grad_fp32"). A rounded zero propagates, so rounding
  // only at the end would not do: in FP16 without scaling every weight gradient below the
  // last layer is computed from zeros. Histogram steps only; an FP32 run has no ghost.
  if (!policy_.low_precision()) return;
  ExecContext fp32 = ctx_;
  fp32.policy.compute = Format::FP32;
  fp32.policy.gemm_input = Format::FP32;
  std::vector<Tensor> stored;  // the low-format gradients the step goes on with
  stored.reserve(params_.size());
  for (auto* p : params_) stored.push_back(p->grad);
  const double scale = scaler_.enabled() ? static_cast<double>(scaler_.scale()) : 1.0;
  const double grad_scale = scale * cfg_.training.loss_weight;
  const Tensor& out = model_.output();
  Tensor dlogits;
  computeLoss(cfg_.training.loss, out, y_, grad_scale, &dlogits, fp32);
  model_.backward(dlogits, fp32);
  for (auto* p : params_) emit(p->name, "grad_fp32", p->grad);
  for (std::size_t i = 1; i < ops.size(); ++i)
    if (!ops[i]->parameters().empty())
      emit(ops[i]->name() + ".input", "act_grad_fp32", model_.inputGradient(i));
  // Back to the stored gradients, in place: the optimizer holds pointers to these buffers.
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Tensor& g = params_[i]->grad;
    std::copy(stored[i].data.begin(), stored[i].data.end(), g.data.begin());
    g.format = stored[i].format;
  }
}

EvalRecord RunLoop::evaluate(std::int64_t step, int epoch) {
  EvalRecord r;  // validation fields; RunBookkeeper::finishEval adds the training ones
  r.step = step;
  r.epoch = epoch;
  const Dataset& test = data_.test;
  const std::int64_t n = test.count();
  const std::int64_t batch = evaluationBatchSize(cfg_);
  ctx_.training = false;
  double loss_sum = 0;
  std::int64_t correct = 0;
  std::vector<std::int64_t> idx;
  Tensor x;
  std::vector<std::int32_t> y;
  for (std::int64_t start = 0; start < n; start += batch) {
    const std::int64_t m = std::min(batch, n - start);
    idx.resize(static_cast<std::size_t>(m));
    for (std::int64_t i = 0; i < m; ++i) idx[i] = start + i;
    gatherBatch(test, idx.data(), m, x, y, &ctx_.lengths);
    ctx_.roundOutput(x);
    const Tensor& out = model_.forward(x, ctx_);
    const RoundingCounts saved = ctx_.grad_counts;
    const auto res = computeLoss(cfg_.training.loss, out, y, 1.0, nullptr, ctx_);
    ctx_.grad_counts = saved;
    loss_sum += res.loss * static_cast<double>(m);
    correct += res.correct;
  }
  ctx_.training = true;
  r.val_loss = n ? loss_sum / static_cast<double>(n) : 0;
  r.val_accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  r.wall_ms = timer_->elapsedMs();
  return r;
}

void RunLoop::trainStep(std::int64_t step, int epoch, std::int64_t, const std::int64_t* idx, std::int64_t m,
                        bool hist_step) {
  const auto& tc = cfg_.training;
  const auto ts = Clock::now();
  gatherBatch(data_.train, idx, m, x_, y_, &ctx_.lengths);
  if (!x_.isTokenIds()) augmentBatch(x_, augmentation_, tc.seed, step);
  ctx_.roundOutput(x_);  // the input is an activation too
  ctx_.grad_counts = {};

  const Tensor& out = model_.forward(x_, ctx_);
  const double scale = scaler_.enabled() ? static_cast<double>(scaler_.scale()) : 1.0;
  const auto res = computeLoss(tc.loss, out, y_, scale * tc.loss_weight, &dlogits_, ctx_);
  model_.backward(dlogits_, ctx_);
  if (hist_step) emitHistograms(step);

  const float inv = scaler_.enabled() ? scaler_.inverseScale() : 1.0f;
  const UnscaleResult unscaled = unscaleCheckAndNorm(params_, inv);
  StepRecord rec;
  rec.step = step;
  rec.epoch = epoch;
  rec.loss = res.loss;
  const ScalerStep st = scaler_.update(unscaled.found_inf);
  rec.scale_before = st.scale_before;
  rec.scale_after = st.scale_after;
  rec.found_inf = st.found_inf;
  rec.skipped = st.skipped;
  rec.growth_tracker = st.growth_tracker;
  rec.hysteresis = st.hysteresis;
  rec.grad_norm = unscaled.norm;
  rec.zero_weight_grads = unscaled.zeros;
  rec.weight_grad_elements = unscaled.elements;
  rec.grad_elements = ctx_.grad_counts.total;
  rec.underflow = ctx_.grad_counts.underflow;
  rec.subnormal = ctx_.grad_counts.subnormal;
  rec.overflow = ctx_.grad_counts.overflow;
  rec.lr = learningRateAt(cfg_.schedule, cfg_.lr, applied_, total_steps_);
  if (!st.skipped) {
    if (tc.clip_grad_norm > 0 && rec.grad_norm > tc.clip_grad_norm) {
      const float f = static_cast<float>(tc.clip_grad_norm / (rec.grad_norm + 1e-6));
      for (auto* p : params_)
        for (auto& g : p->grad.data) g *= f;
    }
    const UpdateCounts uc = optimizer_->step(optim_params_, rec.lr, store_format_);
    rec.updated_elements = uc.updated;
    rec.stalled_updates = uc.stalled;
    refreshWorkingCopies();
    ++applied_;
  }
  rec.step_time_ms = msSince(ts);
  if (!book_->finishStep(rec, m, res.correct)) stopped_ = true;
}

RunSummary RunLoop::train(RunSummary summary, RunTimer& timer, std::int64_t total_steps,
                          std::int64_t steps_per_epoch) {
  timer_ = &timer;
  total_steps_ = total_steps;
  RunBookkeeper book(obs_, timer, bookkeepingRulesFor(cfg_), summary);
  book_ = &book;
  if (!start_note_.empty()) book.emitEvent(0, EventKind::Warning, 0, start_note_);
  runTrainingLoop(cfg_, data_.train, book, cancel_, paused_, total_steps, steps_per_epoch, *this);
  book.finishTraining();
  book_ = nullptr;
  summary.peak_memory_bytes = memoryBytes();
  return summary;
}

}  // namespace

std::string unusableDeviceReason(const RunConfig& cfg) {
  if (cfg.training.device != "cuda") return {};
#if HALFLAB_WITH_CUDA
  const std::string problem = cudaBackendProblem(cfg);
#else
  const std::string problem = queryDevices().problem;
#endif
  return problem;
}

RunSummary Trainer::run(RunObserver& observer) {
  RunTimer timer;
  RunSummary summary;
  RunInfo info;
  info.name = cfg_.displayName();
  // The thread count sets OpenBLAS's reduction order, so it changes the results: the
  // stored config holds the number actually used (0 resolved to all cores), and
  // re-running a stored run's config reproduces it bit for bit.
  cpu::setThreadCount(cfg_.training.threads);
  RunConfig used = cfg_;
  used.training.threads = cpu::threadCount();
  info.config_json = used.toJsonText(-1);
  info.precision_mode = std::string(precisionModeName(cfg_.precision.mode));
  info.device = "cpu (" + std::to_string(cpu::threadCount()) + " threads)";
  info.seed = cfg_.training.seed;
  info.started_ms = unixMs();
  summary.device = info.device;

  auto fail = [&](RunStatus status, const std::string& error) {
    return failRun(observer, summary, status, error, timer);
  };

  std::unique_ptr<RunLoop> loop;
  std::int64_t total_steps = 0, steps_per_epoch = 0;
  // Augmentation lives in the CPU loop only: "auto" stays on the CPU (validate() refuses "cuda").
  const bool augments = cfg_.dataset.augment_flip || cfg_.dataset.augment_crop_pad > 0;
  if (cfg_.training.device != "cpu" && !augments) {
#if HALFLAB_WITH_CUDA
    // The CUDA twin of this loop takes the run when a usable GPU supports the config.
    if (cudaBackendProblem(cfg_).empty()) {
      try {
        if (!data_) data_ = loadDataFor(cfg_);
      } catch (const std::exception& e) {
        observer.onRunStarted(info);
        return fail(RunStatus::Failed, e.what());
      }
      return runOnCuda(cfg_, *data_, info, observer, cancel_, paused_);
    }
#endif
    // Only "auto" may fall back: a run that asked for the GPU and silently got the CPU
    // would store CPU timings as GPU ones.
    if (const std::string reason = unusableDeviceReason(cfg_); !reason.empty()) {
      observer.onRunStarted(info);
      return fail(RunStatus::Failed, "training.device is cuda, but " + reason +
                                         " (use cpu, or auto to fall back to the CPU)");
    }
  }
  // device auto with a GPU that cannot take this run: the CPU trains it, and the run says why.
  // (Without CUDA there is never a GPU to explain.)
  std::string fallback_note;
#if HALFLAB_WITH_CUDA
  if (cfg_.training.device == "auto" && !queryDevices().gpus.empty()) {
    const std::string problem = augments ? "augmentation runs in the CPU loop only" : cudaBackendProblem(cfg_);
    if (!problem.empty()) fallback_note = "device auto: training on the CPU, because " + problem;
  }
#endif
  try {
    prepare();
    steps_per_epoch = (data_->train.count() + cfg_.training.batch_size - 1) / cfg_.training.batch_size;
    total_steps = plannedSteps(cfg_.training, steps_per_epoch);
    loop = std::make_unique<RunLoop>(cfg_, *data_, observer, cancel_, paused_);
    loop->setStartNote(fallback_note);
    info.parameter_count = loop->parameterCount();
  } catch (const std::exception& e) {
    observer.onRunStarted(info);
    return fail(RunStatus::Failed, e.what());
  }
  info.total_steps = total_steps;
  info.steps_per_epoch = steps_per_epoch;
  announceRun(observer, info, timer);

  try {
    summary = loop->train(summary, timer, total_steps, steps_per_epoch);
  } catch (const std::exception& e) {
    return fail(RunStatus::Failed, std::string("engine error: ") + e.what());
  }
  finishRun(observer, summary, timer);
  return summary;
}


}  // namespace halflab
