#include "engine/backend/cuda/cuda_model.cuh"

#include <algorithm>
#include <cstring>

#include "engine/model/activation.hpp"
#include "engine/model/batch_norm.hpp"
#include "engine/model/conv2d.hpp"
#include "engine/model/dropout.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/linear.hpp"
#include "engine/model/max_pool2d.hpp"

namespace halflab::cuda {

enum class Kind { Linear, Conv, Pool, Flatten, Act, Dropout, BatchNorm };

struct CudaModel::DevLayer {
  Kind kind;
  std::string name;
  int w = -1, b = -1;
  std::int64_t in_f = 0, out_f = 0;
  ConvShape conv{};
  std::unique_ptr<ConvRunner> runner;
  std::int64_t k = 0, stride = 0;
  ActivationKind act = ActivationKind::ReLU;
  double p = 0, momentum = 0.1, eps = 1e-5;
  std::uint64_t dropout_seed = 0;
  DeviceBuffer rmean, rvar, smean, sinv, mask, argmax;
};

namespace {

// The layers' geometry is private on the CPU side; it is recovered from outputShape()
// over a range of input sizes, which pins (kernel, stride, padding) down uniquely.
bool probeConv(halflab::Layer& l, std::int64_t in_c, std::int64_t k, std::int64_t& stride, std::int64_t& pad) {
  for (std::int64_t s = 1; s <= 8; ++s)
    for (std::int64_t p = 0; p <= k; ++p) {
      bool all = true;
      for (std::int64_t h = k + 8; h <= k + 40 && all; ++h) {
        const Shape o = l.outputShape({1, in_c, h, h});
        all = o.at(2) == (h + 2 * p - k) / s + 1;
      }
      if (all) { stride = s; pad = p; return true; }
    }
  return false;
}

bool probePool(halflab::Layer& l, std::int64_t& k, std::int64_t& stride) {
  for (std::int64_t kk = 1; kk <= 8; ++kk)
    for (std::int64_t s = 1; s <= 8; ++s) {
      bool all = true;
      for (std::int64_t h = 16; h <= 56 && all; ++h)
        all = l.outputShape({1, 1, h, h}).at(2) == (h - kk) / s + 1;
      if (all) { k = kk; stride = s; return true; }
    }
  return false;
}

float hostToF32(const std::uint8_t* p, DType t) {
  if (t == DType::F32) { float f; std::memcpy(&f, p, 4); return f; }
  std::uint16_t b;
  std::memcpy(&b, p, 2);
  return t == DType::F16 ? fp16BitsToFp32(b) : bf16BitsToFp32(b);
}

}  // namespace

std::string unsupportedLayerReason(Graph& model) {
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& l = model.ops()[i];
    if (model.inputsOf(i) != std::vector<int>{static_cast<int>(i)})
      return "layer " + l->name() + ": the GPU backend runs chains only (this node does not read the previous one)";
    halflab::Layer* raw = dynamic_cast<halflab::Layer*>(l.get());
    if (!raw) return "layer " + l->name() + ": no CUDA implementation";
    if (dynamic_cast<Conv2d*>(raw) && !cudnnAvailable())
      return "layer " + l->name() + ": convolutions need cuDNN, which this build does not have";
    if (dynamic_cast<MaxPool2d*>(raw)) {
      std::int64_t k = 0, s = 0;
      if (!probePool(*raw, k, s) || k > s)
        return "layer " + l->name() + ": only non-overlapping max pooling (kernel <= stride) runs on the GPU";
    }
    if (!dynamic_cast<Linear*>(raw) && !dynamic_cast<Conv2d*>(raw) && !dynamic_cast<MaxPool2d*>(raw) &&
        !dynamic_cast<Flatten*>(raw) && !dynamic_cast<Activation*>(raw) && !dynamic_cast<Dropout*>(raw) &&
        !dynamic_cast<BatchNorm*>(raw))
      return "layer " + l->name() + ": no CUDA implementation";
  }
  return "";
}

