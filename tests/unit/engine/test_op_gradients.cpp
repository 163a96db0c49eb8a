// Every CPU op checked against central finite differences (DESIGN 2: each op is a plain
// forward/backward pair with a finite-difference test), in the fp32 policy, through the
// probe loss L = sum(w_i * y_i) with random fixed w. Forward values of Linear and Conv2d
// are also checked against naive reference loops.
#include <QtTest>

#include <cmath>
#include <memory>
#include <random>

#include "engine/model/activation.hpp"
#include "engine/model/batch_norm.hpp"
#include "engine/model/conv2d.hpp"
#include "engine/model/dropout.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/linear.hpp"
#include "engine/model/loss.hpp"
#include "engine/model/max_pool2d.hpp"
#include "engine/model/graph.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/model/model_plan.hpp"
#include "engine_test_support.hpp"

using namespace halflab;
using namespace halflab::testing;

namespace {

// y[n, o] = b[o] + sum_i x[n, i] * W[o, i], in double.
std::vector<double> naiveLinear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const auto n = x.dim(0), in = x.dim(1), out = w.dim(0);
  std::vector<double> y(static_cast<std::size_t>(n * out));
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t o = 0; o < out; ++o) {
      double s = b.data[o];
      for (std::int64_t i = 0; i < in; ++i) s += static_cast<double>(x.data[r * in + i]) * w.data[o * in + i];
      y[r * out + o] = s;
    }
  return y;
}

// Direct convolution (no im2col), NCHW input, OIHW weights, zero padding, in double.
std::vector<double> directConv(const Tensor& x, const Tensor& w, const Tensor& b,
                               std::int64_t stride, std::int64_t pad) {
  const auto n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const auto oc = w.dim(0), k = w.dim(2);
  const auto oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
  std::vector<double> y(static_cast<std::size_t>(n * oc * oh * ow));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t o = 0; o < oc; ++o)
      for (std::int64_t oy = 0; oy < oh; ++oy)
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          double s = b.data[o];
          for (std::int64_t ch = 0; ch < c; ++ch)
            for (std::int64_t ky = 0; ky < k; ++ky)
              for (std::int64_t kx = 0; kx < k; ++kx) {
                const auto iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += static_cast<double>(x.data[((i * c + ch) * h + iy) * wd + ix]) *
                     w.data[((o * c + ch) * k + ky) * k + kx];
              }
          y[((i * oc + o) * oh + oy) * ow + ox] = s;
        }
  return y;
}

std::string compareValues(const std::vector<float>& got, const std::vector<double>& want,
                          double tol) {
  if (got.size() != want.size())
    return "size " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= tol * (1.0 + std::fabs(want[i]))))
      return "element " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs reference " +
             std::to_string(want[i]);
  return {};
}

void randomiseParameters(Layer& layer, std::mt19937_64& rng, double lo, double hi) {
  for (auto* p : layer.parameters()) p->value = randomTensor(p->value.shape, rng, lo, hi);
}

void addConvColumns() {
  QTest::addColumn<int>("batch");
  QTest::addColumn<int>("inC");
  QTest::addColumn<int>("outC");
  QTest::addColumn<int>("height");
  QTest::addColumn<int>("width");
  QTest::addColumn<int>("kernel");
  QTest::addColumn<int>("stride");
  QTest::addColumn<int>("padding");
  QTest::newRow("k1 s1 p0 1->1") << 2 << 1 << 1 << 4 << 4 << 1 << 1 << 0;
  QTest::newRow("k3 s1 p0 2->3 5x6") << 2 << 2 << 3 << 5 << 6 << 3 << 1 << 0;
  QTest::newRow("k3 s1 p1 3->2 6x4") << 2 << 3 << 2 << 6 << 4 << 3 << 1 << 1;
  QTest::newRow("k3 s2 p1 2->4 7x5") << 2 << 2 << 4 << 7 << 5 << 3 << 2 << 1;
  QTest::newRow("k5 s1 p2 3->2 6x7") << 1 << 3 << 2 << 6 << 7 << 5 << 1 << 2;
  QTest::newRow("k3 s2 p2 1->3 5x8") << 2 << 1 << 3 << 5 << 8 << 3 << 2 << 2;
  QTest::newRow("k2 s2 p0 4->5 6x6") << 3 << 4 << 5 << 6 << 6 << 2 << 2 << 0;
  QTest::newRow("k3 s2 p0 2->2 7x9") << 1 << 2 << 2 << 7 << 9 << 3 << 2 << 0;
  QTest::newRow("k4 s2 p1 3->6 8x5") << 2 << 3 << 6 << 8 << 5 << 4 << 2 << 1;
}

}  // namespace

