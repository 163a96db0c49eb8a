#include "engine/backend/cuda/tools/parity_checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/backend/cuda/cuda_kernels.cuh"
#include "engine/backend/cuda/cuda_model.cuh"
#include "engine/backend/device.hpp"
#include "engine/data/dataset.hpp"
#include "engine/model/loss.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/train/trainer.hpp"

namespace halflab::gpucheck {
namespace {

using namespace halflab::cuda;
using halflab::cuda::DType;  // the device storage type, not the host tensor's element type

std::string noGpuReason() {
  const DeviceReport r = queryDevices();
  return r.gpus.empty() ? r.problem : "";
}

CheckResult skipped(std::string name, std::string why) {
  CheckResult c;
  c.name = std::move(name);
  c.skipped = true;
  c.detail = std::move(why);
  return c;
}

double relError(const std::vector<float>& gpu, const std::vector<float>& cpu) {
  if (gpu.size() != cpu.size()) return INFINITY;
  double max_ref = 0, max_diff = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(cpu[i])));
    const double d = std::fabs(static_cast<double>(gpu[i]) - cpu[i]);
    if (!(d <= max_diff)) max_diff = std::isnan(d) ? INFINITY : d;
  }
  return max_diff / std::max(max_ref, 1e-30);
}

double toleranceFor(PrecisionMode m) {
  switch (m) {
    case PrecisionMode::FP32: return 1e-4;
    case PrecisionMode::TF32: return 2e-2;
    case PrecisionMode::BF16Amp: return 8e-2;
    default: return 3e-2;
  }
}

// The CPU trainer's parameter preparation (RunLoop::prepareParameters).
void prepareCpuParameters(Graph& model, const PrecisionPolicy& policy) {
  for (auto* p : model.parameters()) {
    if (!policy.master_weights && policy.low_precision()) {
      roundBuffer(policy.compute, p->value.ptr(), p->value.data.size());
      p->value.format = policy.compute;
    }
    if (policy.master_weights && !p->keep_fp32) {
      p->copy = Tensor(p->value.shape, 0.0f, policy.compute);
      roundCopy(policy.compute, p->value.ptr(), p->copy.ptr(), p->value.data.size());
    }
    p->grad = Tensor(p->value.shape);
  }
}

struct Case {
  std::string label;
  ModelConfig model;
  Shape sample;
  int classes;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* act : {"relu", "gelu", "tanh", "sigmoid"}) {
    ModelConfig m;
    m.preset = "mlp";
    m.hidden = {64, 32};
    m.activation = act;
    out.push_back({std::string("mlp-") + act, m, {20}, 5});
  }
  ModelConfig bn;
  bn.preset = "mlp";
  bn.hidden = {48};
  bn.batchnorm = true;
  out.push_back({"mlp-batchnorm", bn, {20}, 5});
  if (cudnnAvailable()) {
    ModelConfig lenet;
    lenet.preset = "lenet";
    out.push_back({"lenet", lenet, {1, 28, 28}, 10});
    ModelConfig cifar;
    cifar.preset = "cifar-cnn";
    cifar.channels = {8, 16};
    out.push_back({"cifar-cnn", cifar, {3, 16, 16}, 10});
  }
  return out;
}