CudaModel::CudaModel(Graph& cpu, const ModelConfig& mc, const Shape& sample_shape,
                     const PrecisionPolicy& policy, const std::vector<std::int64_t>& batch_sizes,
                     std::uint64_t seed, cudaStream_t stream)
    : policy_(policy), act_type_(dtypeFor(policy.compute)), stream_(stream), seed_(seed) {
  const std::string why = unsupportedLayerReason(cpu);
  if (!why.empty()) throw CudaError(why);
  const auto act_kind = parseActivation(mc.activation).value_or(ActivationKind::ReLU);
  const std::int64_t max_batch = *std::max_element(batch_sizes.begin(), batch_sizes.end());
  const bool tf32 = policy.gemm_input == Format::TF32;
  const bool low = policy.low_precision();
  gemm_ = std::make_unique<GemmRunner>(tf32, std::size_t{32} << 20);

  // Layers, per-sample shapes and the parameter table (CPU parameter order).
  sample_shapes_.push_back(sample_shape);
  std::vector<Parameter*> cpu_params;
  for (const auto& op : cpu.ops()) {
    auto d = std::make_unique<DevLayer>();
    d->name = op->name();
    halflab::Layer* raw = dynamic_cast<halflab::Layer*>(op.get());  // unsupportedLayerReason: never null
    halflab::Layer* l = raw;
    const Shape& in = sample_shapes_.back();
    Shape batched{1};
    batched.insert(batched.end(), in.begin(), in.end());
    Shape out = l->outputShape(batched);
    out.erase(out.begin());
    auto addParams = [&](bool conv_weight) {
      auto ps = l->parameters();
      for (std::size_t j = 0; j < ps.size(); ++j) {
        DevParam p;
        p.name = ps[j]->name;
        p.shape = ps[j]->value.shape;
        p.size = ps[j]->value.size();
        // Every parameter starts on a 128-element (256-byte) boundary: cuBLASLt picks its
        // kernels for 256-byte-aligned operands, and cuDNN's NHWC tensor-core
        // convolutions need at least 16-byte-aligned filters.
        p.offset = padded_params_;
        p.decay = ps[j]->decay;
        p.keep_fp32 = ps[j]->keep_fp32;
        p.conv_weight = conv_weight && j == 0;
        total_params_ += p.size;
        padded_params_ += (p.size + 127) / 128 * 128;
        (j == 0 ? d->w : d->b) = static_cast<int>(params_.size());
        params_.push_back(p);
        cpu_params.push_back(ps[j]);
      }
    };
    if (auto* lin = dynamic_cast<Linear*>(raw)) {
      (void)lin;
      d->kind = Kind::Linear;
      addParams(false);
      d->out_f = params_[d->w].shape.at(0);
      d->in_f = params_[d->w].shape.at(1);
    } else if (dynamic_cast<Conv2d*>(raw)) {
      d->kind = Kind::Conv;
      addParams(true);
      const Shape& ws = params_[d->w].shape;  // OIHW
      std::int64_t s = 0, p = 0;
      if (!probeConv(*raw, ws.at(1), ws.at(2), s, p))
        throw CudaError("layer " + d->name + ": cannot determine the convolution's stride and padding");
      d->conv = {in.at(0), in.at(1), in.at(2), ws.at(0), ws.at(2), s, p};
      d->runner = std::make_unique<ConvRunner>(d->conv, act_type_, tf32);
    } else if (dynamic_cast<MaxPool2d*>(raw)) {
      d->kind = Kind::Pool;
      probePool(*raw, d->k, d->stride);
      const std::int64_t out_elems = max_batch * shapeSize(out);
      if (max_batch * shapeSize(in) > 0x7FFFFFFF)
        throw CudaError("layer " + d->name + ": the batch is too large for 32-bit pooling indices");
      d->argmax.allocate(static_cast<std::size_t>(out_elems) * 4, d->name + " argmax");
    } else if (dynamic_cast<Flatten*>(raw)) {
      d->kind = Kind::Flatten;
    } else if (dynamic_cast<Activation*>(raw)) {
      d->kind = Kind::Act;
      d->act = act_kind;
    } else if (dynamic_cast<Dropout*>(raw)) {
      d->kind = Kind::Dropout;
      d->p = mc.dropout;
      // A seed per layer: with one shared seed, element i of every dropout layer would get
      // the same random bits in a step (correlated masks).
      d->dropout_seed = seed_ + 0x9E3779B97F4A7C15ull * (layers_.size() + 1);
      d->mask.allocate(static_cast<std::size_t>(max_batch * shapeSize(in)), d->name + " mask");
    } else if (auto* bn = dynamic_cast<BatchNorm*>(raw)) {
      d->kind = Kind::BatchNorm;
      d->momentum = bn->momentum();
      d->eps = bn->eps();
      addParams(false);
      const std::int64_t c = in.at(0);
      d->rmean.allocate(sizeof(float) * c, d->name + " running mean");
      d->rvar.allocate(sizeof(float) * c, d->name + " running var");
      d->smean.allocate(sizeof(float) * c, d->name + " batch mean");
      d->sinv.allocate(sizeof(float) * c, d->name + " batch inv std");
      HL_CUDA(cudaMemcpyAsync(d->rmean.get(), bn->runningMean().data(), sizeof(float) * c, cudaMemcpyHostToDevice, stream));
      HL_CUDA(cudaMemcpyAsync(d->rvar.get(), bn->runningVar().data(), sizeof(float) * c, cudaMemcpyHostToDevice, stream));
    }
    sample_shapes_.push_back(out);
    layers_.push_back(std::move(d));
  }
  for (const auto& s : sample_shapes_) sample_elems_.push_back(shapeSize(s));
  first_trainable_ = layers_.size();
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i]->w >= 0) { first_trainable_ = i; break; }

  // Flat parameter arrays. Host copies in the device layout (conv weights OIHW -> KRSC).
  const auto P = static_cast<std::size_t>(padded_params_);
  std::vector<float> host(P, 0.0f);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const DevParam& p = params_[i];
    const float* src = cpu_params[i]->value.ptr();
    float* dst = host.data() + p.offset;
    if (p.conv_weight) {
      const std::int64_t O = p.shape[0], I = p.shape[1], K = p.shape[2];
      for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t c = 0; c < I; ++c)
          for (std::int64_t y = 0; y < K; ++y)
            for (std::int64_t x = 0; x < K; ++x)
              dst[((o * K + y) * K + x) * I + c] = src[((o * I + c) * K + y) * K + x];
    } else {
      std::copy(src, src + p.size, dst);
    }
  }
  // fp16-pure keeps no master: the stored weights themselves are fp16 values.
  if (low && !policy.master_weights) roundBuffer(policy.compute, host.data(), host.size());
  master_.allocate(P * 4, "fp32 master weights");
  grad32_.allocate(P * 4, "fp32 gradients");
  state_m_.allocate(P * 4, "optimizer state (momentum / Adam m)");
  state_v_.allocate(P * 4, "optimizer state (Adam v)");
  HL_CUDA(cudaMemcpyAsync(master_.get(), host.data(), P * 4, cudaMemcpyHostToDevice, stream));
  zero(grad32_.get(), P * 4, stream);
  zero(state_m_.get(), P * 4, stream);
  zero(state_v_.get(), P * 4, stream);
  if (low) {
    copy_.allocate(P * dtypeSize(act_type_), "low-format working weights");
    grad_low_.allocate(P * dtypeSize(act_type_), "low-format gradients");
    convert(master_.get(), DType::F32, copy_.get(), act_type_, padded_params_, stream);
    zero(grad_low_.get(), grad_low_.bytes(), stream);
  }
  flat_ = {master_.as<float>(), copy_.get(), grad_low_.get(), grad32_.as<float>(),
           state_m_.as<float>(), state_v_.as<float>(), act_type_};

  std::vector<ChunkDesc> chunks;
  for (const auto& p : params_)
    for (std::int64_t s = 0; s < p.size; s += kChunkElements) {
      const bool copy = low && !p.keep_fp32;
      chunks.push_back({p.offset + s, static_cast<std::int32_t>(std::min<std::int64_t>(kChunkElements, p.size - s)),
                        static_cast<std::uint8_t>(copy), static_cast<std::uint8_t>(p.decay),
                        static_cast<std::uint8_t>(copy)});
    }
  num_chunks_ = static_cast<int>(chunks.size());
  chunks_dev_.allocate(chunks.size() * sizeof(ChunkDesc), "the multi-tensor chunk table");
  HL_CUDA(cudaMemcpyAsync(chunks_dev_.get(), chunks.data(), chunks.size() * sizeof(ChunkDesc),
                          cudaMemcpyHostToDevice, stream));

  // Activations and their gradients for the largest batch; fp32 gradient staging.
  std::int64_t max_elems = 0;
  for (std::size_t i = 0; i < sample_elems_.size(); ++i) {
    const auto bytes = static_cast<std::size_t>(max_batch * sample_elems_[i]) * dtypeSize(act_type_);
    acts_.emplace_back(bytes, "activations of " + (i == 0 ? std::string("the input") : layers_[i - 1]->name));
    grads_.emplace_back(bytes, "activation gradients of " + (i == 0 ? std::string("the input") : layers_[i - 1]->name));
    max_elems = std::max(max_elems, max_batch * sample_elems_[i]);
  }
  for (const auto& p : params_) max_elems = std::max(max_elems, p.size);
  scratch32_.allocate(static_cast<std::size_t>(max_elems) * 4, "fp32 gradient staging");
  std::size_t ws = 0;
  for (auto& l : layers_)
    if (l->runner)
      for (auto n : batch_sizes) ws = std::max(ws, l->runner->prepare(n));
  if (ws) conv_ws_.allocate(ws, "the cuDNN workspace");
  HL_CUDA(cudaStreamSynchronize(stream));  // host vectors above must outlive the copies
}

