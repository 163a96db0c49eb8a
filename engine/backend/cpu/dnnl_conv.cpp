#include "engine/backend/cpu/dnnl_conv.hpp"

#include <omp.h>

#include <array>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>

namespace halflab::cpu {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// oneDNN runs on OpenMP. Its convolutions run on the calling thread alone: with a second
// OpenMP worker next to OpenBLAS's pthread workers, a 2-core machine under other load went
// from ~6 ms to ~100 ms per LeNet step (spinning barriers), while one thread lost little.
// One thread also makes conv results independent of the --threads setting. The OpenMP
// thread count is a per-thread setting, so it is set on the thread that runs the primitive.
void runOnCallingThreadOnly() {
  if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

// Strict fp32 math (no implicit bf16/tf32 down-conversion on CPUs that have it) and a
// scratchpad we own, so a plan never shares library scratch memory with another thread.
dnnl::primitive_attr strictAttr() {
  dnnl::primitive_attr attr;
  attr.set_fpmath_mode(dnnl::fpmath_mode::strict);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Lets the primitive choose its layout (blocked nChw16c and the like: several times faster
// than plain NCHW here); Operand adds the reorders from and to the caller's NCHW buffers.
memory::desc anyLayout(const memory::desc& md) { return memory::desc(md.dims(), dt::f32, tag::any); }

// One tensor argument: the caller's plain buffer and, when the primitive wants another
// layout, the primitive's own buffer plus the reorders between the two.
struct Operand {
  memory user, inner;
  std::optional<dnnl::reorder> to_inner, to_user;

  void init(const memory::desc& user_md, const memory::desc& wanted_md, bool is_input) {
    user = memory(user_md, cpuEngine(), DNNL_MEMORY_NONE);
    if (wanted_md == user_md) {
      inner = user;
      return;
    }
    inner = memory(wanted_md, cpuEngine());
    if (is_input)
      to_inner.emplace(user, inner);
    else
      to_user.emplace(inner, user);
  }
  // Points at the caller's buffer and brings it into the primitive's layout.
  memory& in(const void* p, dnnl::stream& s) {
    user.set_data_handle(const_cast<void*>(p));
    if (to_inner) to_inner->execute(s, user, inner);
    return inner;
  }
  memory& out(void* p) {
    user.set_data_handle(p);
    return inner;
  }
  void writeBack(dnnl::stream& s) {
    if (to_user) to_user->execute(s, inner, user);
  }
};

}  // namespace

struct DnnlConvolution::Impl {
  struct Plan {
    memory::desc x_md, w_md, b_md, y_md;
    memory::dims strides, pad_l, pad_r;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    Operand fx, fw, fy;
    memory fb, fscratch;

    bool have_bwd_data = false;
    dnnl::convolution_backward_data bwd_data;
    Operand dy_d, w_d, dx_d;
    memory d_scratch;

    bool have_bwd_weights = false;
    dnnl::convolution_backward_weights bwd_weights;
    Operand x_w, dy_w, dw_w;
    memory db_w, w_scratch;
  };

  dnnl::stream stream{cpuEngine()};
  std::map<std::array<std::int64_t, 9>, Plan> plans;

  Plan& plan(const ConvGeometry& g) {
    const std::array<std::int64_t, 9> key{g.batch,    g.in_channels, g.in_h,
                                          g.in_w,     g.out_channels, g.kernel_h,
                                          g.kernel_w, g.stride,       g.padding};
    auto it = plans.find(key);
    if (it != plans.end()) return it->second;
    Plan p;
    p.x_md = memory::desc({g.batch, g.in_channels, g.in_h, g.in_w}, dt::f32, tag::nchw);
    p.w_md = memory::desc({g.out_channels, g.in_channels, g.kernel_h, g.kernel_w}, dt::f32,
                          tag::oihw);
    p.b_md = memory::desc({g.out_channels}, dt::f32, tag::x);
    p.y_md = memory::desc({g.batch, g.out_channels, g.outH(), g.outW()}, dt::f32, tag::nchw);
    p.strides = {g.stride, g.stride};
    p.pad_l = {g.padding, g.padding};
    p.pad_r = {g.padding, g.padding};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_training,
                                         dnnl::algorithm::convolution_direct, anyLayout(p.x_md),
                                         anyLayout(p.w_md), p.b_md, anyLayout(p.y_md), p.strides,
                                         p.pad_l, p.pad_r);
    p.fwd_pd = dnnl::convolution_forward::primitive_desc(desc, strictAttr(), cpuEngine());
    p.fwd = dnnl::convolution_forward(p.fwd_pd);
    p.fx.init(p.x_md, p.fwd_pd.src_desc(), true);
    p.fw.init(p.w_md, p.fwd_pd.weights_desc(), true);
    p.fy.init(p.y_md, p.fwd_pd.dst_desc(), false);
    p.fb = memory(p.b_md, cpuEngine(), DNNL_MEMORY_NONE);
    p.fscratch = memory(p.fwd_pd.scratchpad_desc(), cpuEngine());
    return plans.emplace(key, std::move(p)).first->second;
  }

  void ensureBackwardData(Plan& p) {
    if (p.have_bwd_data) return;
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct,
                                               anyLayout(p.x_md), anyLayout(p.w_md), anyLayout(p.y_md),
                                               p.strides, p.pad_l, p.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(desc, strictAttr(), cpuEngine(),
                                                       p.fwd_pd);
    p.bwd_data = dnnl::convolution_backward_data(pd);
    p.dy_d.init(p.y_md, pd.diff_dst_desc(), true);
    p.w_d.init(p.w_md, pd.weights_desc(), true);
    p.dx_d.init(p.x_md, pd.diff_src_desc(), false);
    p.d_scratch = memory(pd.scratchpad_desc(), cpuEngine());
    p.have_bwd_data = true;
  }

  void ensureBackwardWeights(Plan& p) {
    if (p.have_bwd_weights) return;
    dnnl::convolution_backward_weights::desc desc(
        dnnl::algorithm::convolution_direct, anyLayout(p.x_md), anyLayout(p.w_md), p.b_md, anyLayout(p.y_md),
        p.strides, p.pad_l, p.pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, strictAttr(), cpuEngine(),
                                                          p.fwd_pd);
    p.bwd_weights = dnnl::convolution_backward_weights(pd);
    p.x_w.init(p.x_md, pd.src_desc(), true);
    p.dy_w.init(p.y_md, pd.diff_dst_desc(), true);
    p.dw_w.init(p.w_md, pd.diff_weights_desc(), false);
    p.db_w = memory(p.b_md, cpuEngine(), DNNL_MEMORY_NONE);
    p.w_scratch = memory(pd.scratchpad_desc(), cpuEngine());
    p.have_bwd_weights = true;
  }
};

DnnlConvolution::DnnlConvolution() : impl_(std::make_unique<Impl>()) {}
DnnlConvolution::~DnnlConvolution() = default;
DnnlConvolution::DnnlConvolution(DnnlConvolution&&) noexcept = default;
DnnlConvolution& DnnlConvolution::operator=(DnnlConvolution&&) noexcept = default;

void DnnlConvolution::forward(const ConvGeometry& g, const float* x, const float* w,
                              const float* b, float* y) {
  runOnCallingThreadOnly();
  auto& p = impl_->plan(g);
  auto& s = impl_->stream;
  p.fb.set_data_handle(const_cast<float*>(b));
  p.fwd.execute(s, {{DNNL_ARG_SRC, p.fx.in(x, s)},
                    {DNNL_ARG_WEIGHTS, p.fw.in(w, s)},
                    {DNNL_ARG_BIAS, p.fb},
                    {DNNL_ARG_DST, p.fy.out(y)},
                    {DNNL_ARG_SCRATCHPAD, p.fscratch}});
  p.fy.writeBack(s);
  s.wait();
}

void DnnlConvolution::backwardData(const ConvGeometry& g, const float* dy, const float* w,
                                   float* dx) {
  runOnCallingThreadOnly();
  auto& p = impl_->plan(g);
  impl_->ensureBackwardData(p);
  auto& s = impl_->stream;
  p.bwd_data.execute(s, {{DNNL_ARG_DIFF_DST, p.dy_d.in(dy, s)},
                         {DNNL_ARG_WEIGHTS, p.w_d.in(w, s)},
                         {DNNL_ARG_DIFF_SRC, p.dx_d.out(dx)},
                         {DNNL_ARG_SCRATCHPAD, p.d_scratch}});
  p.dx_d.writeBack(s);
  s.wait();
}

void DnnlConvolution::backwardWeights(const ConvGeometry& g, const float* x, const float* dy,
                                      float* dw, float* db) {
  runOnCallingThreadOnly();
  auto& p = impl_->plan(g);
  impl_->ensureBackwardWeights(p);
  auto& s = impl_->stream;
  p.db_w.set_data_handle(db);
  p.bwd_weights.execute(s, {{DNNL_ARG_SRC, p.x_w.in(x, s)},
                            {DNNL_ARG_DIFF_DST, p.dy_w.in(dy, s)},
                            {DNNL_ARG_DIFF_WEIGHTS, p.dw_w.out(dw)},
                            {DNNL_ARG_DIFF_BIAS, p.db_w},
                            {DNNL_ARG_SCRATCHPAD, p.w_scratch}});
  p.dw_w.writeBack(s);
  s.wait();
}

}  // namespace halflab::cpu
