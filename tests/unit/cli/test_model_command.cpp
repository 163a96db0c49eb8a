// `halflab-cli model show|ops|presets` against the real binary: the table's figures for
// LeNet-5 (61,706 parameters, as PyTorch counts them), a model.layers config, and bad
// input named in the error.
#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>

namespace {

struct Result {
  int code = -1;
  QString out, err;
};

Result cli(const QStringList& args) {
  QProcess p;
  p.start(HALFLAB_CLI_PATH, args);
  p.waitForFinished(60000);
  return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace

class TestModelCommand : public QObject {
  Q_OBJECT
 private slots:
  void showsAPreset() {
    const Result r = cli({"model", "show", "--preset", "lenet"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("parameters: 61706;"), qPrintable(r.out));
    // conv1: 2 x (1 x 5 x 5) x 6 x 28 x 28 = 235200 forward FLOPs per sample.
    QVERIFY2(r.out.contains(QRegularExpression("conv1 +conv2d +input +\\[6x28x28\\] +156 +235\\.2k")), qPrintable(r.out));
    for (const char* mode : {"fp32", "tf32", "fp16-pure", "fp16-amp", "bf16-amp"}) QVERIFY(r.out.contains(mode));
  }

  void showsALayerList() {
    QTemporaryDir dir;
    const QString path = dir.filePath("residual.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"model": {"layers": [{"op": "flatten"}, {"op": "linear", "name": "a", "units": 64, "activation": "relu"},
      {"op": "linear", "name": "b", "units": 64}, {"op": "add", "name": "sum", "inputs": ["a", "b"]},
      {"op": "linear", "units": 10}]}})");
    f.close();
    const Result r = cli({"model", "show", "--config", path});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QRegularExpression("sum +add +a_act,b +\\[64\\]")), qPrintable(r.out));
    // 784*64+64 + 64*64+64 + 64*10+10
    QVERIFY2(r.out.contains("parameters: 55050;"), qPrintable(r.out));
  }

  void namesTheProblem() {
    const Result r = cli({"model", "show", "--preset", "resnet"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("unknown preset 'resnet'"), qPrintable(r.err));
    const Result ops = cli({"model", "ops"});
    QCOMPARE(ops.code, 0);
    QVERIFY(ops.out.contains("add ") && ops.out.contains("conv2d "));
  }
};

QTEST_GUILESS_MAIN(TestModelCommand)
#include "test_model_command.moc"
