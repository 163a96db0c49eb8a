// The CPU emulation contract of docs/ARCHITECTURE.md 2.1: in the low-precision modes every op output
// and every stored gradient is exactly representable in the compute format (RNE), GEMMs
// read exact low-format inputs and round once after fp32 accumulation, the rounding of
// gradients is counted (underflow / subnormal / overflow), TF32 rounds only GEMM inputs,
// and the loss gradient is scaled by grad_scale in fp32 and then rounded.
#include <QtTest>

#include <cmath>
#include <memory>
#include <random>

#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/model/activation.hpp"
#include "engine/model/batch_norm.hpp"
#include "engine/model/conv2d.hpp"
#include "engine/model/dropout.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/linear.hpp"
#include "engine/model/loss.hpp"
#include "engine/model/max_pool2d.hpp"
#include "engine_test_support.hpp"

using namespace halflab;
using namespace halflab::testing;

namespace {

// What the trainer does to parameters before the first step (trainer.cpp
// prepareParameters): amp modes get a low-format working copy, fp16-pure rounds the
// stored weights themselves.
void prepareParameters(Layer& layer, const PrecisionPolicy& policy) {
  for (auto* p : layer.parameters()) {
    if (policy.master_weights && !p->keep_fp32) {
      p->copy = Tensor(p->value.shape, 0.0f, policy.compute);
      roundCopy(policy.compute, p->value.ptr(), p->copy.ptr(), p->value.data.size());
    } else if (!policy.master_weights && policy.low_precision()) {
      roundBuffer(policy.compute, p->value.ptr(), p->value.data.size());
      p->value.format = policy.compute;
    }
  }
}

std::string firstInexact(Format f, const Tensor& t, const std::string& what) {
  if (t.format != f)
    return what + ": format is " + std::string(formatName(t.format)) + ", expected " +
           std::string(formatName(f));
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    const float v = t.data[i];
    if (!std::isfinite(v) || roundToFormat(f, v) != v)
      return what + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is not exact in " +
             std::string(formatName(f));
  }
  return {};
}

struct LayerUnderTest {
  std::unique_ptr<Layer> layer;
  Shape input;
};

LayerUnderTest makeLayer(const std::string& kind, std::mt19937_64& rng) {
  if (kind == "linear") return {std::make_unique<Linear>("fc", 24, 10, rng), {6, 24}};
  if (kind == "conv2d") return {std::make_unique<Conv2d>("conv", 3, 5, 3, 2, 1, rng), {2, 3, 9, 7}};
  if (kind == "conv2d-k5") return {std::make_unique<Conv2d>("conv", 2, 4, 5, 1, 2, rng), {2, 2, 6, 8}};
  if (kind == "batchnorm1d") return {std::make_unique<BatchNorm>("bn", 7), {9, 7}};
  if (kind == "batchnorm2d") return {std::make_unique<BatchNorm>("bn", 3), {4, 3, 5, 6}};
  if (kind == "dropout") return {std::make_unique<Dropout>("drop", 0.3), {8, 40}};
  if (kind == "maxpool-k2s2") return {std::make_unique<MaxPool2d>("pool", 2, 2), {2, 3, 8, 6}};
  if (kind == "maxpool-k3s2") return {std::make_unique<MaxPool2d>("pool", 3, 2), {2, 3, 9, 7}};
  if (kind == "flatten") return {std::make_unique<Flatten>("flatten"), {3, 2, 4, 4}};
  const auto act = parseActivation(kind);
  if (!act) qFatal("unknown layer kind %s", kind.c_str());
  return {std::make_unique<Activation>("act", *act), {8, 40}};
}

const std::vector<std::string> kLayerKinds{"linear", "conv2d", "conv2d-k5", "relu", "gelu", "tanh",
                                           "sigmoid", "batchnorm1d", "batchnorm2d", "dropout",
                                           "maxpool-k2s2", "maxpool-k3s2", "flatten"};

Tensor roundedRandom(const Shape& s, std::mt19937_64& rng, Format f, double lo = -2, double hi = 2) {
  Tensor t = randomTensor(s, rng, lo, hi);
  roundBuffer(f, t.ptr(), t.data.size());
  t.format = f;
  return t;
}

}  // namespace

class TestPrecisionSemantics : public QObject {
  Q_OBJECT

