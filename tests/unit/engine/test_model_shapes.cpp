// Shape inference before anything is allocated: checked element counts, sliding windows
// that must fit their input, the model plan of every preset (and that the built model
// agrees with it), and Trainer::prepare refusing a model that does not fit its data.
#include <QtTest>

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include "engine/data/dataset.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/max_pool2d.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/model/shape_inference.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

namespace {

// The message of the exception `f` throws as E, or a marker saying what happened instead.
template <typename E, typename F>
std::string errorOf(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<other exception: ") + e.what() + ">";
  }
  return "<no error>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

ModelConfig preset(const std::string& name, std::vector<int> channels = {}) {
  ModelConfig m;
  m.preset = name;
  m.hidden = name == "mlp" ? std::vector<int>{16, 8} : name == "lenet" ? std::vector<int>{120, 84} : std::vector<int>{};
  m.channels = std::move(channels);
  return m;
}

// `n` images of c x side x side, every label 0.
std::shared_ptr<DataSplit> imageSplit(int c, int side, int n = 4) {
  auto split = std::make_shared<DataSplit>();
  for (Dataset* d : {&split->train, &split->test}) {
    d->name = "tiny";
    d->num_classes = 10;
    d->inputs = Tensor({n, c, side, side}, 0.5f);
    d->labels.assign(static_cast<std::size_t>(n), 0);
  }
  return split;
}

RunConfig imageConfig(const std::string& model, std::vector<int> channels) {
  RunConfig cfg;
  cfg.dataset.kind = "fashion-mnist";
  cfg.model = preset(model, std::move(channels));
  cfg.training.batch_size = 2;
  cfg.training.max_steps = 1;
  return cfg;
}

}  // namespace

class TestModelShapes : public QObject {
  Q_OBJECT

 private slots:
  void shapeSizeIsChecked() {
    QCOMPARE(shapeSize({}), std::int64_t{1});
    QCOMPARE(shapeSize({3, 0, 5}), std::int64_t{0});
    QCOMPARE(shapeSize({1 << 20, 1 << 20, 1 << 20}), std::int64_t{1} << 60);
    // 2^32 x 2^32 wraps to 0 in int64 arithmetic: a tiny buffer for a huge shape.
    QVERIFY(contains(errorOf<ShapeError>([] { shapeSize({std::int64_t{1} << 32, std::int64_t{1} << 32}); }),
                     "[4294967296x4294967296]: its element count overflows 64 bits"));
    QVERIFY(contains(errorOf<ShapeError>([] { shapeSize({4, -1}); }), "[4x-1] has a negative dimension"));
    QVERIFY(contains(errorOf<ShapeError>([] { Tensor t({std::int64_t{1} << 40, std::int64_t{1} << 40}); }),
                     "overflows 64 bits"));
    Tensor t({2, 2});
    QVERIFY(contains(errorOf<ShapeError>([&] { t.reshapeTo({-3}); }), "negative dimension"));
    QCOMPARE(t.shape, (Shape{2, 2}));  // a refused reshape leaves the tensor as it was
  }