CheckResult opParityCase(const Case& c, PrecisionMode mode) {
  CheckResult res;
  res.name = "ops " + c.label + " " + std::string(precisionModeName(mode));
  const PrecisionPolicy policy = policyFor(mode);
  const std::int64_t n = 32;
  const double scale = mode == PrecisionMode::FP16Amp || mode == PrecisionMode::FP16Pure ? 1024.0 : 1.0;

  // Deterministic batch, already exact in the compute format.
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Shape batch_shape{n};
  batch_shape.insert(batch_shape.end(), c.sample.begin(), c.sample.end());
  Tensor x(batch_shape);
  for (auto& v : x.data) v = normal(rng);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (auto& l : labels) l = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(c.classes));

  // CPU reference.
  Graph cpu = buildModel(c.model, c.sample, c.classes, 3);
  prepareCpuParameters(cpu, policy);
  ExecContext ctx;
  ctx.policy = policy;
  ctx.roundOutput(x);
  Tensor dlogits;
  cpu.forward(x, ctx);
  softmaxCrossEntropy(cpu.output(), labels, scale, &dlogits, ctx);
  cpu.backward(dlogits, ctx);

  // GPU: same weights (CudaModel copies them from the CPU model before it trained).
  Graph fresh = buildModel(c.model, c.sample, c.classes, 3);
  cudaStream_t stream = nullptr;
  HL_CUDA(cudaStreamCreate(&stream));
  struct StreamGuard {
    cudaStream_t s;
    ~StreamGuard() { (void)cudaStreamSynchronize(s); (void)cudaStreamDestroy(s); }
  } guard{stream};
  CudaModel gpu(fresh, c.model, c.sample, policy, {n}, 11, stream);
  DeviceBuffer dx(x.data.size() * 4, "check input"), dy(labels.size() * 4, "check labels");
  DeviceBuffer misc(64, "check scalars"), d32(static_cast<std::size_t>(n * c.classes) * 4, "check dlogits");
  DeviceBuffer counts(sizeof(RoundCounters), "check counters");
  // The ungathered input must stay the fp32 original: gatherBatch does the rounding.
  Tensor x_raw(batch_shape);
  {  // the same stream of normals as x above (fresh engine, fresh distribution)
    std::mt19937_64 r1(7);
    std::normal_distribution<float> n1(0.0f, 1.0f);
    for (auto& v : x_raw.data) v = n1(r1);
  }
  HL_CUDA(cudaMemcpy(dx.get(), x_raw.ptr(), x_raw.data.size() * 4, cudaMemcpyHostToDevice));
  HL_CUDA(cudaMemcpy(dy.get(), labels.data(), labels.size() * 4, cudaMemcpyHostToDevice));
  const float scale32 = static_cast<float>(scale);
  HL_CUDA(cudaMemset(misc.get(), 0, 64));
  HL_CUDA(cudaMemcpy(misc.get(), &scale32, 4, cudaMemcpyHostToDevice));
  HL_CUDA(cudaMemset(counts.get(), 0, sizeof(RoundCounters)));
  const bool image = c.sample.size() == 3;
  GatherArgs a{dx.as<float>(), dy.as<std::int32_t>(), nullptr, nullptr, 0, 0, n,
               image ? c.sample[0] : shapeSize(c.sample), image ? c.sample[1] : 1, image ? c.sample[2] : 1, image};
  const DType t = gpu.actType();
  DeviceBuffer labels_out(labels.size() * 4, "check gathered labels");
  gatherBatch(a, gpu.activation(0), t, labels_out.as<std::int32_t>(), stream);
  auto* rng_step = reinterpret_cast<unsigned long long*>(misc.as<unsigned char>() + 8);
  auto* loss_sum = reinterpret_cast<double*>(misc.as<unsigned char>() + 16);
  auto* correct = reinterpret_cast<unsigned long long*>(misc.as<unsigned char>() + 24);
  gpu.forward(n, true, rng_step);
  const std::size_t L = gpu.numLayers();
  float* g32 = t == DType::F32 ? static_cast<float*>(gpu.gradient(L)) : d32.as<float>();
  softmaxCrossEntropy(gpu.activation(L), t, labels_out.as<std::int32_t>(), n, c.classes, misc.as<float>(), 1.0,
                      g32, loss_sum, correct, stream);
  if (t != DType::F32) roundCounted(g32, gpu.gradient(L), t, n * c.classes, counts.as<RoundCounters>(), stream);
  gpu.backward(n, counts.as<RoundCounters>());
  HL_CUDA(cudaStreamSynchronize(stream));

  const double tol = toleranceFor(mode);
  double worst = 0;
  std::string worst_name = "-";
  auto compare = [&](const std::string& what, const std::vector<float>& g, const std::vector<float>& ref) {
    const double e = relError(g, ref);
    if (!(e <= worst)) { worst = e; worst_name = what; }
  };
  for (std::size_t i = 0; i < L; ++i) {
    compare(gpu.layerName(i) + " output", gpu.downloadActivation(i + 1, n, false), cpu.activation(i + 1).data);
    // Neither backend computes the gradient below the first layer with parameters.
    if (i > gpu.firstTrainableLayer())
      compare(gpu.layerName(i) + " input grad", gpu.downloadActivation(i, n, true), cpu.inputGradient(i).data);
  }
  const auto cps = cpu.parameters();
  for (std::size_t p = 0; p < cps.size(); ++p)
    compare(cps[p]->name + " grad", gpu.downloadParam(p, true), cps[p]->grad.data);
  std::ostringstream d;
  d << "worst " << worst_name << ": rel err " << worst << " (tolerance " << tol << ")";
  // The rounding counters: the same elements are rounded on both backends. Underflow and
  // subnormal counts may differ by the few values whose fp32 sums (accumulated in another
  // order) sit on a rounding boundary. cuDNN rounds conv gradients itself, so a conv
  // model's underflows are invisible to the GPU counters: only totals are compared there.
  RoundCounters gc{};
  HL_CUDA(cudaMemcpy(&gc, counts.get(), sizeof gc, cudaMemcpyDeviceToHost));
  const RoundingCounts& cc = ctx.grad_counts;
  const bool has_conv = c.model.preset != "mlp";
  auto near = [](long long a, long long b) { return std::llabs(a - b) <= 4 + std::max(a, b) / 200; };
  const bool counts_ok = static_cast<long long>(gc.total) == cc.total &&
                         (has_conv || (near(static_cast<long long>(gc.underflow), cc.underflow) &&
                                       near(static_cast<long long>(gc.subnormal), cc.subnormal) &&
                                       near(static_cast<long long>(gc.overflow), cc.overflow)));
  d << "; rounded gradient elements cpu " << cc.total << " gpu " << gc.total << ", underflow " << cc.underflow
    << "/" << gc.underflow << ", subnormal " << cc.subnormal << "/" << gc.subnormal << ", overflow " << cc.overflow
    << "/" << gc.overflow;
  res.passed = worst <= tol && counts_ok;
  res.detail = d.str();
  return res;
}