class TestOpGradients : public QObject {
  Q_OBJECT

 private slots:
  // ---- Linear ------------------------------------------------------------------------
  void linearGradients_data() {
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("in");
    QTest::addColumn<int>("out");
    QTest::newRow("1x1->1") << 1 << 1 << 1;
    QTest::newRow("4x5->3") << 4 << 5 << 3;
    QTest::newRow("7x3->8") << 7 << 3 << 8;
    QTest::newRow("2x16->10") << 2 << 16 << 10;
  }
  void linearGradients() {
    QFETCH(int, batch);
    QFETCH(int, in);
    QFETCH(int, out);
    std::mt19937_64 rng(11);
    Linear layer("fc", in, out, rng);
    randomiseParameters(layer, rng, -1, 1);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({batch, in}, rng);
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-2, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  void linearForwardMatchesNaiveLoop() {
    std::mt19937_64 rng(12);
    Linear layer("fc", 13, 7, rng);
    randomiseParameters(layer, rng, -1, 1);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({5, 13}, rng);
    Tensor y;
    layer.forward(x, y, ctx);
    QCOMPARE(y.shape, (Shape{5, 7}));
    const auto params = layer.parameters();
    QCOMPARE(params.size(), std::size_t{2});
    QCOMPARE(params[0]->name, std::string("fc.weight"));
    QCOMPARE(params[1]->name, std::string("fc.bias"));
    const std::string err = compareValues(y.data, naiveLinear(x, params[0]->value, params[1]->value), 1e-5);
    QVERIFY2(err.empty(), err.c_str());
  }

  // ---- Conv2d ------------------------------------------------------------------------
  void conv2dGradients_data() { addConvColumns(); }
  void conv2dGradients() {
    QFETCH(int, batch);
    QFETCH(int, inC);
    QFETCH(int, outC);
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, kernel);
    QFETCH(int, stride);
    QFETCH(int, padding);
    std::mt19937_64 rng(21 + kernel * 7 + stride * 3 + padding);
    Conv2d layer("conv", inC, outC, kernel, stride, padding, rng);
    randomiseParameters(layer, rng, -0.5, 0.5);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({batch, inC, height, width}, rng);
    Tensor y;
    layer.forward(x, y, ctx);
    const Shape expect{batch, outC, (height + 2 * padding - kernel) / stride + 1,
                       (width + 2 * padding - kernel) / stride + 1};
    QCOMPARE(y.shape, expect);
    QCOMPARE(layer.outputShape(x.shape), expect);
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-2, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  void conv2dForwardMatchesDirectConvolution_data() { addConvColumns(); }
  void conv2dForwardMatchesDirectConvolution() {
    QFETCH(int, batch);
    QFETCH(int, inC);
    QFETCH(int, outC);
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, kernel);
    QFETCH(int, stride);
    QFETCH(int, padding);
    std::mt19937_64 rng(31);
    Conv2d layer("conv", inC, outC, kernel, stride, padding, rng);
    randomiseParameters(layer, rng, -1, 1);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({batch, inC, height, width}, rng);
    Tensor y;
    layer.forward(x, y, ctx);
    const auto params = layer.parameters();
    QCOMPARE(params[0]->value.shape, (Shape{outC, inC, kernel, kernel}));
    const std::string err =
        compareValues(y.data, directConv(x, params[0]->value, params[1]->value, stride, padding), 1e-5);
    QVERIFY2(err.empty(), err.c_str());
  }

