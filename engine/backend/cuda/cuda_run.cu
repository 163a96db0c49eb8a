// runOnCuda: the GPU twin of the CPU RunLoop (engine/train/trainer.cpp). The dataset
// lives on the GPU; each full-batch step is two CUDA graph launches (forward+backward,
// then unscale / scaler / optimizer / record) with no host synchronisation; step
// records come back through pinned memory and a ring of events.
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <sstream>

#include "engine/backend/cuda/cuda_model.cuh"
#include "engine/backend/device.hpp"
#include "engine/data/dataset.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/optim/lr_schedule.hpp"
#include "engine/train/loop_schedule.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/run_config.hpp"
#include "engine/train/training_loop.hpp"

namespace halflab {
namespace cuda {
namespace {

constexpr int kRing = 32;
constexpr int kHistMinExp = kHistogramMinExp, kHistMaxExp = kHistogramMaxExp;
constexpr int kHistBins = kHistogramBins;
constexpr int kHistSlots = kHistBins + 3;

struct HistTensor {
  std::string name, kind;
  Format format;
  const void* ptr;
  DType type;
  std::int64_t per_sample;  // act grads: elements per sample (times the batch); else 0
  std::int64_t size;        // parameters: element count
};

class CudaRunLoop : public StepBackend {
 public:
  CudaRunLoop(const RunConfig& cfg, const DataSplit& data, RunObserver& obs,
              std::atomic<bool>& cancel, std::atomic<bool>& paused, std::int64_t total_steps,
              RunTimer& timer);
  ~CudaRunLoop();
  CudaRunLoop(const CudaRunLoop&) = delete;
  CudaRunLoop& operator=(const CudaRunLoop&) = delete;
  std::int64_t parameterCount() const { return model_->paramCount(); }
  RunSummary train(RunSummary summary, std::int64_t total_steps, std::int64_t steps_per_epoch);
  std::int64_t peakBytes();

  // StepBackend (engine/train/training_loop.hpp): steps are launched asynchronously; their
  // records arrive through the ring, all of them by drain().
  void startEpoch(int epoch, const BatchSampler& sampler) override;
  void trainStep(std::int64_t step, int epoch, std::int64_t b, const std::int64_t* idx, std::int64_t n,
                 bool histogram) override;
  void drain() override { poll(true); }
  bool stopped() const override { return stop_; }
  EvalRecord evaluate(std::int64_t step, int epoch) override;

 private:
  struct Slot {
    std::int64_t step = 0, m = 0;
    int epoch = 0;
    bool hist = false;
    cudaEvent_t start = nullptr, done = nullptr;
  };
  void setUp(std::int64_t total_steps);
  void release() noexcept;
  void enqueueForwardBackward(std::int64_t m);
  void enqueueUpdate(std::int64_t m);
  void enqueueHistograms(std::int64_t m);
  bool captureGraphs();
  void launchStep(std::int64_t step, int epoch, std::int64_t m, bool hist);
  void processSlot(int slot);
  void poll(bool block_all);

  const RunConfig& cfg_;
  const DataSplit& data_;
  RunObserver& obs_;
  std::atomic<bool>& cancel_;
  std::atomic<bool>& paused_;
  RunTimer& timer_;
  PrecisionPolicy policy_;
  bool scaler_enabled_;
  bool mse_;
  std::int64_t batch_, eval_batch_, classes_;
  std::int64_t baseline_used_ = 0, peak_used_ = 0;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CudaModel> model_;
  DeviceBuffer train_x_, train_y_, test_x_, test_y_, order_, labels_, logits32_, state_buf_, lr_table_, hist_dev_;
  PinnedBuffer order_host_, ring_, hist_host_, eval_host_;
  cudaEvent_t order_copied_ = nullptr;
  std::int64_t lr_count_ = 0;
  StepState* state_ = nullptr;
  OptimParams optim_params_{};
  std::vector<HistTensor> hist_tensors_;
  Slot slots_[kRing];
  std::deque<int> pending_;
  cudaGraphExec_t graph_fb_ = nullptr, graph_update_ = nullptr;
  bool use_graphs_ = false;
  std::string graph_note_;