struct Recorder : RunObserver {
  std::vector<StepRecord> steps;
  RunSummary summary;
  void onStep(const StepRecord& r) override { steps.push_back(r); }
  void onRunFinished(const RunSummary& s) override { summary = s; }
};

RunConfig baseConfig(const std::string& extra_json) {
  nlohmann::json j = nlohmann::json::parse(R"({"dataset":{"kind":"spirals","synthetic_samples":4000},
      "model":{"preset":"mlp","hidden":[64,64]},"training":{"batch_size":64,"epochs":100,
      "histogram_every":0,"eval_every":0}})");
  if (std::filesystem::exists(std::string(HALFLAB_DEFAULT_DATA_DIR) + "/train-images-idx3-ubyte.gz")) {
    j["dataset"] = {{"kind", "fashion-mnist"}, {"train_limit", 20000}, {"test_limit", 1000}};
    j["model"]["hidden"] = {256, 128};
  }
  j.merge_patch(nlohmann::json::parse(extra_json));
  return RunConfig::fromJson(j);
}

RunInfo infoFor(const RunConfig& cfg) {
  RunInfo info;
  info.name = cfg.displayName();
  info.precision_mode = std::string(precisionModeName(cfg.precision.mode));
  info.seed = cfg.training.seed;
  return info;
}

struct BothRuns {
  Recorder cpu, gpu;
};

BothRuns runBoth(const RunConfig& cfg) {
  BothRuns b;
  auto data = loadDataFor(cfg);
  Trainer t(cfg);
  t.setData(data);
  t.run(b.cpu);
  std::atomic<bool> cancel{false}, paused{false};
  runOnCuda(cfg, *data, infoFor(cfg), b.gpu, cancel, paused);
  return b;
}

}  // namespace

std::vector<CheckResult> opParity() {
  std::vector<CheckResult> out;
  const std::string why = noGpuReason();
  for (const auto& c : cases())
    for (auto mode : {PrecisionMode::FP32, PrecisionMode::TF32, PrecisionMode::FP16Amp, PrecisionMode::BF16Amp,
                      PrecisionMode::FP16Pure}) {
      const std::string name = "ops " + c.label + " " + std::string(precisionModeName(mode));
      if (!why.empty()) { out.push_back(skipped(name, why)); continue; }
      try {
        out.push_back(opParityCase(c, mode));
      } catch (const std::exception& e) {
        CheckResult r;
        r.name = name;
        r.detail = std::string("error: ") + e.what();
        out.push_back(r);
      }
    }
  return out;
}

