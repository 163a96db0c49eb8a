#include "engine/model/recurrent.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/sequence_lengths.hpp"
#include "engine/model/shape_inference.hpp"

namespace halflab {
namespace {

constexpr std::int64_t kMaxHidden = 1 << 16;

inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// Rounds in place to the compute format; a no-op in fp32/tf32 (compute format fp32).
inline void roundTo(Format f, float* p, std::size_t n) {
  if (f != Format::FP32) roundBuffer(f, p, n);
}

Shape recurrentOutputShape(const std::string& name, const Shape& in, std::int64_t hidden, bool bidirectional,
                           bool return_sequences) {
  if (in.size() != 3)
    throw ShapeInferenceError(name + ": expects [batch, time, features], got shape " + shapeToString(in));
  if (in[1] < 1 || in[2] < 1) throw ShapeInferenceError(name + ": needs at least one step and one feature, got " + shapeToString(in));
  const std::int64_t width = hidden * (bidirectional ? 2 : 1);
  return return_sequences ? Shape{in[0], in[1], width} : Shape{in[0], width};
}

}  // namespace

Recurrent::Recurrent(std::string name, CellKind kind, std::int64_t hidden, bool bidirectional,
                     bool return_sequences, std::vector<Parameter> params)
    : name_(std::move(name)), kind_(kind), hidden_(hidden), return_sequences_(return_sequences) {
  const std::size_t ndirs = bidirectional ? 2 : 1;
  if (params.size() != 4 * ndirs) throw std::invalid_argument(name_ + ": expects " + std::to_string(4 * ndirs) + " parameters");
  dirs_.resize(ndirs);
  for (std::size_t d = 0; d < ndirs; ++d) {
    dirs_[d].reverse = d == 1;
    dirs_[d].w_ih = std::move(params[4 * d]);
    dirs_[d].w_hh = std::move(params[4 * d + 1]);
    dirs_[d].b_ih = std::move(params[4 * d + 2]);
    dirs_[d].b_hh = std::move(params[4 * d + 3]);
  }
}

Shape Recurrent::nodeOutputShape(const std::vector<Shape>& in) const {
  const Shape out = recurrentOutputShape(name_, in.at(0), hidden_, dirs_.size() == 2, return_sequences_);
  if (in[0][2] != dirs_[0].w_ih.value.dim(1))
    throw ShapeInferenceError(name_ + ": expects " + std::to_string(dirs_[0].w_ih.value.dim(1)) + " features, got " +
                              std::to_string(in[0][2]));
  return out;
}

std::vector<Parameter*> Recurrent::parameters() {
  std::vector<Parameter*> p;
  for (auto& d : dirs_) p.insert(p.end(), {&d.w_ih, &d.w_hh, &d.b_ih, &d.b_hh});
  return p;
}

void Recurrent::forwardNode(const std::vector<const Tensor*>& xs, Tensor& y, ExecContext& ctx) {
  const Tensor& x = *xs.at(0);
  y.reshapeTo(nodeOutputShape({x.shape}));
  const std::int64_t n = x.dim(0), t = x.dim(1);
  batchLengths(ctx, name_, n, t, lengths_);
  y.zero();  // padded steps output 0
  for (std::size_t d = 0; d < dirs_.size(); ++d) forwardDirection(dirs_[d], d, x, y, ctx);
  y.format = ctx.policy.compute;  // every value written is already in the compute format
}

void Recurrent::forwardDirection(Direction& d, std::size_t index, const Tensor& x, Tensor& y, ExecContext& ctx) {
  const Format f = ctx.policy.compute;
  const std::int64_t n = x.dim(0), steps = x.dim(1), feat = x.dim(2), h = hidden_, g = gatesOf(kind_) * h;
  const std::int64_t width = h * static_cast<std::int64_t>(dirs_.size()), col = static_cast<std::int64_t>(index) * h;
  const bool lstm = kind_ == CellKind::LSTM;

  // 1. Input projections of every step at once.
  d.gi.resize(static_cast<std::size_t>(n * steps * g));
  const float* b_ih = d.b_ih.compute().ptr();
  for (std::int64_t r = 0; r < n * steps; ++r) std::copy(b_ih, b_ih + g, d.gi.data() + r * g);
  cpu::gemm(false, true, n * steps, g, feat, 1.0f, ctx.gemmInput(x, scratch_a_),
            ctx.gemmInput(d.w_ih.compute(), scratch_b_), 1.0f, d.gi.data());
  roundTo(f, d.gi.data(), d.gi.size());

  const std::size_t state = static_cast<std::size_t>(n * h);
  d.h.assign(static_cast<std::size_t>(steps + 1) * state, 0.0f);
  if (lstm) d.c.assign(static_cast<std::size_t>(steps + 1) * state, 0.0f);
  d.gates.assign(static_cast<std::size_t>(steps * n * g), 0.0f);
  if (!lstm) d.ghn.assign(static_cast<std::size_t>(steps) * state, 0.0f);
  step_.resize(static_cast<std::size_t>(n * g));
  const float* b_hh = d.b_hh.compute().ptr();
  std::vector<float> w_hh_copy;
  const float* w_hh = ctx.gemmInput(d.w_hh.compute(), w_hh_copy);

  for (std::int64_t s = 0; s < steps; ++s) {
    const float* hp = d.h.data() + s * state;
    float* hn = d.h.data() + (s + 1) * state;
    // 2. Recurrent projections of this step.
    for (std::int64_t i = 0; i < n; ++i) std::copy(b_hh, b_hh + g, step_.data() + i * g);
    cpu::gemm(false, true, n, g, h, 1.0f, ctx.gemmInput(hp, state, scratch_a_), w_hh, 1.0f, step_.data());
    roundTo(f, step_.data(), step_.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t len = lengths_[static_cast<std::size_t>(i)];
      const float* hpi = hp + i * h;
      float* hni = hn + i * h;
      if (s >= len) {  // padding: the state carries over unchanged
        std::copy(hpi, hpi + h, hni);
        if (lstm) std::copy(d.c.data() + s * state + i * h, d.c.data() + s * state + (i + 1) * h, d.c.data() + (s + 1) * state + i * h);
        continue;
      }
      const std::int64_t ti = timeIndex(d, s, len);
      const float* gi = d.gi.data() + (i * steps + ti) * g;
      const float* gh = step_.data() + i * g;
      float* gate = d.gates.data() + (s * n + i) * g;
      if (!lstm) {
        float* ghn = d.ghn.data() + s * state + i * h;
        for (std::int64_t j = 0; j < h; ++j) {
          gate[j] = sigmoid(gi[j] + gh[j]);                  // r
          gate[h + j] = sigmoid(gi[h + j] + gh[h + j]);      // z
          ghn[j] = gh[2 * h + j];
        }
        roundTo(f, gate, static_cast<std::size_t>(2 * h));
        for (std::int64_t j = 0; j < h; ++j) gate[2 * h + j] = std::tanh(gi[2 * h + j] + gate[j] * ghn[j]);  // n
        roundTo(f, gate + 2 * h, static_cast<std::size_t>(h));
        for (std::int64_t j = 0; j < h; ++j) hni[j] = (1.0f - gate[h + j]) * gate[2 * h + j] + gate[h + j] * hpi[j];
        roundTo(f, hni, static_cast<std::size_t>(h));
      } else {
        for (std::int64_t j = 0; j < h; ++j) {
          gate[j] = sigmoid(gi[j] + gh[j]);                          // i
          gate[h + j] = sigmoid(gi[h + j] + gh[h + j]);              // f
          gate[2 * h + j] = std::tanh(gi[2 * h + j] + gh[2 * h + j]);  // g
          gate[3 * h + j] = sigmoid(gi[3 * h + j] + gh[3 * h + j]);  // o
        }
        roundTo(f, gate, static_cast<std::size_t>(g));
        const float* cp = d.c.data() + s * state + i * h;
        float* cn = d.c.data() + (s + 1) * state + i * h;
        for (std::int64_t j = 0; j < h; ++j) cn[j] = gate[h + j] * cp[j] + gate[j] * gate[2 * h + j];
        roundTo(f, cn, static_cast<std::size_t>(h));
        for (std::int64_t j = 0; j < h; ++j) hni[j] = gate[3 * h + j] * std::tanh(cn[j]);
        roundTo(f, hni, static_cast<std::size_t>(h));
      }
      if (return_sequences_) std::copy(hni, hni + h, y.ptr() + (i * steps + ti) * width + col);
    }
  }
  if (!return_sequences_) {
    const float* last = d.h.data() + steps * state;
    for (std::int64_t i = 0; i < n; ++i) std::copy(last + i * h, last + (i + 1) * h, y.ptr() + i * width + col);
  }
}

void Recurrent::backwardNode(const std::vector<const Tensor*>& xs, const Tensor&, const Tensor& dy,
                             const std::vector<Tensor*>& dxs, ExecContext& ctx) {
  const Tensor& x = *xs.at(0);
  Tensor* dx = dxs.at(0);
  dx_.assign(static_cast<std::size_t>(x.size()), 0.0f);  // fp32 sum over the directions
  for (std::size_t d = 0; d < dirs_.size(); ++d) backwardDirection(dirs_[d], d, x, dy, dx ? dx_.data() : nullptr, ctx);
  if (dx) {
    dx->reshapeTo(x.shape);
    std::copy(dx_.begin(), dx_.end(), dx->data.begin());
    ctx.roundGradient(*dx);
  }
}

void Recurrent::backwardDirection(Direction& d, std::size_t index, const Tensor& x, const Tensor& dy, float* dx,
                                  ExecContext& ctx) {
  const Format f = ctx.policy.compute;
  const std::int64_t n = x.dim(0), steps = x.dim(1), feat = x.dim(2), h = hidden_, g = gatesOf(kind_) * h;
  const std::int64_t width = h * static_cast<std::int64_t>(dirs_.size()), col = static_cast<std::int64_t>(index) * h;
  const bool lstm = kind_ == CellKind::LSTM;
  const std::size_t state = static_cast<std::size_t>(n * h);

  dh_.assign(state, 0.0f);
  dc_.assign(state, 0.0f);
  if (!return_sequences_)
    for (std::int64_t i = 0; i < n; ++i)
      std::copy(dy.ptr() + i * width + col, dy.ptr() + i * width + col + h, dh_.data() + i * h);
  dgi_.assign(static_cast<std::size_t>(n * steps * g), 0.0f);
  dgh_.resize(static_cast<std::size_t>(n * g));
  step_.resize(state);  // the direct (non-GEMM) part of dh_prev
  d.w_hh.grad.reshapeTo(d.w_hh.value.shape);
  d.w_hh.grad.zero();
  std::vector<double> db_hh(static_cast<std::size_t>(g), 0.0);
  std::vector<float> w_hh_copy, dh_new(state);
  const float* w_hh = ctx.gemmInput(d.w_hh.compute(), w_hh_copy);

  for (std::int64_t s = steps - 1; s >= 0; --s) {
    const float* hp = d.h.data() + s * state;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t len = lengths_[static_cast<std::size_t>(i)];
      float* dgh = dgh_.data() + i * g;
      float* direct = step_.data() + i * h;
      float* dhi = dh_.data() + i * h;
      if (s >= len) {  // padding: no gradient, dh and dc pass through
        std::fill(dgh, dgh + g, 0.0f);
        std::copy(dhi, dhi + h, direct);
        continue;
      }
      const std::int64_t ti = timeIndex(d, s, len);
      if (return_sequences_) {
        const float* dyt = dy.ptr() + (i * steps + ti) * width + col;
        for (std::int64_t j = 0; j < h; ++j) dhi[j] += dyt[j];
      }
      const float* gate = d.gates.data() + (s * n + i) * g;
      float* dgi = dgi_.data() + (i * steps + ti) * g;
      if (!lstm) {
        const float* hpi = hp + i * h;
        const float* ghn = d.ghn.data() + s * state + i * h;
        for (std::int64_t j = 0; j < h; ++j) {
          const float r = gate[j], z = gate[h + j], nn = gate[2 * h + j], gd = dhi[j];
          const float dnp = gd * (1.0f - z) * (1.0f - nn * nn);
          const float drp = dnp * ghn[j] * r * (1.0f - r);
          const float dzp = gd * (hpi[j] - nn) * z * (1.0f - z);
          dgi[j] = dgh[j] = drp;
          dgi[h + j] = dgh[h + j] = dzp;
          dgi[2 * h + j] = dnp;
          dgh[2 * h + j] = dnp * r;
          direct[j] = gd * z;
        }
      } else {
        const float* cp = d.c.data() + s * state + i * h;
        const float* cn = d.c.data() + (s + 1) * state + i * h;
        float* dci = dc_.data() + i * h;
        for (std::int64_t j = 0; j < h; ++j) {
          const float ig = gate[j], fg = gate[h + j], gg = gate[2 * h + j], og = gate[3 * h + j];
          const float tc = std::tanh(cn[j]);
          const float dct = dci[j] + dhi[j] * og * (1.0f - tc * tc);
          dgh[j] = dct * gg * ig * (1.0f - ig);
          dgh[h + j] = dct * cp[j] * fg * (1.0f - fg);
          dgh[2 * h + j] = dct * ig * (1.0f - gg * gg);
          dgh[3 * h + j] = dhi[j] * tc * og * (1.0f - og);
          dci[j] = dct * fg;
          direct[j] = 0.0f;
        }
        std::copy(dgh, dgh + g, dgi);
      }
    }
    roundTo(f, dgh_.data(), dgh_.size());
    if (lstm) roundTo(f, dc_.data(), dc_.size());
    // Padded rows of dgh are 0, so the GEMMs over the whole batch add nothing for them.
    cpu::gemm(true, false, g, h, n, 1.0f, ctx.gemmInput(dgh_.data(), dgh_.size(), scratch_a_),
              ctx.gemmInput(hp, state, scratch_b_), 1.0f, d.w_hh.grad.ptr());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < g; ++j) db_hh[j] += dgh_[i * g + j];
    std::copy(step_.begin(), step_.end(), dh_new.begin());
    cpu::gemm(false, false, n, h, g, 1.0f, ctx.gemmInput(dgh_.data(), dgh_.size(), scratch_a_), w_hh, 1.0f, dh_new.data());
    roundTo(f, dh_new.data(), dh_new.size());
    dh_.swap(dh_new);
  }
  roundTo(f, dgi_.data(), dgi_.size());
  d.w_ih.grad.reshapeTo(d.w_ih.value.shape);
  const float* dgi = ctx.gemmInput(dgi_.data(), dgi_.size(), scratch_a_);
  cpu::gemm(true, false, g, feat, n * steps, 1.0f, dgi, ctx.gemmInput(x, scratch_b_), 0.0f, d.w_ih.grad.ptr());
  if (dx) {
    std::vector<float> w_ih_copy;
    cpu::gemm(false, false, n * steps, feat, g, 1.0f, dgi, ctx.gemmInput(d.w_ih.compute(), w_ih_copy), 1.0f, dx);
  }
  std::vector<double> db_ih(static_cast<std::size_t>(g), 0.0);
  for (std::int64_t r = 0; r < n * steps; ++r)
    for (std::int64_t j = 0; j < g; ++j) db_ih[j] += dgi_[r * g + j];
  d.b_ih.grad.reshapeTo(d.b_ih.value.shape);
  d.b_hh.grad.reshapeTo(d.b_hh.value.shape);
  for (std::int64_t j = 0; j < g; ++j) {
    d.b_ih.grad.data[j] = static_cast<float>(db_ih[j]);
    d.b_hh.grad.data[j] = static_cast<float>(db_hh[j]);
  }
  for (Parameter* p : {&d.w_ih, &d.w_hh, &d.b_ih, &d.b_hh}) ctx.roundGradient(p->grad);
}