 private slots:
  // Forward outputs, input gradients and parameter gradients (except the fp32 batch-norm
  // affine parameters) are exact in the compute format.
  void outputsAndGradientsAreExact_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("layer");
    for (const char* mode : {"fp16-amp", "bf16-amp", "fp16-pure"})
      for (const auto& kind : kLayerKinds)
        QTest::newRow((std::string(mode) + " " + kind).c_str()) << QString(mode) << QString::fromStdString(kind);
  }
  void outputsAndGradientsAreExact() {
    QFETCH(QString, mode);
    QFETCH(QString, layer);
    const auto pm = parsePrecisionMode(mode.toStdString());
    QVERIFY(pm.has_value());
    ExecContext ctx = contextFor(*pm);
    const Format f = ctx.policy.compute;
    std::mt19937_64 rng(7);
    auto lut = makeLayer(layer.toStdString(), rng);
    // Full-mantissa fp32 parameters, so a layer that read `value` instead of the working
    // copy in the amp modes would produce inexact products.
    for (auto* p : lut.layer->parameters()) p->value = randomTensor(p->value.shape, rng, 0.2, 1.2);
    prepareParameters(*lut.layer, ctx.policy);
    // Distinct values (no pooling ties) rounded to the format, as the trainer rounds inputs.
    Tensor x = distinctTensor(lut.input, rng, 3.0 / static_cast<double>(shapeSize(lut.input)));
    ctx.roundOutput(x);
    Tensor y;
    lut.layer->forward(x, y, ctx);
    std::string err = firstInexact(f, y, "output");
    QVERIFY2(err.empty(), err.c_str());

    const Tensor dy = roundedRandom(y.shape, rng, f);
    Tensor dx;
    lut.layer->backward(x, y, dy, &dx, ctx);
    err = firstInexact(f, dx, "dx");
    QVERIFY2(err.empty(), err.c_str());
    for (auto* p : lut.layer->parameters()) {
      if (p->keep_fp32) continue;
      err = firstInexact(f, p->grad, p->name + ".grad");
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  // Linear and Conv2d: exact low-format inputs, fp32 accumulation, one rounding after the
  // bias. The output is the rounding of the exact result, give or take the fp32
  // accumulation error (rounding is monotonic, so it lies between the roundings of the
  // exact result -+ that error).
  void gemmOutputIsOneRoundingOfExactProducts_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<bool>("conv");
    for (const char* mode : {"fp16-amp", "bf16-amp", "fp16-pure"}) {
      QTest::newRow((std::string(mode) + " linear").c_str()) << QString(mode) << false;
      QTest::newRow((std::string(mode) + " conv2d").c_str()) << QString(mode) << true;
    }
  }
  void gemmOutputIsOneRoundingOfExactProducts() {
    QFETCH(QString, mode);
    QFETCH(bool, conv);
    ExecContext ctx = contextFor(*parsePrecisionMode(mode.toStdString()));
    const Format f = ctx.policy.compute;
    std::mt19937_64 rng(17);
    std::unique_ptr<Layer> layer;
    Tensor x;
    if (conv) {
      layer = std::make_unique<Conv2d>("conv", 3, 4, 3, 1, 1, rng);
      x = randomTensor({2, 3, 6, 5}, rng);
    } else {
      layer = std::make_unique<Linear>("fc", 40, 12, rng);
      x = randomTensor({5, 40}, rng);
    }
    for (auto* p : layer->parameters()) p->value = randomTensor(p->value.shape, rng);
    prepareParameters(*layer, ctx.policy);
    ctx.roundOutput(x);
    Tensor y;
    layer->forward(x, y, ctx);
    const auto params = layer->parameters();
    const Tensor& w = params[0]->compute();
    const Tensor& b = params[1]->compute();
    QVERIFY(w.format == f);
    // Exact result and a bound on the fp32 accumulation error, in double.
    std::vector<double> exact, bound;
    if (conv) {
      const std::int64_t n = 2, c = 3, h = 6, wd = 5, oc = 4, k = 3;
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t o = 0; o < oc; ++o)
          for (std::int64_t oy = 0; oy < h; ++oy)
            for (std::int64_t ox = 0; ox < wd; ++ox) {
              double s = b.data[o], mag = std::fabs(b.data[o]);
              for (std::int64_t ch = 0; ch < c; ++ch)
                for (std::int64_t ky = 0; ky < k; ++ky)
                  for (std::int64_t kx = 0; kx < k; ++kx) {
                    const auto iy = oy - 1 + ky, ix = ox - 1 + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                    const double t = static_cast<double>(x.data[((i * c + ch) * h + iy) * wd + ix]) *
                                     w.data[((o * c + ch) * k + ky) * k + kx];
                    s += t;
                    mag += std::fabs(t);
                  }
              exact.push_back(s);
              bound.push_back(mag * 64 * 6e-8);
            }
    } else {
      for (std::int64_t r = 0; r < 5; ++r)
        for (std::int64_t o = 0; o < 12; ++o) {
          double s = b.data[o], mag = std::fabs(b.data[o]);
          for (std::int64_t i = 0; i < 40; ++i) {
            const double t = static_cast<double>(x.data[r * 40 + i]) * w.data[o * 40 + i];
            s += t;
            mag += std::fabs(t);
          }
          exact.push_back(s);
          bound.push_back(mag * 64 * 6e-8);
        }
    }
    QCOMPARE(y.data.size(), exact.size());
    int exactly_rounded = 0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
      const float lo = roundToFormat(f, static_cast<float>(exact[i] - bound[i]));
      const float hi = roundToFormat(f, static_cast<float>(exact[i] + bound[i]));
      QVERIFY2(lo <= y.data[i] && y.data[i] <= hi,
               qPrintable(QString("element %1: %2 outside [%3, %4] (exact %5)")
                              .arg(i).arg(y.data[i]).arg(lo).arg(hi).arg(exact[i])));
      exactly_rounded += y.data[i] == roundToFormat(f, static_cast<float>(exact[i]));
    }
    QVERIFY(exactly_rounded >= static_cast<int>(exact.size() * 9 / 10));
  }

  // ---- counted gradient rounding ----------------------------------------------------
  void underflowIsCountedPerElement_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<float>("dyValue");
    QTest::addColumn<bool>("expectUnderflow");
    QTest::addColumn<bool>("expectSubnormal");
    QTest::addColumn<bool>("expectOverflow");
    QTest::newRow("fp16 1e-9 underflows") << "fp16-amp" << 1e-9f << true << false << false;
    QTest::newRow("fp16-pure 1e-9 underflows") << "fp16-pure" << 1e-9f << true << false << false;
    QTest::newRow("fp16 1e-6 subnormal") << "fp16-amp" << 1e-6f << false << true << false;
    QTest::newRow("fp16 1e5 overflows") << "fp16-amp" << 1e5f << false << false << true;
    QTest::newRow("fp16 0.5 clean") << "fp16-amp" << 0.5f << false << false << false;
    QTest::newRow("bf16 1e-9 clean") << "bf16-amp" << 1e-9f << false << false << false;
    QTest::newRow("bf16 1e-39 subnormal") << "bf16-amp" << 1e-39f << false << true << false;
    QTest::newRow("bf16 1e-45 underflows") << "bf16-amp" << 1e-45f << true << false << false;
  }
  // ReLU passes dy through where x > 0: the counts must equal the number of elements
  // that were non-zero in fp32 and became 0 / subnormal / inf; the masked zeros (x < 0)
  // are zero in fp32 already and count as nothing.
  void underflowIsCountedPerElement() {
    QFETCH(QString, mode);
    QFETCH(float, dyValue);
    QFETCH(bool, expectUnderflow);
    QFETCH(bool, expectSubnormal);
    QFETCH(bool, expectOverflow);
    ExecContext ctx = contextFor(*parsePrecisionMode(mode.toStdString()));
    std::mt19937_64 rng(27);
    Activation relu("relu", ActivationKind::ReLU);
    Tensor x = distinctTensor({6, 50}, rng, 0.01);
    ctx.roundOutput(x);
    Tensor y, dx;
    relu.forward(x, y, ctx);
    Tensor dy({6, 50}, dyValue);
    std::int64_t positive = 0;
    for (float v : x.data) positive += v > 0;
    QVERIFY(positive > 100 && positive < 200);
    ctx.grad_counts = {};
    relu.backward(x, y, dy, &dx, ctx);
    QCOMPARE(ctx.grad_counts.total, std::int64_t{300});
    QCOMPARE(ctx.grad_counts.underflow, expectUnderflow ? positive : 0);
    QCOMPARE(ctx.grad_counts.subnormal, expectSubnormal ? positive : 0);
    QCOMPARE(ctx.grad_counts.overflow, expectOverflow ? positive : 0);
    std::int64_t zeros = 0, infs = 0;
    for (float v : dx.data) {
      zeros += v == 0.0f;
      infs += std::isinf(v);
    }
    QCOMPARE(zeros, expectUnderflow ? 300 : 300 - positive);
    QCOMPARE(infs, expectOverflow ? positive : 0);
  }

  // Linear backward: weight, bias and input gradients are all rounded and counted.
  void linearGradientUnderflowCounts_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<bool>("underflows");
    QTest::newRow("fp16-amp") << "fp16-amp" << true;
    QTest::newRow("fp16-pure") << "fp16-pure" << true;
    QTest::newRow("bf16-amp") << "bf16-amp" << false;
  }
  void linearGradientUnderflowCounts() {
    QFETCH(QString, mode);
    QFETCH(bool, underflows);
    ExecContext ctx = contextFor(*parsePrecisionMode(mode.toStdString()));
    std::mt19937_64 rng(37);
    Linear fc("fc", 6, 4, rng);
    for (auto* p : fc.parameters()) p->value = randomTensor(p->value.shape, rng, 0.5, 1.0);
    prepareParameters(fc, ctx.policy);
    Tensor x = randomTensor({3, 6}, rng, 0.5, 1.0);  // positive: no cancellation to 0
    ctx.roundOutput(x);
    Tensor y, dx;
    fc.forward(x, y, ctx);
    Tensor dy({3, 4}, 1e-9f);  // products ~1e-9: below fp16's 2^-24, fine for bf16
    ctx.grad_counts = {};
    fc.backward(x, y, dy, &dx, ctx);
    const std::int64_t elements = 4 * 6 + 4 + 3 * 6;
    QCOMPARE(ctx.grad_counts.total, elements);
    QCOMPARE(ctx.grad_counts.underflow, underflows ? elements : 0);
    QCOMPARE(ctx.grad_counts.overflow, std::int64_t{0});
    const auto params = fc.parameters();
    for (float v : params[0]->grad.data) QCOMPARE(v == 0.0f, underflows);
    for (float v : params[1]->grad.data) QCOMPARE(v == 0.0f, underflows);
    for (float v : dx.data) QCOMPARE(v == 0.0f, underflows);
  }

  void fp32AndTf32DoNotRoundOrCountGradients_data() {
    QTest::addColumn<QString>("mode");
    QTest::newRow("fp32") << "fp32";
    QTest::newRow("tf32") << "tf32";
  }
  void fp32AndTf32DoNotRoundOrCountGradients() {
    QFETCH(QString, mode);
    ExecContext ctx = contextFor(*parsePrecisionMode(mode.toStdString()));
    std::mt19937_64 rng(47);
    Activation relu("relu", ActivationKind::ReLU);
    const Tensor x({2, 8}, 1.0f);
    Tensor y, dx;
    relu.forward(x, y, ctx);
    const Tensor dy({2, 8}, 1e-42f);  // an fp32 subnormal: kept as it is
    relu.backward(x, y, dy, &dx, ctx);
    QVERIFY(dx.format == Format::FP32);
    for (float v : dx.data) QVERIFY(v == 1e-42f);
    QCOMPARE(ctx.grad_counts.total, std::int64_t{0});
    QCOMPARE(ctx.grad_counts.underflow, std::int64_t{0});
  }

  // ---- TF32 -----------------------------------------------------------------------
  // Outputs stay fp32 but equal a GEMM of TF32-rounded inputs (fp32 accumulate); the
  // backward GEMMs read TF32-rounded operands too.
  void tf32LinearIsGemmOfRoundedInputs() {
    ExecContext ctx = contextFor(PrecisionMode::TF32);
    QVERIFY(ctx.policy.compute == Format::FP32);
    QVERIFY(ctx.policy.gemm_input == Format::TF32);
    std::mt19937_64 rng(57);
    const std::int64_t n = 5, in = 33, out = 7;
    Linear fc("fc", in, out, rng);
    const auto params = fc.parameters();
    for (auto* p : params) p->value = randomTensor(p->value.shape, rng);
    const Tensor x = randomTensor({n, in}, rng);
    Tensor y, dx;
    fc.forward(x, y, ctx);
    QVERIFY(y.format == Format::FP32);

    auto tf32 = [](const std::vector<float>& v) {
      std::vector<float> r(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) r[i] = roundToFormat(Format::TF32, v[i]);
      return r;
    };
    const auto xt = tf32(x.data), wt = tf32(params[0]->value.data);
    std::vector<float> want(static_cast<std::size_t>(n * out));
    for (std::int64_t r = 0; r < n; ++r)
      for (std::int64_t o = 0; o < out; ++o) want[r * out + o] = params[1]->value.data[o];
    cpu::gemm(false, true, n, out, in, 1.0f, xt.data(), wt.data(), 1.0f, want.data());
    QCOMPARE(y.data, want);

    // Plain fp32 inputs give a different result (the inputs have full mantissas), and the
    // output is not itself rounded to TF32.
    ExecContext fp32 = contextFor(PrecisionMode::FP32);
    Tensor y32;
    fc.forward(x, y32, fp32);
    QVERIFY(y32.data != y.data);
    int not_tf32 = 0;
    for (float v : y.data) not_tf32 += roundToFormat(Format::TF32, v) != v;
    QVERIFY(not_tf32 > 0);

    fc.forward(x, y, ctx);
    const Tensor dy = randomTensor({n, out}, rng);
    fc.backward(x, y, dy, &dx, ctx);
    const auto dyt = tf32(dy.data);
    std::vector<float> dw(static_cast<std::size_t>(out * in)), dxw(static_cast<std::size_t>(n * in));
    cpu::gemm(true, false, out, in, n, 1.0f, dyt.data(), xt.data(), 0.0f, dw.data());
    cpu::gemm(false, false, n, in, out, 1.0f, dyt.data(), wt.data(), 0.0f, dxw.data());
    QCOMPARE(params[0]->grad.data, dw);
    QCOMPARE(dx.data, dxw);
    QVERIFY(dx.format == Format::FP32);
  }

  void tf32ConvMatchesDirectConvolutionOfRoundedInputs() {
    ExecContext ctx = contextFor(PrecisionMode::TF32);
    std::mt19937_64 rng(67);
    Conv2d conv("conv", 3, 4, 3, 2, 1, rng);
    const auto params = conv.parameters();
    for (auto* p : params) p->value = randomTensor(p->value.shape, rng);
    const Tensor x = randomTensor({2, 3, 7, 6}, rng);
    Tensor y;
    conv.forward(x, y, ctx);
    QVERIFY(y.format == Format::FP32);
    // Direct convolution in double with TF32-rounded (or unrounded) operands.
    auto direct = [&](bool round) {
      auto r = [&](float v) { return static_cast<double>(round ? roundToFormat(Format::TF32, v) : v); };
      std::vector<double> out;
      const auto& w = params[0]->value.data;
      for (int i = 0; i < 2; ++i)
        for (int o = 0; o < 4; ++o)
          for (int oy = 0; oy < 4; ++oy)
            for (int ox = 0; ox < 3; ++ox) {
              double s = params[1]->value.data[o];
              for (int c = 0; c < 3; ++c)
                for (int ky = 0; ky < 3; ++ky)
                  for (int kx = 0; kx < 3; ++kx) {
                    const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                    if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                    s += r(x.data[((i * 3 + c) * 7 + iy) * 6 + ix]) * r(w[((o * 3 + c) * 3 + ky) * 3 + kx]);
                  }
              out.push_back(s);
            }
      return out;
    };
    const auto want_tf32 = direct(true), want_fp32 = direct(false);
    QCOMPARE(y.data.size(), want_tf32.size());
    double err_tf32 = 0, err_fp32 = 0;
    for (std::size_t i = 0; i < y.data.size(); ++i) {
      err_tf32 = std::max(err_tf32, std::fabs(y.data[i] - want_tf32[i]));
      err_fp32 = std::max(err_fp32, std::fabs(y.data[i] - want_fp32[i]));
    }
    QVERIFY2(err_tf32 < 5e-6, qPrintable(QString("max error vs TF32-input reference %1").arg(err_tf32)));
    QVERIFY2(err_fp32 > 1e-4, qPrintable(QString("max error vs fp32 reference only %1").arg(err_fp32)));
  }

  // Elementwise ops are not GEMMs: TF32 mode leaves them bit-identical to fp32.
  void tf32LeavesElementwiseOpsAlone() {
    std::mt19937_64 rng(77);
    const Tensor x = randomTensor({4, 25}, rng, -3, 3);
    for (auto kind : {ActivationKind::ReLU, ActivationKind::GELU, ActivationKind::Tanh,
                      ActivationKind::Sigmoid}) {
      Activation act("act", kind);
      ExecContext c32 = contextFor(PrecisionMode::FP32), ct = contextFor(PrecisionMode::TF32);
      Tensor a, b;
      act.forward(x, a, c32);
      act.forward(x, b, ct);
      QCOMPARE(a.data, b.data);
    }
    BatchNorm bn32("bn", 25), bnt("bn", 25);
    ExecContext c32 = contextFor(PrecisionMode::FP32), ct = contextFor(PrecisionMode::TF32);
    Tensor a, b;
    bn32.forward(x, a, c32);
    bnt.forward(x, b, ct);
    QCOMPARE(a.data, b.data);
  }

  // ---- the loss gradient --------------------------------------------------------------
  // Loss in fp32 (same value in every mode); the gradient is multiplied by grad_scale in
  // fp32 and then rounded once to the compute format.
  void lossGradientIsScaledThenRounded_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("loss");
    QTest::addColumn<double>("scale");
    for (const char* mode : {"fp16-amp", "bf16-amp", "fp16-pure"})
      for (const char* loss : {"cross-entropy", "mse"})
        for (double scale : {1.0, 1024.0, 1000.0, 65536.0}) {
          const std::string row = std::string(mode) + " " + loss + " S=" + std::to_string(static_cast<int>(scale));
          QTest::newRow(row.c_str()) << QString(mode) << QString(loss) << scale;
        }
  }
  void lossGradientIsScaledThenRounded() {
    QFETCH(QString, mode);
    QFETCH(QString, loss);
    QFETCH(double, scale);
    ExecContext low = contextFor(*parsePrecisionMode(mode.toStdString()));
    ExecContext fp32 = contextFor(PrecisionMode::FP32);
    const Format f = low.policy.compute;
    std::mt19937_64 rng(87);
    const Tensor logits = roundedRandom({8, 5}, rng, f, -3, 3);
    const std::vector<std::int32_t> labels{0, 1, 2, 3, 4, 0, 1, 2};
    auto run = [&](ExecContext& ctx, double s, Tensor& d) {
      return loss == "mse" ? mseOneHot(logits, labels, s, &d, ctx)
                           : softmaxCrossEntropy(logits, labels, s, &d, ctx);
    };
    Tensor d_low, d_ref, d_one;
    const LossResult r_low = run(low, scale, d_low);
    const LossResult r_ref = run(fp32, scale, d_ref);
    run(fp32, 1.0, d_one);
    QCOMPARE(r_low.loss, r_ref.loss);  // the loss itself is fp32 and unscaled
    QCOMPARE(r_low.correct, r_ref.correct);
    QVERIFY(d_low.format == f);
    for (std::size_t i = 0; i < d_low.data.size(); ++i) {
      QVERIFY2(d_low.data[i] == roundToFormat(f, d_ref.data[i]),
               qPrintable(QString("element %1: %2 vs rounded fp32 gradient %3")
                              .arg(i).arg(d_low.data[i]).arg(roundToFormat(f, d_ref.data[i]))));
      // ...and the fp32 gradient carries the scale.
      QVERIFY(std::fabs(d_ref.data[i] - scale * d_one.data[i]) <= 1e-6 * scale * (1 + std::fabs(d_one.data[i])));
    }
    if (scale == 1024.0)  // a power of two scales exactly
      for (std::size_t i = 0; i < d_low.data.size(); ++i)
        QVERIFY(d_low.data[i] == roundToFormat(f, d_one.data[i] * 1024.0f));
  }

  // A tiny loss scale makes the loss gradient underflow in fp16: counted per element.
  void tinyLossScaleUnderflowsInFp16() {
    ExecContext ctx = contextFor(PrecisionMode::FP16Amp);
    std::mt19937_64 rng(97);
    const Tensor logits = roundedRandom({4, 3}, rng, Format::FP16);
    Tensor d;
    ctx.grad_counts = {};
    softmaxCrossEntropy(logits, {0, 1, 2, 0}, std::ldexp(1.0, -30), &d, ctx);
    QCOMPARE(ctx.grad_counts.total, std::int64_t{12});
    QCOMPARE(ctx.grad_counts.underflow, std::int64_t{12});
    for (float v : d.data) QVERIFY(v == 0.0f);
    // A huge one overflows the entries whose |p - onehot| * S / N exceeds 65504.
    ctx.grad_counts = {};
    softmaxCrossEntropy(logits, {0, 1, 2, 0}, std::ldexp(1.0, 24), &d, ctx);
    std::int64_t infs = 0;
    for (float v : d.data) infs += std::isinf(v);
    QVERIFY(infs > 0);
    QCOMPARE(ctx.grad_counts.overflow, infs);
  }
};

QTEST_APPLESS_MAIN(TestPrecisionSemantics)
#include "test_precision_semantics.moc"