  // Records, events, summary and divergence: the same RunBookkeeper as the CPU loop.
  std::unique_ptr<RunBookkeeper> book_;
  bool stop_ = false;
};

CudaRunLoop::CudaRunLoop(const RunConfig& cfg, const DataSplit& data, RunObserver& obs,
                         std::atomic<bool>& cancel, std::atomic<bool>& paused,
                         std::int64_t total_steps, RunTimer& timer)
    : cfg_(cfg), data_(data), obs_(obs), cancel_(cancel), paused_(paused), timer_(timer),
      policy_(policyFor(cfg.precision.mode)),
      scaler_enabled_(cfg.precision.scaler.flavour != ScalerFlavour::None),
      mse_(cfg.training.loss == "mse"), batch_(cfg.training.batch_size),
      eval_batch_(evaluationBatchSize(cfg)),
      classes_(data.train.num_classes) {
  // A constructor that throws (out of memory, say) gets no destructor call: give the
  // stream, events and graphs back here, or every failed run would leak them.
  try {
    setUp(total_steps);
  } catch (...) {
    release();
    throw;
  }
}

void CudaRunLoop::setUp(std::int64_t total_steps) {
  const RunConfig& cfg = cfg_;
  const DataSplit& data = data_;
  {
    std::size_t free_b = 0, total_b = 0;
    HL_CUDA(cudaMemGetInfo(&free_b, &total_b));
    baseline_used_ = static_cast<std::int64_t>(total_b - free_b);
    memoryTally() = MemoryTally{};
  }
  HL_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  for (auto& s : slots_) {
    HL_CUDA(cudaEventCreate(&s.start));
    HL_CUDA(cudaEventCreate(&s.done));
  }
  HL_CUDA(cudaEventCreateWithFlags(&order_copied_, cudaEventDisableTiming));

  const Dataset& tr = data.train;
  const Dataset& te = data.test;
  const Shape sample = sampleShape(tr);
  // Same model, same initial weights as the CPU trainer (same seed, same factory).
  Graph cpu_model = buildModel(cfg.model, sample, tr.num_classes, cfg.training.seed);
  std::vector<std::int64_t> sizes{batch_, eval_batch_};
  if (tr.count() % batch_) sizes.push_back(tr.count() % batch_);
  if (te.count() % eval_batch_) sizes.push_back(te.count() % eval_batch_);
  model_ = std::make_unique<CudaModel>(cpu_model, cfg.model, sample, policy_, sizes,
                                       cfg.training.seed ^ 0x9E3779B97F4A7C15ull, stream_);
  if (model_->outputClasses() != classes_)
    throw CudaError("model output has " + std::to_string(model_->outputClasses()) + " values, dataset has " +
                    std::to_string(classes_) + " classes");

  auto upload = [&](DeviceBuffer& buf, const void* src, std::size_t bytes, const std::string& what) {
    buf.allocate(bytes, what);
    HL_CUDA(cudaMemcpyAsync(buf.get(), src, bytes, cudaMemcpyHostToDevice, stream_));
  };
  upload(train_x_, tr.inputs.ptr(), tr.inputs.data.size() * 4, "the training set (fp32 on the GPU)");
  upload(train_y_, tr.labels.data(), tr.labels.size() * 4, "the training labels");
  if (te.count() > 0) {
    upload(test_x_, te.inputs.ptr(), te.inputs.data.size() * 4, "the test set");
    upload(test_y_, te.labels.data(), te.labels.size() * 4, "the test labels");
  }
  order_.allocate(static_cast<std::size_t>(tr.count()) * 8, "the epoch's sample order");
  order_host_.allocate(static_cast<std::size_t>(tr.count()) * 8, "the epoch's sample order");
  const std::int64_t max_batch = std::max(batch_, eval_batch_);
  labels_.allocate(static_cast<std::size_t>(max_batch) * 4, "batch labels");
  logits32_.allocate(static_cast<std::size_t>(max_batch * classes_) * 4, "fp32 loss gradient");

  std::vector<double> lrs(static_cast<std::size_t>(total_steps + 1));
  for (std::size_t i = 0; i < lrs.size(); ++i)
    lrs[i] = learningRateAt(cfg.schedule, cfg.lr, static_cast<std::int64_t>(i), total_steps);
  lr_count_ = static_cast<std::int64_t>(lrs.size());
  upload(lr_table_, lrs.data(), lrs.size() * 8, "the learning-rate table");

  state_buf_.allocate(sizeof(StepState), "the step state");
  state_ = state_buf_.as<StepState>();
  StepState init{};
  init.scaler = initialScalerRuleState(cfg.precision.scaler);
  HL_CUDA(cudaMemcpyAsync(state_, &init, sizeof init, cudaMemcpyHostToDevice, stream_));
  const bool store_low = policy_.low_precision() && !policy_.master_weights;
  optim_params_ = optimParamsFrom(cfg.optimizer, cfg.training.clip_grad_norm, store_low);

  ring_.allocate(sizeof(StepDeviceRecord) * kRing, "the step-record ring");
  eval_host_.allocate(sizeof(double) + sizeof(unsigned long long), "evaluation results");

  // Histogram tensors in the CPU order: gradients, weights, activation gradients.
  const auto& ps = model_->params();
  const FlatParams& f = model_->flat();
  const std::size_t low_size = dtypeSize(model_->actType());
  for (const auto& p : ps) {
    const bool low = policy_.low_precision() && !p.keep_fp32;
    hist_tensors_.push_back({p.name, "grad", low ? policy_.compute : Format::FP32,
                             low ? static_cast<const void*>(static_cast<const std::uint8_t*>(f.grad_low) + p.offset * low_size)
                                 : static_cast<const void*>(f.grad32 + p.offset),
                             low ? model_->actType() : DType::F32, 0, p.size});
  }
  for (const auto& p : ps) {
    const bool low = policy_.low_precision() && !p.keep_fp32;
    const Format fmt = (policy_.low_precision() && (!policy_.master_weights || !p.keep_fp32)) ? policy_.compute : Format::FP32;
    hist_tensors_.push_back({p.name, "weight", fmt,
                             low ? static_cast<const void*>(static_cast<const std::uint8_t*>(f.copy) + p.offset * low_size)
                                 : static_cast<const void*>(f.master + p.offset),
                             low ? model_->actType() : DType::F32, 0, p.size});
  }
  // As on the CPU: the input gradient of the first trainable layer is never computed.
  for (std::size_t i = model_->firstTrainableLayer() + 1; i < model_->numLayers(); ++i)
    if (model_->layerHasParams(i))
      hist_tensors_.push_back({model_->layerName(i) + ".input", "act_grad", policy_.compute, model_->gradient(i),
                               model_->actType(), model_->sampleElements(i), 0});
  if (cfg.training.histogram_every > 0) {
    const std::size_t bytes = hist_tensors_.size() * kHistSlots * sizeof(unsigned long long);
    hist_dev_.allocate(bytes, "histogram bins");
    hist_host_.allocate(bytes * kRing, "histogram bins (host ring)");
  }
  HL_CUDA(cudaStreamSynchronize(stream_));  // the host vectors above must outlive the copies
  use_graphs_ = tr.count() >= batch_ && captureGraphs();
}

CudaRunLoop::~CudaRunLoop() { release(); }

void CudaRunLoop::release() noexcept {
  // Nothing here may throw; after a sticky device error these calls just fail quietly.
  if (stream_) (void)cudaStreamSynchronize(stream_);
  if (graph_fb_) (void)cudaGraphExecDestroy(graph_fb_);
  if (graph_update_) (void)cudaGraphExecDestroy(graph_update_);
  for (auto& s : slots_) {
    if (s.start) (void)cudaEventDestroy(s.start);
    if (s.done) (void)cudaEventDestroy(s.done);
  }
  if (order_copied_) (void)cudaEventDestroy(order_copied_);
  model_.reset();
  if (stream_) (void)cudaStreamDestroy(stream_);
  stream_ = nullptr;
  graph_fb_ = graph_update_ = nullptr;
  order_copied_ = nullptr;
  for (auto& s : slots_) s.start = s.done = nullptr;
}

std::int64_t CudaRunLoop::peakBytes() {
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
    peak_used_ = std::max<std::int64_t>(peak_used_, static_cast<std::int64_t>(total_b - free_b) - baseline_used_);
  return std::max<std::int64_t>(peak_used_, memoryTally().peak);
}

void CudaRunLoop::enqueueForwardBackward(std::int64_t m) {
  const Dataset& tr = data_.train;
  const Shape sample = sampleShape(tr);
  const bool image = sample.size() == 3;
  GatherArgs a{train_x_.as<float>(), train_y_.as<std::int32_t>(), order_.as<std::int64_t>(), &state_->cursor,
               0, batch_, m, sample.at(0), image ? sample[1] : 1, image ? sample[2] : 1, image};
  if (!image) a.channels = shapeSize(sample);
  const DType t = model_->actType();
  gatherBatch(a, model_->activation(0), t, labels_.as<std::int32_t>(), stream_);
  model_->forward(m, true, &state_->rng_step);
  const std::size_t L = model_->numLayers();
  float* d32 = t == DType::F32 ? static_cast<float*>(model_->gradient(L)) : logits32_.as<float>();
  const float* scale = scaler_enabled_ ? &state_->scaler.scale : nullptr;
  if (mse_)
    mseOneHot(model_->activation(L), t, labels_.as<std::int32_t>(), m, classes_, scale, cfg_.training.loss_weight,
              d32, &state_->accum.loss_sum, &state_->accum.correct, stream_);
  else
    softmaxCrossEntropy(model_->activation(L), t, labels_.as<std::int32_t>(), m, classes_, scale,
                        cfg_.training.loss_weight, d32, &state_->accum.loss_sum, &state_->accum.correct, stream_);
  if (t != DType::F32) roundCounted(d32, model_->gradient(L), t, m * classes_, &state_->accum.counts, stream_);
  model_->backward(m, &state_->accum.counts);
}

void CudaRunLoop::enqueueUpdate(std::int64_t m) {
  const FlatParams& f = model_->flat();
  unscaleCheckNorm(f, model_->chunks(), model_->numChunks(), scaler_enabled_, state_, stream_);
  stepControl(cfg_.precision.scaler, scaler_enabled_, optim_params_, lr_table_.as<double>(), lr_count_, state_, stream_);
  optimizerUpdate(f, model_->chunks(), model_->numChunks(), optim_params_, state_, stream_);
  finalizeStep(state_, mse_ ? m * classes_ : m, mse_, stream_);
}

void CudaRunLoop::enqueueHistograms(std::int64_t m) {
  zero(hist_dev_.get(), hist_dev_.bytes(), stream_);
  auto* bins = hist_dev_.as<unsigned long long>();
  for (std::size_t i = 0; i < hist_tensors_.size(); ++i) {
    const HistTensor& h = hist_tensors_[i];
    const std::int64_t n = h.per_sample ? h.per_sample * m : h.size;
    log2Histogram(h.ptr, h.type, n, kHistMinExp, kHistBins, bins + i * kHistSlots, stream_);
  }
}

bool CudaRunLoop::captureGraphs() {
  // Relaxed mode: cuBLASLt builds its plans (host work) on first use, inside the capture.
  auto capture = [&](auto&& enqueue, cudaGraphExec_t* exec) {
    HL_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
    cudaGraph_t graph = nullptr;
    try {
      enqueue();
    } catch (...) {
      (void)cudaStreamEndCapture(stream_, &graph);
      if (graph) (void)cudaGraphDestroy(graph);
      (void)cudaGetLastError();
      throw;
    }
    HL_CUDA(cudaStreamEndCapture(stream_, &graph));
    const cudaError_t err = cudaGraphInstantiate(exec, graph, 0);
    (void)cudaGraphDestroy(graph);
    HL_CUDA(err);
  };
  try {
    capture([&] { enqueueForwardBackward(batch_); }, &graph_fb_);
    capture([&] { enqueueUpdate(batch_); }, &graph_update_);
    return true;
  } catch (const std::exception& e) {
    (void)cudaGetLastError();
    if (graph_fb_) { (void)cudaGraphExecDestroy(graph_fb_); graph_fb_ = nullptr; }
    graph_note_ = std::string("CUDA graph capture failed, running the step op by op: ") + e.what();
    return false;
  }
}

void CudaRunLoop::launchStep(std::int64_t step, int epoch, std::int64_t m, bool hist) {
  const int slot = static_cast<int>((step - 1) % kRing);
  while (!pending_.empty() && (pending_.size() >= kRing || pending_.front() == slot)) {
    HL_CUDA(cudaEventSynchronize(slots_[pending_.front()].done));
    const int s = pending_.front();
    pending_.pop_front();
    if (!stop_) processSlot(s);
  }
  Slot& s = slots_[slot];
  s.step = step;
  s.epoch = epoch;
  s.m = m;
  s.hist = hist;
  HL_CUDA(cudaEventRecord(s.start, stream_));
  const bool graphed = use_graphs_ && m == batch_;
  if (graphed) HL_CUDA(cudaGraphLaunch(graph_fb_, stream_));
  else enqueueForwardBackward(m);
  if (hist) enqueueHistograms(m);
  if (graphed) HL_CUDA(cudaGraphLaunch(graph_update_, stream_));
  else enqueueUpdate(m);
  HL_CUDA(cudaMemcpyAsync(ring_.as<StepDeviceRecord>() + slot, &state_->record, sizeof(StepDeviceRecord),
                          cudaMemcpyDeviceToHost, stream_));
  if (hist)
    HL_CUDA(cudaMemcpyAsync(hist_host_.as<unsigned char>() + slot * hist_dev_.bytes(), hist_dev_.get(),
                            hist_dev_.bytes(), cudaMemcpyDeviceToHost, stream_));
  HL_CUDA(cudaEventRecord(s.done, stream_));
  pending_.push_back(slot);
}

void CudaRunLoop::poll(bool block_all) {
  while (!pending_.empty()) {
    const int s = pending_.front();
    if (block_all) {
      HL_CUDA(cudaEventSynchronize(slots_[s].done));
    } else {
      const cudaError_t q = cudaEventQuery(slots_[s].done);
      if (q == cudaErrorNotReady) {
        (void)cudaGetLastError();  // not an error; make sure no later launch check sees it
        return;
      }
      HL_CUDA(q);
    }
    pending_.pop_front();
    if (!stop_) processSlot(s);
  }
}

void CudaRunLoop::processSlot(int slot) {
  const Slot& s = slots_[slot];
  const StepDeviceRecord r = ring_.as<StepDeviceRecord>()[slot];
  if (s.hist) {
    const auto* bins = hist_host_.as<unsigned long long>() + slot * (hist_dev_.bytes() / sizeof(unsigned long long));
    for (std::size_t i = 0; i < hist_tensors_.size(); ++i) {
      const auto* b = bins + i * kHistSlots;
      HistogramRecord h;
      h.step = s.step;
      h.tensor = hist_tensors_[i].name;
      h.kind = hist_tensors_[i].kind;
      h.format = hist_tensors_[i].format;
      h.min_exp = kHistMinExp;
      h.max_exp = kHistMaxExp;
      h.bins.assign(b, b + kHistBins);
      h.zeros = static_cast<std::int64_t>(b[kHistBins]);
      h.infs = static_cast<std::int64_t>(b[kHistBins + 1]);
      h.nans = static_cast<std::int64_t>(b[kHistBins + 2]);
      obs_.onHistogram(h);
    }
  }
  // As on the CPU, whose scaler throws after that step's histograms went out.
  if (r.scaler_error) {
    std::ostringstream msg;
    msg << "deepspeed loss scaler: gradient overflow at step " << s.step
        << " while the loss scale is already at its minimum " << r.scale_before
        << " (min_scale); cannot back off further and raise_at_min is set";
    throw ScalerError(msg.str());
  }
  StepRecord rec;
  rec.step = s.step;
  rec.epoch = s.epoch;
  rec.loss = r.loss;
  rec.scale_before = r.scale_before;
  rec.scale_after = r.scale_after;
  rec.found_inf = r.found_inf != 0;
  rec.skipped = r.skipped != 0;
  rec.growth_tracker = r.growth_tracker;
  rec.hysteresis = r.hysteresis;
  rec.grad_norm = r.grad_norm;
  rec.zero_weight_grads = static_cast<std::int64_t>(r.zero_grads);
  rec.weight_grad_elements = model_->paramCount();
  rec.grad_elements = static_cast<std::int64_t>(r.total);
  rec.underflow = static_cast<std::int64_t>(r.underflow);
  rec.subnormal = static_cast<std::int64_t>(r.subnormal);
  rec.overflow = static_cast<std::int64_t>(r.overflow);
  rec.lr = r.lr;
  if (!rec.skipped) {
    rec.updated_elements = static_cast<std::int64_t>(r.updated);
    rec.stalled_updates = static_cast<std::int64_t>(r.stalled);
  }
  float gpu_ms = 0;
  HL_CUDA(cudaEventElapsedTime(&gpu_ms, s.start, s.done));
  rec.step_time_ms = gpu_ms;
  if (!book_->finishStep(rec, s.m, static_cast<std::int64_t>(r.correct))) stop_ = true;
}

EvalRecord CudaRunLoop::evaluate(std::int64_t step, int epoch) {
  EvalRecord r;  // validation fields; RunBookkeeper::finishEval adds the training ones
  r.step = step;
  r.epoch = epoch;
  const Dataset& te = data_.test;
  const std::int64_t n = te.count();
  zero(&state_->eval_loss_sum, sizeof(double), stream_);
  zero(&state_->eval_correct, sizeof(unsigned long long), stream_);
  const Shape sample = sampleShape(data_.train);
  const bool image = sample.size() == 3;
  const DType t = model_->actType();
  const std::size_t L = model_->numLayers();
  for (std::int64_t start = 0; start < n; start += eval_batch_) {
    const std::int64_t m = std::min(eval_batch_, n - start);
    GatherArgs a{test_x_.as<float>(), test_y_.as<std::int32_t>(), nullptr, nullptr, start, 0, m,
                 image ? sample[0] : shapeSize(sample), image ? sample[1] : 1, image ? sample[2] : 1, image};
    gatherBatch(a, model_->activation(0), t, labels_.as<std::int32_t>(), stream_);
    model_->forward(m, false, &state_->rng_step);
    if (mse_)
      mseOneHot(model_->activation(L), t, labels_.as<std::int32_t>(), m, classes_, nullptr, 1.0, nullptr,
                &state_->eval_loss_sum, &state_->eval_correct, stream_);
    else
      softmaxCrossEntropy(model_->activation(L), t, labels_.as<std::int32_t>(), m, classes_, nullptr, 1.0, nullptr,
                          &state_->eval_loss_sum, &state_->eval_correct, stream_);
  }
  auto* host = eval_host_.as<unsigned char>();
  HL_CUDA(cudaMemcpyAsync(host, &state_->eval_loss_sum, sizeof(double), cudaMemcpyDeviceToHost, stream_));
  HL_CUDA(cudaMemcpyAsync(host + sizeof(double), &state_->eval_correct, sizeof(unsigned long long),
                          cudaMemcpyDeviceToHost, stream_));
  HL_CUDA(cudaStreamSynchronize(stream_));
  double loss_sum = 0;
  unsigned long long correct = 0;
  std::memcpy(&loss_sum, host, sizeof loss_sum);
  std::memcpy(&correct, host + sizeof(double), sizeof correct);
  const double denom = static_cast<double>(n) * (mse_ ? static_cast<double>(classes_) : 1.0);
  r.val_loss = n ? loss_sum / denom : 0;
  r.val_accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
  r.wall_ms = timer_.elapsedMs();
  peakBytes();
  return r;
}

void CudaRunLoop::startEpoch(int, const BatchSampler& sampler) {
  // The previous epoch's order upload must be done before its staging buffer is reused.
  HL_CUDA(cudaEventSynchronize(order_copied_));
  std::int64_t first_n = 0;
  const std::int64_t* order = sampler.batch(0, &first_n);
  const auto count = static_cast<std::size_t>(data_.train.count());
  std::memcpy(order_host_.as<std::int64_t>(), order, count * 8);
  HL_CUDA(cudaMemcpyAsync(order_.get(), order_host_.get(), count * 8, cudaMemcpyHostToDevice, stream_));
  HL_CUDA(cudaEventRecord(order_copied_, stream_));
  zero(&state_->cursor, sizeof(int), stream_);
}

// The batch itself is gathered on the device from the uploaded order (the cursor advances).
void CudaRunLoop::trainStep(std::int64_t step, int epoch, std::int64_t, const std::int64_t*, std::int64_t m,
                            bool hist) {
  launchStep(step, epoch, m, hist);
  poll(false);
}

RunSummary CudaRunLoop::train(RunSummary summary, std::int64_t total_steps, std::int64_t steps_per_epoch) {
  book_ = std::make_unique<RunBookkeeper>(obs_, timer_, bookkeepingRulesFor(cfg_), summary);
  if (!graph_note_.empty()) book_->emitEvent(0, EventKind::Warning, 0, graph_note_);
  runTrainingLoop(cfg_, data_.train, *book_, cancel_, paused_, total_steps, steps_per_epoch, *this);
  // Steps still in flight are recorded unless a record already ended the run (diverged):
  // the CPU loop stops at that step, so later records would not exist there.
  if (summary.status != RunStatus::Diverged) {
    stop_ = false;
    poll(true);
  }
  HL_CUDA(cudaStreamSynchronize(stream_));
  book_->finishTraining();
  summary.peak_memory_bytes = peakBytes();
  book_.reset();
  return summary;
}

}  // namespace
}  // namespace cuda

std::string cudaBackendProblem(const RunConfig& cfg) {
  const DeviceReport r = queryDevices();
  if (r.gpus.empty()) return r.problem;
  // The kernels are built for sm_80 and sm_90 (HALFLAB_CUDA_ARCHS) and use bf16
  // conversions that need compute capability 8.0.
  const GpuInfo& g = r.gpus.front();
  if (g.cc_major < 8)
    return "GPU " + g.name + " has compute capability " + std::to_string(g.cc_major) + "." +
           std::to_string(g.cc_minor) + "; the CUDA backend needs 8.0 or newer (A100, H100, RTX 30xx and later)";
  if (cfg.dataset.isTextKind())
    return "text sets (int32 token inputs) run on the CPU backend only for now";
  if (cfg.model.preset != "layers" && cfg.model.preset != "mlp" && cfg.model.preset != "lenet" &&
      cfg.model.preset != "cifar-cnn")
    return "model.preset '" + cfg.model.preset + "' runs on the CPU backend only for now (the CUDA backend builds mlp, lenet and cifar-cnn)";
  if (cfg.model.preset == "layers")
    return "model.layers models run on the CPU backend only for now (the CUDA backend builds the presets)";
  if (cfg.model.preset != "mlp" && !cuda::cudnnAvailable())
    return "model.preset '" + cfg.model.preset + "' needs cuDNN, which this build of the CUDA backend lacks";
  return "";
}

RunSummary runOnCuda(const RunConfig& cfg, const DataSplit& data, RunInfo info, RunObserver& observer,
                     std::atomic<bool>& cancel, std::atomic<bool>& paused) {
  RunTimer timer;
  RunSummary summary;
  std::unique_ptr<cuda::CudaRunLoop> loop;
  std::int64_t total_steps = 0, steps_per_epoch = 0;
  try {
    HL_CUDA(cudaSetDevice(0));
    HL_CUDA(cudaFree(nullptr));  // creates the context now, so its memory is not counted as ours
    cudaDeviceProp p{};
    HL_CUDA(cudaGetDeviceProperties(&p, 0));
    std::ostringstream dev;
    dev << "cuda:0 " << p.name << " (" << std::fixed;
    dev.precision(1);
    dev << static_cast<double>(p.totalGlobalMem) / 1073741824.0 << " GiB, sm_" << p.major << p.minor << ")";
    info.device = dev.str();
    summary.device = info.device;
    if (data.train.count() == 0) throw DataError("the training set is empty");
    steps_per_epoch = (data.train.count() + cfg.training.batch_size - 1) / cfg.training.batch_size;
    total_steps = plannedSteps(cfg.training, steps_per_epoch);
    loop = std::make_unique<cuda::CudaRunLoop>(cfg, data, observer, cancel, paused, total_steps, timer);
    info.parameter_count = loop->parameterCount();
  } catch (const std::exception& e) {
    loop.reset();
    observer.onRunStarted(info);
    return failRun(observer, summary, RunStatus::Failed, e.what(), timer);
  }
  info.total_steps = total_steps;
  info.steps_per_epoch = steps_per_epoch;
  announceRun(observer, info, timer);
  try {
    summary = loop->train(summary, total_steps, steps_per_epoch);
  } catch (const std::exception& e) {
    loop.reset();
    return failRun(observer, summary, RunStatus::Failed, std::string("engine error: ") + e.what(), timer);
  }
  loop.reset();
  finishRun(observer, summary, timer);
  return summary;
}

}  // namespace halflab