CudaModel::~CudaModel() = default;

std::string CudaModel::layerName(std::size_t i) const { return layers_.at(i)->name; }
bool CudaModel::layerHasParams(std::size_t i) const { return layers_.at(i)->w >= 0; }

const void* CudaModel::weightFor(const DevParam& p) const {
  if (policy_.low_precision() && !p.keep_fp32)
    return static_cast<const std::uint8_t*>(copy_.get()) + p.offset * dtypeSize(act_type_);
  return master_.as<float>() + p.offset;
}

void* CudaModel::gradTargetFor(const DevParam& p) const {
  if (policy_.low_precision() && !p.keep_fp32)
    return static_cast<std::uint8_t*>(grad_low_.get()) + p.offset * dtypeSize(act_type_);
  return grad32_.as<float>() + p.offset;
}

float* CudaModel::scratchFor(void* final_dst) const {
  return act_type_ == DType::F32 ? static_cast<float*>(final_dst) : scratch32_.as<float>();
}

void CudaModel::finishGradient(const float* g32, void* dst, std::int64_t n, RoundCounters* counts) {
  if (act_type_ != DType::F32) roundCounted(g32, dst, act_type_, n, counts, stream_);
}

void CudaModel::forward(std::int64_t n, bool training, const unsigned long long* rng_step) {
  const DType t = act_type_;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    DevLayer& l = *layers_[i];
    void* x = acts_[i].get();
    void* y = acts_[i + 1].get();
    const Shape& in = sample_shapes_[i];
    const std::size_t bytes = static_cast<std::size_t>(n * sample_elems_[i]) * dtypeSize(t);
    switch (l.kind) {
      case Kind::Linear:
        gemm_->gemm(false, true, n, l.out_f, l.in_f, x, weightFor(params_[l.w]), t, y, t,
                    weightFor(params_[l.b]), 0.0f, stream_);
        break;
      case Kind::Conv: {
        const std::int64_t rows = n * l.conv.outH() * l.conv.outW();
        broadcastRows(weightFor(params_[l.b]), y, t, rows, l.conv.out_c, stream_);
        l.runner->forward(n, x, weightFor(params_[l.w]), y, 1.0f, conv_ws_.get(), conv_ws_.bytes(), stream_);
        break;
      }
      case Kind::Pool:
        maxPoolForward(x, y, l.argmax.as<std::int32_t>(), t, n, in.at(1), in.at(2), in.at(0), l.k, l.stride, stream_);
        break;
      case Kind::Flatten:
        if (in.size() == 3) nhwcToNchw(x, y, t, n, in[0], in[1] * in[2], stream_);
        else HL_CUDA(cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, stream_));
        break;
      case Kind::Act:
        activationForward(l.act, x, y, t, n * sample_elems_[i], stream_);
        break;
      case Kind::Dropout:
        if (training && l.p > 0)
          dropoutForward(x, y, l.mask.as<std::uint8_t>(), t, n * sample_elems_[i], l.p, l.dropout_seed, rng_step,
                         stream_);
        else
          HL_CUDA(cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, stream_));
        break;
      case Kind::BatchNorm: {
        const std::int64_t c = in.at(0), rows = n * (sample_elems_[i] / c);
        batchNormForward(x, y, t, rows, c, master_.as<float>() + params_[l.w].offset,
                         master_.as<float>() + params_[l.b].offset, l.rmean.as<float>(), l.rvar.as<float>(),
                         l.smean.as<float>(), l.sinv.as<float>(), training, l.momentum, l.eps, stream_);
        break;
      }
    }
  }
}