CheckResult fp32LossCurve(int steps) {
  const std::string name = "mlp fp32 loss curve, " + std::to_string(steps) + " steps";
  if (const auto why = noGpuReason(); !why.empty()) return skipped(name, why);
  CheckResult r;
  r.name = name;
  try {
    const RunConfig cfg = baseConfig(R"({"precision":{"mode":"fp32"},"training":{"max_steps":)" +
                                     std::to_string(steps) + "}}");
    const BothRuns b = runBoth(cfg);
    if (b.gpu.summary.status != RunStatus::Completed) {
      r.detail = "GPU run " + std::string(runStatusName(b.gpu.summary.status)) + ": " + b.gpu.summary.error;
      return r;
    }
    if (b.cpu.steps.size() != b.gpu.steps.size()) {
      r.detail = "step counts differ: cpu " + std::to_string(b.cpu.steps.size()) + ", gpu " + std::to_string(b.gpu.steps.size());
      return r;
    }
    double worst = 0;
    std::int64_t at = 0;
    for (std::size_t i = 0; i < b.cpu.steps.size(); ++i) {
      const double e = std::fabs(b.gpu.steps[i].loss - b.cpu.steps[i].loss) / std::max(std::fabs(b.cpu.steps[i].loss), 1e-12);
      if (!(e <= worst)) { worst = e; at = b.cpu.steps[i].step; }
    }
    r.passed = worst <= 1e-3;
    std::ostringstream d;
    d << "max relative loss difference " << worst << " at step " << at << " (limit 1e-3); final loss cpu "
      << b.cpu.steps.back().loss << " gpu " << b.gpu.steps.back().loss;
    r.detail = d.str();
  } catch (const std::exception& e) {
    r.detail = std::string("error: ") + e.what();
  }
  return r;
}

std::vector<CheckResult> scalerTraces(int steps) {
  std::vector<CheckResult> out;
  const std::string why = noGpuReason();
  for (const char* flavour : {"static", "pytorch", "apex", "tf-keras", "deepspeed", "megatron"}) {
    const std::string name = std::string("fp16-amp overflow trace, scaler ") + flavour;
    if (!why.empty()) { out.push_back(skipped(name, why)); continue; }
    CheckResult r;
    r.name = name;
    try {
      const RunConfig cfg = baseConfig(std::string(R"({"precision":{"mode":"fp16-amp","scaler":{"flavour":")") + flavour +
                                       R"(","init_scale":1099511627776.0,"growth_interval":25}},"training":{"max_steps":)" +
                                       std::to_string(steps) + "}}");
      const BothRuns b = runBoth(cfg);
      std::ostringstream d;
      bool same = b.cpu.steps.size() == b.gpu.steps.size();
      std::int64_t skipped_cpu = 0, skipped_gpu = 0;
      for (std::size_t i = 0; same && i < b.cpu.steps.size(); ++i) {
        const auto& c = b.cpu.steps[i];
        const auto& g = b.gpu.steps[i];
        skipped_cpu += c.skipped;
        skipped_gpu += g.skipped;
        if (c.found_inf != g.found_inf || c.skipped != g.skipped || c.scale_after != g.scale_after ||
            c.growth_tracker != g.growth_tracker || c.hysteresis != g.hysteresis) {
          same = false;
          d << "first difference at step " << c.step << ": cpu found_inf " << c.found_inf << " scale " << c.scale_after
            << ", gpu found_inf " << g.found_inf << " scale " << g.scale_after;
        }
      }
      if (same) d << skipped_cpu << " skipped steps on both, final scale " << (b.cpu.steps.empty() ? 0.0 : b.cpu.steps.back().scale_after);
      else if (b.cpu.steps.size() != b.gpu.steps.size())
        d << "step counts differ: cpu " << b.cpu.steps.size() << ", gpu " << b.gpu.steps.size() << " (" << b.gpu.summary.error << ")";
      r.passed = same && skipped_cpu > 0;
      if (same && skipped_cpu == 0) d << " (the script was meant to overflow: it did not)";
      (void)skipped_gpu;
      r.detail = d.str();
    } catch (const std::exception& e) {
      r.detail = std::string("error: ") + e.what();
    }
    out.push_back(r);
  }
  return out;
}