  // ---- MaxPool2d / Flatten -------------------------------------------------------------
  void maxPoolGradients_data() {
    QTest::addColumn<int>("kernel");
    QTest::addColumn<int>("stride");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::newRow("k2 s2 6x4") << 2 << 2 << 6 << 4;
    QTest::newRow("k2 s2 odd 7x5 (edge dropped)") << 2 << 2 << 7 << 5;
    QTest::newRow("k3 s2 overlapping 7x7") << 3 << 2 << 7 << 7;
    QTest::newRow("k2 s1 overlapping 5x6") << 2 << 1 << 5 << 6;
  }
  void maxPoolGradients() {
    QFETCH(int, kernel);
    QFETCH(int, stride);
    QFETCH(int, height);
    QFETCH(int, width);
    std::mt19937_64 rng(41);
    MaxPool2d layer("pool", kernel, stride);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    // Values 0.02 apart, perturbation 1e-3: no argmax changes inside the difference.
    const Tensor x = distinctTensor({2, 3, height, width}, rng, 0.02);
    Tensor y;
    layer.forward(x, y, ctx);
    QCOMPARE(y.shape, (Shape{2, 3, (height - kernel) / stride + 1, (width - kernel) / stride + 1}));
    // Every output is the maximum of its window.
    for (std::int64_t plane = 0; plane < 6; ++plane)
      for (std::int64_t oy = 0; oy < y.dim(2); ++oy)
        for (std::int64_t ox = 0; ox < y.dim(3); ++ox) {
          float best = -1e30f;
          for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx)
              best = std::max(best, x.data[(plane * height + oy * stride + ky) * width + ox * stride + kx]);
          QCOMPARE(y.data[(plane * y.dim(2) + oy) * y.dim(3) + ox], best);
        }
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-3, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  void flattenGradients() {
    std::mt19937_64 rng(51);
    Flatten layer("flatten");
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({3, 2, 4, 5}, rng);
    Tensor y;
    layer.forward(x, y, ctx);
    QCOMPARE(y.shape, (Shape{3, 40}));
    QCOMPARE(y.data, x.data);
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-2, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  // ---- Activations -------------------------------------------------------------------
  void activationGradients_data() {
    QTest::addColumn<QString>("kind");
    for (const char* k : {"relu", "gelu", "tanh", "sigmoid"}) QTest::newRow(k) << QString(k);
  }
  void activationGradients() {
    QFETCH(QString, kind);
    const auto k = parseActivation(kind.toStdString());
    QVERIFY(k.has_value());
    QCOMPARE(QString::fromStdString(std::string(activationName(*k))), kind);
    std::mt19937_64 rng(61);
    Activation layer("act", *k);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    // Spread over [-3.1, 3.1], nothing within 0.05 of 0 (ReLU's kink).
    const Tensor x = distinctTensor({4, 31}, rng, 0.05);
    Tensor y;
    layer.forward(x, y, ctx);
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      const double v = x.data[i];
      double want = 0;
      switch (*k) {
        case ActivationKind::ReLU: want = v > 0 ? v : 0; break;
        case ActivationKind::GELU: want = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); break;
        case ActivationKind::Tanh: want = std::tanh(v); break;
        case ActivationKind::Sigmoid: want = 1 / (1 + std::exp(-v)); break;
      }
      QVERIFY2(std::fabs(y.data[i] - want) <= 1e-6, qPrintable(QString("x=%1: %2 vs %3").arg(v).arg(y.data[i]).arg(want)));
    }
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-3, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  void unknownActivationIsRejected() {
    QVERIFY(!parseActivation("swish").has_value());
    QVERIFY(!parseActivation("ReLU").has_value());
  }