void CudaModel::backward(std::int64_t n, RoundCounters* counts) {
  const DType t = act_type_;
  // Nothing below the first trainable layer needs a gradient (same rule as the CPU).
  for (std::size_t i = layers_.size(); i-- > first_trainable_;) {
    DevLayer& l = *layers_[i];
    const void* x = acts_[i].get();
    const void* y = acts_[i + 1].get();
    const void* dy = grads_[i + 1].get();
    void* dx = i > first_trainable_ ? grads_[i].get() : nullptr;
    const Shape& in = sample_shapes_[i];
    const std::int64_t in_elems = n * sample_elems_[i];
    const std::size_t in_bytes = static_cast<std::size_t>(in_elems) * dtypeSize(t);
    switch (l.kind) {
      case Kind::Linear: {
        const DevParam& w = params_[l.w];
        const DevParam& b = params_[l.b];
        void* gw = gradTargetFor(w);
        gemm_->gemm(true, false, l.out_f, l.in_f, n, dy, x, t, scratchFor(gw), DType::F32, nullptr, 0.0f, stream_);
        finishGradient(scratchFor(gw), gw, w.size, counts);
        void* gb = gradTargetFor(b);
        sumRows(dy, t, n, l.out_f, scratchFor(gb), stream_);
        finishGradient(scratchFor(gb), gb, b.size, counts);
        if (dx) {
          gemm_->gemm(false, false, n, l.in_f, l.out_f, dy, weightFor(w), t, scratchFor(dx), DType::F32, nullptr, 0.0f, stream_);
          finishGradient(scratchFor(dx), dx, in_elems, counts);
        }
        break;
      }
      case Kind::Conv: {
        const DevParam& w = params_[l.w];
        const DevParam& b = params_[l.b];
        void* gw = gradTargetFor(w);
        l.runner->backwardFilter(n, x, dy, gw, conv_ws_.get(), conv_ws_.bytes(), stream_);
        countRounded(gw, t, w.size, counts, stream_);
        void* gb = gradTargetFor(b);
        sumRows(dy, t, n * l.conv.outH() * l.conv.outW(), l.conv.out_c, scratchFor(gb), stream_);
        finishGradient(scratchFor(gb), gb, b.size, counts);
        if (dx) {
          l.runner->backwardData(n, weightFor(w), dy, dx, conv_ws_.get(), conv_ws_.bytes(), stream_);
          countRounded(dx, t, in_elems, counts, stream_);
        }
        break;
      }
      case Kind::Pool:
        if (dx) {
          zero(dx, in_bytes, stream_);
          maxPoolBackward(dy, l.argmax.as<std::int32_t>(), dx, t, n * sample_elems_[i + 1], stream_);
        }
        break;
      case Kind::Flatten:
        if (dx) {
          if (in.size() == 3) nchwToNhwc(dy, dx, t, n, in[0], in[1] * in[2], stream_);
          else HL_CUDA(cudaMemcpyAsync(dx, dy, in_bytes, cudaMemcpyDeviceToDevice, stream_));
        }
        break;
      case Kind::Act:
        if (dx) {
          activationBackward(l.act, x, y, dy, scratchFor(dx), t, in_elems, stream_);
          finishGradient(scratchFor(dx), dx, in_elems, counts);
        }
        break;
      case Kind::Dropout:
        if (dx) {
          if (l.p > 0) {
            dropoutBackward(dy, l.mask.as<std::uint8_t>(), scratchFor(dx), t, in_elems, l.p, stream_);
            finishGradient(scratchFor(dx), dx, in_elems, counts);
          } else {
            HL_CUDA(cudaMemcpyAsync(dx, dy, in_bytes, cudaMemcpyDeviceToDevice, stream_));
          }
        }
        break;
      case Kind::BatchNorm: {
        const std::int64_t c = in.at(0), rows = n * (sample_elems_[i] / c);
        batchNormBackward(x, dy, t, rows, c, master_.as<float>() + params_[l.w].offset, l.smean.as<float>(),
                          l.sinv.as<float>(), grad32_.as<float>() + params_[l.w].offset,
                          grad32_.as<float>() + params_[l.b].offset, dx ? scratchFor(dx) : nullptr, stream_);
        if (dx) finishGradient(scratchFor(dx), dx, in_elems, counts);
        break;
      }
    }
  }
}