CheckResult outOfMemoryIsAnError() {
  const std::string name = "out of GPU memory becomes a failed run";
  if (const auto why = noGpuReason(); !why.empty()) return skipped(name, why);
  CheckResult r;
  r.name = name;
  try {
    // 784 x 2^26 x 4 bytes of weights alone: ~200 GiB, more than any single GPU holds.
    const RunConfig cfg = baseConfig(R"({"model":{"hidden":[67108864]},"training":{"max_steps":2}})");
    auto data = loadDataFor(cfg);
    Recorder rec;
    std::atomic<bool> cancel{false}, paused{false};
    const RunSummary s = runOnCuda(cfg, *data, infoFor(cfg), rec, cancel, paused);
    r.passed = s.status == RunStatus::Failed && s.error.find("out of GPU memory") != std::string::npos;
    r.detail = std::string(runStatusName(s.status)) + ": " + s.error;
  } catch (const std::exception& e) {
    r.detail = std::string("threw instead of failing the run: ") + e.what();
  }
  return r;
}

std::vector<BenchRow> benchCuda(const std::vector<std::string>& models, const std::vector<std::string>& modes,
                                long long batch, int steps, int warmup) {
  std::vector<BenchRow> rows;
  for (const auto& model : models)
    for (const auto& mode : modes) {
      BenchRow row;
      row.model = model;
      row.mode = mode;
      row.batch = batch;
      try {
        // "mlp4096": the GEMM-bound MLP (784-4096-4096-10) of the issue's benchmark.
        const bool wide = model == "mlp4096";
        nlohmann::json j = {{"model", wide ? nlohmann::json{{"preset", "mlp"}, {"hidden", {4096, 4096}}}
                                           : nlohmann::json{{"preset", model}}},
                            {"precision", {{"mode", mode}}},
                            {"training", {{"batch_size", batch}, {"max_steps", steps + warmup}, {"epochs", 1000},
                                          {"histogram_every", 0}, {"eval_every", 1000000000}}},
                            {"dataset", {{"kind", "fashion-mnist"}, {"test_limit", 1}}}};
        if (!std::filesystem::exists(std::string(HALFLAB_DEFAULT_DATA_DIR) + "/train-images-idx3-ubyte.gz"))
          throw std::runtime_error(std::string("Fashion-MNIST not found in ") + HALFLAB_DEFAULT_DATA_DIR +
                                   " (gpu-check.sh --pack-deps carries it; configure with -DHALFLAB_FASHION_MNIST_DIR)");
        const RunConfig cfg = RunConfig::fromJson(j);
        auto data = loadDataFor(cfg);
        Recorder rec;
        std::atomic<bool> cancel{false}, paused{false};
        const RunSummary s = runOnCuda(cfg, *data, infoFor(cfg), rec, cancel, paused);
        row.status = runStatusName(s.status);
        if (s.status != RunStatus::Completed) row.status += ": " + s.error;
        // Full batches only: the epoch's last, shorter batch would flatter the median.
        std::vector<double> ms;
        for (std::size_t i = static_cast<std::size_t>(warmup); i < rec.steps.size(); ++i) {
          const StepRecord& r = rec.steps[i];
          const double samples = r.samples_per_s * r.step_time_ms / 1000.0;
          if (std::llround(samples) == batch) ms.push_back(r.step_time_ms);
        }
        if (!ms.empty()) {
          std::sort(ms.begin(), ms.end());
          row.step_ms = ms[ms.size() / 2];
          row.samples_per_s = 1000.0 * static_cast<double>(batch) / row.step_ms;
        }
        row.memory_mib = static_cast<double>(s.peak_memory_bytes) / 1048576.0;
      } catch (const std::exception& e) {
        row.status = std::string("error: ") + e.what();
      }
      rows.push_back(row);
    }
  return rows;
}

std::vector<CheckResult> allChecks() {
  std::vector<CheckResult> out = opParity();
  out.push_back(fp32LossCurve());
  for (auto& r : scalerTraces()) out.push_back(r);
  out.push_back(outOfMemoryIsAnError());
  return out;
}

}  // namespace halflab::gpucheck