  // ---- Dropout -----------------------------------------------------------------------
  void dropoutGradients_data() {
    QTest::addColumn<double>("p");
    QTest::newRow("p=0.3") << 0.3;
    QTest::newRow("p=0.5") << 0.5;
    QTest::newRow("p=0.9") << 0.9;
  }
  void dropoutGradients() {
    QFETCH(double, p);
    std::mt19937_64 rng(71);
    Dropout layer("drop", p);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({16, 64}, rng, 0.5, 1.5);  // never zero: kept <=> y != 0
    // Same rng seed before every forward: the perturbed forwards share one mask.
    auto reseed = [&] { ctx.rng.seed(1234); };
    reseed();
    Tensor y;
    layer.forward(x, y, ctx);
    const float keep_scale = static_cast<float>(1.0 / (1.0 - p));
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      if (y.data[i] == 0.0f) ++dropped;
      else QCOMPARE(y.data[i], x.data[i] * keep_scale);
    }
    const double frac = static_cast<double>(dropped) / static_cast<double>(x.data.size());
    QVERIFY2(std::fabs(frac - p) < 0.06, qPrintable(QString("dropped fraction %1 for p=%2").arg(frac).arg(p)));
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-2, {}, reseed);
    QVERIFY2(err.empty(), err.c_str());
  }

  void dropoutIsIdentityInEval() {
    std::mt19937_64 rng(72);
    Dropout layer("drop", 0.5);
    ExecContext ctx = contextFor(PrecisionMode::FP32, /*training=*/false);
    const Tensor x = randomTensor({4, 8}, rng);
    Tensor y, dx;
    layer.forward(x, y, ctx);
    QCOMPARE(y.data, x.data);
    const Tensor dy = randomTensor({4, 8}, rng);
    layer.backward(x, y, dy, &dx, ctx);
    QCOMPARE(dx.data, dy.data);
  }

  // ---- BatchNorm ---------------------------------------------------------------------
  void batchNormGradients_data() {
    QTest::addColumn<bool>("spatial");
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("channels");
    QTest::newRow("1d N=8 C=5") << false << 8 << 5;
    QTest::newRow("1d N=3 C=2") << false << 3 << 2;
    QTest::newRow("2d N=2 C=3 4x5") << true << 2 << 3;
    QTest::newRow("2d N=1 C=4 4x5") << true << 1 << 4;
  }
  void batchNormGradients() {
    QFETCH(bool, spatial);
    QFETCH(int, batch);
    QFETCH(int, channels);
    std::mt19937_64 rng(81);
    BatchNorm layer("bn", channels);
    randomiseParameters(layer, rng, 0.5, 1.5);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Shape shape = spatial ? Shape{batch, channels, 4, 5} : Shape{batch, channels};
    const Tensor x = randomTensor(shape, rng, -2, 3);
    Tensor y;
    layer.forward(x, y, ctx);
    // Training mode: per channel, (y - beta)/gamma has mean 0 and (biased) variance ~1.
    const auto params = layer.parameters();
    const std::int64_t per = shapeSize(shape) / (batch * channels);
    for (int c = 0; c < channels; ++c) {
      double s = 0, sq = 0;
      for (int i = 0; i < batch; ++i)
        for (std::int64_t j = 0; j < per; ++j) {
          const double v = (y.data[(i * channels + c) * per + j] - params[1]->value.data[c]) /
                           params[0]->value.data[c];
          s += v;
          sq += v * v;
        }
      const double m = static_cast<double>(batch * per);
      QVERIFY(std::fabs(s / m) < 1e-5);
      QVERIFY(std::fabs(sq / m - 1.0) < 1e-3);
    }
    const std::string err = checkLayerGradients(layer, x, ctx, rng, 1e-2, {});
    QVERIFY2(err.empty(), err.c_str());
  }

  void batchNormRunningStatisticsAndEval() {
    std::mt19937_64 rng(82);
    BatchNorm layer("bn", 2, /*momentum=*/0.1);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({6, 2, 3, 3}, rng, 1, 4);
    Tensor y;
    layer.forward(x, y, ctx);
    for (int c = 0; c < 2; ++c) {
      double s = 0, sq = 0;
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 9; ++j) {
          const double v = x.data[(i * 2 + c) * 9 + j];
          s += v;
          sq += v * v;
        }
      const double mean = s / 54, var = sq / 54 - mean * mean;
      QVERIFY(std::fabs(layer.runningMean()[c] - 0.1 * mean) < 1e-5);
      QVERIFY(std::fabs(layer.runningVar()[c] - (0.9 + 0.1 * var * 54 / 53)) < 1e-5);  // unbiased
    }
    // Eval uses the running statistics: y = (x - rm) / sqrt(rv + eps).
    ctx.training = false;
    layer.forward(x, y, ctx);
    for (std::size_t k = 0; k < x.data.size(); ++k) {
      const int c = static_cast<int>((k / 9) % 2);
      const double want = (x.data[k] - layer.runningMean()[c]) / std::sqrt(layer.runningVar()[c] + 1e-5);
      QVERIFY(std::fabs(y.data[k] - want) < 1e-5);
    }
  }

  // ---- Losses ------------------------------------------------------------------------
  void softmaxCrossEntropyGradient() {
    std::mt19937_64 rng(91);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    Tensor logits = randomTensor({6, 5}, rng, -3, 3);
    const std::vector<std::int32_t> labels{0, 4, 2, 2, 1, 3};
    Tensor d;
    const LossResult r = softmaxCrossEntropy(logits, labels, 1.0, &d, ctx);
    // Reference loss in double.
    double ref = 0;
    std::int64_t correct = 0;
    for (int i = 0; i < 6; ++i) {
      double mx = -1e30, s = 0;
      int arg = 0;
      for (int j = 0; j < 5; ++j)
        if (logits.data[i * 5 + j] > mx) { mx = logits.data[i * 5 + j]; arg = j; }
      for (int j = 0; j < 5; ++j) s += std::exp(logits.data[i * 5 + j] - mx);
      ref += std::log(s) + mx - logits.data[i * 5 + labels[i]];
      correct += arg == labels[i];
    }
    QVERIFY(std::fabs(r.loss - ref / 6) < 1e-6);
    QCOMPARE(r.correct, correct);
    auto loss = [&] { return softmaxCrossEntropy(logits, labels, 1.0, nullptr, ctx).loss; };
    std::string err = compareGradients("dlogits", d.data, numericGradient(logits.data, 1e-3, loss), {});
    QVERIFY2(err.empty(), err.c_str());
    // The gradient carries grad_scale; the reported loss does not.
    Tensor d3;
    const LossResult r3 = softmaxCrossEntropy(logits, labels, 3.0, &d3, ctx);
    QCOMPARE(r3.loss, r.loss);
    for (std::size_t i = 0; i < d.data.size(); ++i) QVERIFY(std::fabs(d3.data[i] - 3 * d.data[i]) < 1e-6);
  }

  void softmaxCrossEntropyIsStableForLargeLogits() {
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    Tensor logits({2, 3});
    logits.data = {1000.0f, 0.0f, -1000.0f, 80.0f, 90.0f, 100.0f};
    Tensor d;
    const LossResult r = softmaxCrossEntropy(logits, {0, 0}, 1.0, &d, ctx);
    QVERIFY(std::isfinite(r.loss));
    QVERIFY(std::fabs(r.loss - 10.0) < 1e-3);  // (0 + 20) / 2
    for (float v : d.data) QVERIFY(std::isfinite(v));
  }

  void mseOneHotGradient() {
    std::mt19937_64 rng(92);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    Tensor out = randomTensor({5, 4}, rng, -1, 2);
    const std::vector<std::int32_t> labels{3, 0, 1, 1, 2};
    Tensor d;
    const LossResult r = mseOneHot(out, labels, 1.0, &d, ctx);
    double ref = 0;
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 4; ++j) {
        const double diff = out.data[i * 4 + j] - (j == labels[i] ? 1.0 : 0.0);
        ref += diff * diff;
      }
    QVERIFY(std::fabs(r.loss - ref / 20) < 1e-6);
    auto loss = [&] { return mseOneHot(out, labels, 1.0, nullptr, ctx).loss; };
    const std::string err = compareGradients("doutputs", d.data, numericGradient(out.data, 1e-2, loss), {});
    QVERIFY2(err.empty(), err.c_str());
  }

  // ---- A whole model -----------------------------------------------------------------
  void sequentialConvBnReluPoolFlattenLinear() {
    std::mt19937_64 rng(101);
    Graph model;
    model.add(std::make_unique<Conv2d>("conv1", 2, 4, 3, 1, 1, rng));
    model.add(std::make_unique<BatchNorm>("bn1", 4));
    model.add(std::make_unique<Activation>("relu1", ActivationKind::ReLU));
    model.add(std::make_unique<MaxPool2d>("pool1", 2, 2));
    model.add(std::make_unique<Flatten>("flatten"));
    model.add(std::make_unique<Linear>("fc", 4 * 3 * 2, 3, rng));
    QCOMPARE(model.outputShape({4, 2, 6, 5}), (Shape{4, 3}));
    for (auto* p : model.parameters())
      if (p->name == "bn1.weight") p->value = randomTensor(p->value.shape, rng, 0.5, 1.5);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({4, 2, 6, 5}, rng);
    const std::vector<std::int32_t> labels{0, 2, 1, 2};

    const Tensor& out = model.forward(x, ctx);
    QCOMPARE(out.shape, (Shape{4, 3}));
    Tensor dlogits;
    softmaxCrossEntropy(out, labels, 1.0, &dlogits, ctx);
    model.backward(dlogits, ctx);
    QCOMPARE(model.inputGradient(1).shape, (Shape{4, 4, 6, 5}));  // d loss / d conv1 output

    auto loss = [&] {
      const Tensor& o = model.forward(x, ctx);
      return softmaxCrossEntropy(o, labels, 1.0, nullptr, ctx).loss;
    };
    const auto params = model.parameters();
    QCOMPARE(params.size(), std::size_t{6});
    for (auto* p : params) {
      const std::vector<float> analytic = p->grad.data;
      const std::string err =
          compareGradients(p->name, analytic, numericGradient(p->value.data, 1e-3, loss), {});
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  // ---- A graph: fan-out, add, concat --------------------------------------------------
  // The input of fc_a feeds three nodes, and both branches join: the gradients that reach
  // it add up, and every parameter's gradient matches finite differences.
  void graphWithFanOutAddAndConcat() {
    using nlohmann::json;
    const std::vector<NodeSpec> nodes{
        {"linear", "stem", {}, {{"units", 6}}},
        {"activation", "stem_act", {}, {{"function", "tanh"}}},
        {"linear", "branch_a", {"stem_act"}, {{"units", 6}}},
        {"activation", "branch_a_act", {}, {{"function", "sigmoid"}}},
        {"linear", "branch_b", {"stem_act"}, {{"units", 6}}},
        {"add", "residual", {"branch_a_act", "branch_b", "stem_act"}, json::object()},
        {"concat", "joined", {"residual", "stem_act"}, json::object()},
        {"linear", "head", {}, {{"units", 3}}},
    };
    const ModelPlan plan = planNodes(nodes, {5});
    QCOMPARE(plan.output(), (Shape{1, 3}));
    QCOMPARE(plan.layers[6].out, (Shape{1, 12}));
    Graph model = buildModel(plan, 1.0, 11);
    QCOMPARE(model.inputsOf(5), (std::vector<int>{4, 5, 2}));
    std::mt19937_64 rng(5);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    const Tensor x = randomTensor({4, 5}, rng);
    const std::vector<std::int32_t> labels{0, 2, 1, 2};
    const Tensor& out = model.forward(x, ctx);
    Tensor dlogits;
    softmaxCrossEntropy(out, labels, 1.0, &dlogits, ctx);
    model.backward(dlogits, ctx);
    QVERIFY(model.valueGradient(0).data.empty());  // nothing trainable below the input
    QCOMPARE(model.valueGradient(2).shape, (Shape{4, 6}));  // stem_act: four consumers
    auto loss = [&] {
      const Tensor& o = model.forward(x, ctx);
      return softmaxCrossEntropy(o, labels, 1.0, nullptr, ctx).loss;
    };
    const auto params = model.parameters();
    QCOMPARE(params.size(), std::size_t{8});
    for (auto* p : params) {
      const std::vector<float> analytic = p->grad.data;
      const std::string err = compareGradients(p->name, analytic, numericGradient(p->value.data, 1e-3, loss), {});
      QVERIFY2(err.empty(), err.c_str());
    }
  }
};

QTEST_APPLESS_MAIN(TestOpGradients)
#include "test_op_gradients.moc"