void fillRecurrentOpDef(OpDef& d, CellKind kind) {
  d.gemm = true;
  d.check_attrs = [](AttrReader& a) {
    a.integer("hidden", std::nullopt, 1, kMaxHidden);
    a.boolean("bidirectional", false);
    a.boolean("return_sequences", false);
  };
  auto hidden = [](const NodeSpec& n) { return n.attrs.value("hidden", std::int64_t{0}); };
  auto bidir = [](const NodeSpec& n) { return n.attrs.value("bidirectional", false); };
  auto seqs = [](const NodeSpec& n) { return n.attrs.value("return_sequences", false); };
  d.output_shape = [=](const NodeSpec& n, const std::vector<Shape>& in) {
    if (hidden(n) < 1) throw ShapeInferenceError(n.name + ": hidden must be >= 1 (got " + std::to_string(hidden(n)) + ")");
    return recurrentOutputShape(n.name, in.at(0), hidden(n), bidir(n), seqs(n));
  };
  const std::int64_t gates = gatesOf(kind);
  d.parameters = [=](const NodeSpec& n, const std::vector<Shape>& in) {
    const std::int64_t hs = hidden(n), feat = in.at(0).at(2), g = gates * hs;
    std::vector<ParameterSpec> p;
    // PyTorch draws every RNN parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)).
    for (const char* suffix : {"", "_reverse"}) {
      if (std::string(suffix) == "_reverse" && !bidir(n)) break;
      const std::string s = suffix;
      p.push_back({n.name + ".weight_ih_l0" + s, {g, feat}, false, true, ParamInit::UniformFanIn, hs});
      p.push_back({n.name + ".weight_hh_l0" + s, {g, hs}, false, true, ParamInit::UniformFanIn, hs});
      p.push_back({n.name + ".bias_ih_l0" + s, {g}, false, false, ParamInit::UniformFanIn, hs});
      p.push_back({n.name + ".bias_hh_l0" + s, {g}, false, false, ParamInit::UniformFanIn, hs});
    }
    return p;
  };
  d.buffers = [=](const NodeSpec& n, const std::vector<Shape>& in, const Shape&) {
    const std::int64_t hs = hidden(n), t = in.at(0).at(1), dirs = bidir(n) ? 2 : 1, g = gates * hs;
    std::vector<OpBuffer> b{{"input projections", dirs * t * g, 4, OpBuffer::Batch::Forward},
                            {"gates", dirs * t * g, 4, OpBuffer::Batch::Forward},
                            {"states", dirs * (t + 1) * hs, 4, OpBuffer::Batch::Forward}};
    if (kind == CellKind::LSTM) b.push_back({"cells", dirs * (t + 1) * hs, 4, OpBuffer::Batch::Forward});
    else b.push_back({"recurrent n projections", dirs * t * hs, 4, OpBuffer::Batch::Forward});
    return b;
  };
  d.flops = [=](const NodeSpec& n, const std::vector<Shape>& in, const Shape&) {
    const double hs = static_cast<double>(hidden(n)), t = static_cast<double>(in.at(0).at(1)),
                 f = static_cast<double>(in.at(0).at(2)), dirs = bidir(n) ? 2 : 1, g = static_cast<double>(gates) * hs;
    return dirs * t * (2.0 * f * g + 2.0 * hs * g + 6.0 * g);
  };
  d.make_cpu = [=](const NodeSpec& n, const std::vector<Shape>&, std::vector<Parameter> p) -> std::unique_ptr<Op> {
    return std::make_unique<Recurrent>(n.name, kind, hidden(n), bidir(n), seqs(n), std::move(p));
  };
}

}  // namespace halflab