  void windowsMustFitTheirInput() {
    QCOMPARE(windowOutputSize("pool", {32, 32}, {2, 2, 0}).h, std::int64_t{16});
    QCOMPARE(windowOutputSize("pool", {3, 5}, {2, 2, 0}).w, std::int64_t{2});
    QCOMPARE(windowOutputSize("conv", {1, 1}, {3, 1, 1}).h, std::int64_t{1});  // padding makes it fit
    QCOMPARE(windowOutputSize("conv", {2, 2}, {2, 1, 0}).h, std::int64_t{1});  // exactly one position
    // (1 - 2) / 2 + 1 is 1 in integer arithmetic, not 0: max-pool then read outside its input.
    QCOMPARE(QString::fromStdString(errorOf<ShapeInferenceError>([] { windowOutputSize("pool6", {1, 1}, {2, 2, 0}); })),
             QString("pool6: a 2x2 window with stride 2 does not fit a 1x1 input"));
    QCOMPARE(QString::fromStdString(errorOf<ShapeInferenceError>([] { windowOutputSize("conv2", {4, 6}, {5, 1, 0}); })),
             QString("conv2: a 5x5 window with stride 1 does not fit a 4x6 input"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { windowOutputSize("c", {1, 1}, {5, 1, 1}); }),
                     "a 5x5 window with stride 1 and padding 1 does not fit a 1x1 input"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { windowOutputSize("p", {8, 8}, {2, 0, 0}); }), "not valid"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { windowOutputSize("p", {0, 8}, {1, 1, 0}); }), "0x8 input"));
  }

  void layersRefuseInputsThatDoNotFit() {
    MaxPool2d pool("pool1", 2, 2);
    QCOMPARE(pool.outputShape({2, 3, 5, 4}), (Shape{2, 3, 2, 2}));
    QVERIFY(contains(errorOf<ShapeInferenceError>([&] { pool.outputShape({2, 3, 1, 1}); }), "does not fit a 1x1 input"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([&] { pool.outputShape({2, 3}); }), "expects a [batch, channels"));
    // The forward pass goes through the same rule instead of writing past its output.
    ExecContext ctx;
    Tensor x({1, 1, 1, 1}, 1.0f), y;
    QVERIFY(contains(errorOf<ShapeInferenceError>([&] { pool.forward(x, y, ctx); }), "pool1: a 2x2 window"));

    const Graph mlp = buildModel(preset("mlp"), {6}, 3, 1);
    QVERIFY(contains(errorOf<ShapeInferenceError>([&] { mlp.ops()[1]->nodeOutputShape({{4, 7}}); }),
                     "fc1: expects 6 input features, got 7"));
    Flatten flatten("flatten");
    QCOMPARE(flatten.outputShape({0, 3, 4}), (Shape{0, 12}));  // an empty batch, no division by zero
  }

  void plansMatchTheBuiltModel_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<Shape>("sample");
    QTest::newRow("mlp on points") << "mlp" << Shape{2};
    QTest::newRow("mlp on images") << "mlp" << Shape{1, 28, 28};
    QTest::newRow("lenet") << "lenet" << Shape{1, 28, 28};
    QTest::newRow("cifar-cnn") << "cifar-cnn" << Shape{3, 32, 32};
    QTest::newRow("seed-mnist-cnn") << "seed-mnist-cnn" << Shape{1, 28, 28};
    QTest::newRow("seed-cifar-cnn") << "seed-cifar-cnn" << Shape{3, 32, 32};
  }
  // The seeds' Keras summaries: 693,962 parameters on 28x28x1, 122,570 on 32x32x3.
  void seedPresetsHaveTheSeedsParameterCounts() {
    auto count = [](const char* name, const Shape& sample) {
      std::size_t n = 0;
      for (const auto& layer : planModel(preset(name), sample, 10).layers)
        for (const auto& p : layer.parameters) n += static_cast<std::size_t>(shapeSize(p.shape));
      return n;
    };
    QCOMPARE(count("seed-mnist-cnn", {1, 28, 28}), std::size_t{693962});
    QCOMPARE(count("seed-cifar-cnn", {3, 32, 32}), std::size_t{122570});
  }
  void plansMatchTheBuiltModel() {
    QFETCH(QString, model);
    QFETCH(Shape, sample);
    ModelConfig cfg = preset(model.toStdString());
    cfg.batchnorm = cfg.preset == "mlp";
    cfg.dropout = cfg.preset == "mlp" ? 0.25 : 0.0;
    const ModelPlan plan = planModel(cfg, sample, 10);
    Graph m = buildModel(plan, 1.0, 7);
    QCOMPARE(m.size(), plan.layers.size());
    std::size_t params = 0;
    for (std::size_t i = 0; i < plan.layers.size(); ++i) {
      const LayerSpec& spec = plan.layers[i];
      const Op& layer = *m.ops()[i];
      QCOMPARE(QString::fromStdString(layer.name()), QString::fromStdString(spec.name));
      QCOMPARE(layer.nodeOutputShape(spec.ins), spec.out);
      auto* mutable_layer = m.ops()[i].get();
      const auto built = mutable_layer->parameters();
      QCOMPARE(built.size(), spec.parameters.size());
      for (std::size_t p = 0; p < built.size(); ++p) {
        QCOMPARE(QString::fromStdString(built[p]->name), QString::fromStdString(spec.parameters[p].name));
        QCOMPARE(built[p]->value.shape, spec.parameters[p].shape);
        QCOMPARE(built[p]->keep_fp32, spec.parameters[p].keep_fp32);
      }
      params += built.size();
    }
    QVERIFY(params >= 4);
    Shape batched = sample;
    batched.insert(batched.begin(), 5);
    QCOMPARE(m.outputShape(batched), (Shape{5, 10}));
    // The other buildModel overload plans the same model with the same weights.
    Graph again = buildModel(cfg, sample, 10, 7);
    QCOMPARE(again.parameters().front()->value.data, m.parameters().front()->value.data);
    QCOMPARE(again.parameters().back()->value.data, m.parameters().back()->value.data);
  }

  void imagePresetsSayHowManyStagesFit() {
    // 32 -> 16 -> 8 -> 4 -> 2 -> 1: the sixth pooling stage has a 1x1 input.
    QCOMPARE(QString::fromStdString(errorOf<ShapeInferenceError>(
                 [] { planModel(preset("cifar-cnn", {4, 4, 4, 4, 4, 4}), {3, 32, 32}, 10); })),
             QString("pool6: a 2x2 window with stride 2 does not fit a 1x1 input (cifar-cnn has 6 pooling "
                     "stages; 32x32 images allow at most 5)"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { planModel(preset("cifar-cnn", {8, 8, 8, 8, 8}), {1, 28, 28}, 10); }),
                     "pool5: a 2x2 window with stride 2 does not fit a 1x1 input (cifar-cnn has 5 pooling stages; "
                     "28x28 images allow at most 4)"));
    // LeNet's second convolution has no padding: 8x8 -> pool -> 4x4, too small for 5x5.
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { planModel(preset("lenet"), {1, 8, 8}, 10); }),
                     "conv2: a 5x5 window with stride 1 does not fit a 4x4 input (lenet has 2 pooling stages; "
                     "8x8 images allow at most 1)"));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] { planModel(preset("lenet", {6}), {1, 1, 1}, 10); }),
                     "pool1: a 2x2 window with stride 2 does not fit a 1x1 input (lenet has 1 pooling stage; "
                     "1x1 images allow none)"));
    QCOMPARE(planModel(preset("cifar-cnn", {4, 4, 4, 4, 4}), {3, 32, 32}, 10).layers.back().out, (Shape{1, 10}));
    QVERIFY(contains(errorOf<ShapeInferenceError>([] {
                       ModelConfig c = preset("mlp");
                       c.hidden = {0};
                       planModel(c, {2}, 3);
                     }),
                     "fc1: width must be >= 1 (got 0)"));
  }

  void prepareRefusesAModelThatDoesNotFitItsData() {
    Trainer t(imageConfig("cifar-cnn", {4, 4, 4, 4, 4, 4}));
    t.setData(imageSplit(3, 32));
    const std::string msg = errorOf<ConfigError>([&] { t.prepare(); });
    QVERIFY2(contains(msg, "invalid config: model: pool6: a 2x2 window with stride 2 does not fit a 1x1 input"), msg.c_str());
    QCOMPARE(errorOf<ConfigError>([&] { t.prepare(); }), msg);  // the same outcome again

    // run() reports it as a failed run, before a single step.
    RunObserver quiet;
    const RunSummary s = t.run(quiet);
    QCOMPARE(QString(runStatusName(s.status)), QString("failed"));
    QVERIFY2(contains(s.error, "pool6"), s.error.c_str());
    QCOMPARE(s.steps, std::int64_t{0});

    Trainer fits(imageConfig("cifar-cnn", {4, 4, 4, 4, 4}));
    fits.setData(imageSplit(3, 32));
    fits.prepare();
    QCOMPARE(QString(runStatusName(fits.run(quiet).status)), QString("completed"));
  }
};

QTEST_APPLESS_MAIN(TestModelShapes)
#include "test_model_shapes.moc"