std::vector<float> CudaModel::downloadParam(std::size_t i, bool gradient_low) const {
  const DevParam& p = params_.at(i);
  const DType t = gradient_low ? (policy_.low_precision() && !p.keep_fp32 ? act_type_ : DType::F32) : DType::F32;
  const void* src = gradient_low ? gradTargetFor(p) : static_cast<const void*>(master_.as<float>() + p.offset);
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(p.size) * dtypeSize(t));
  HL_CUDA(cudaStreamSynchronize(stream_));
  HL_CUDA(cudaMemcpy(raw.data(), src, raw.size(), cudaMemcpyDeviceToHost));
  std::vector<float> dev(static_cast<std::size_t>(p.size));
  for (std::size_t j = 0; j < dev.size(); ++j) dev[j] = hostToF32(raw.data() + j * dtypeSize(t), t);
  if (!p.conv_weight) return dev;
  std::vector<float> out(dev.size());
  const std::int64_t O = p.shape[0], I = p.shape[1], K = p.shape[2];
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t c = 0; c < I; ++c)
      for (std::int64_t y = 0; y < K; ++y)
        for (std::int64_t x = 0; x < K; ++x)
          out[((o * I + c) * K + y) * K + x] = dev[((o * K + y) * K + x) * I + c];
  return out;
}

std::vector<float> CudaModel::downloadActivation(std::size_t i, std::int64_t n, bool gradient) const {
  const std::int64_t elems = n * sample_elems_.at(i);
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(elems) * dtypeSize(act_type_));
  HL_CUDA(cudaStreamSynchronize(stream_));
  HL_CUDA(cudaMemcpy(raw.data(), (gradient ? grads_ : acts_).at(i).get(), raw.size(), cudaMemcpyDeviceToHost));
  std::vector<float> dev(static_cast<std::size_t>(elems));
  for (std::size_t j = 0; j < dev.size(); ++j) dev[j] = hostToF32(raw.data() + j * dtypeSize(act_type_), act_type_);
  const Shape& s = sample_shapes_.at(i);
  if (s.size() != 3) return dev;
  std::vector<float> out(dev.size());  // NHWC -> NCHW
  const std::int64_t C = s[0], HW = s[1] * s[2];
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t p = 0; p < HW; ++p)
      for (std::int64_t c = 0; c < C; ++c) out[(b * C + c) * HW + p] = dev[(b * HW + p) * C + c];
  return out;
}

}  // namespace halflab::cuda
