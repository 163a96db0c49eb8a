// Bad configs against the real CLI: models whose layers do not fit the images, deeply
// nested JSON in --set and --config, huge values quoted in messages, and models that
// cannot fit in memory. Each is a config error (exit 2) reported before training starts.
#include "cli_case.hpp"
#include "dataset_files.hpp"

using halflab::test::CliCase;
using namespace halflab::test;

namespace {

QStringList train(const QStringList& more) {
  return QStringList{"train", "--no-db", "-q", "--max-steps", "2"} + more;
}

QString nested(int depth) { return QString(depth, '[') + QString(depth, ']'); }

// The whole of stderr stays short, however big the value it quotes.
void shortMessage(const QString&, const CliRun& r) {
  QVERIFY2(r.err.size() < 400, qPrintable(QString("%1 characters on stderr").arg(r.err.size())));
}

std::vector<CliCase> table() {
  const QString huge(100000, 'x');
  return {
      {.name = "cifar-cnn pooling a 1x1 input (6 stages on 32x32 CIFAR-10)",
       .args = train({"--dataset", "cifar10", "--data-dir", "{dir}/c", "--model", "cifar-cnn", "--set",
                      "model.channels=[4,4,4,4,4,4]"}),
       .exit_code = 2,
       .message = "invalid config: model: pool6: a 2x2 window with stride 2 does not fit a 1x1 input \\(cifar-cnn "
                  "has 6 pooling stages; 32x32 images allow at most 5\\)",
       .setup = [](const QString& dir) { QVERIFY(writeCifarFolder(dir + "/c")); }},
      {.name = "cifar-cnn pooling a 1x1 input (5 stages on 28x28 images)",
       .args = train({"--dataset", "fashion-mnist", "--data-dir", "{dir}/f", "--model", "cifar-cnn", "--set",
                      "model.channels=[2,2,2,2,2]"}),
       .exit_code = 2,
       .message = "model: pool5: a 2x2 window with stride 2 does not fit a 1x1 input \\(cifar-cnn has 5 pooling "
                  "stages; 28x28 images allow at most 4\\)",
       .setup = [](const QString& dir) { QVERIFY(writeIdxFolder(dir + "/f")); }},
      {.name = "lenet on images too small for its second convolution",
       .args = train({"--dataset", "fashion-mnist", "--data-dir", "{dir}/f", "--model", "lenet"}),
       .exit_code = 2,
       .message = "model: conv2: a 5x5 window with stride 1 does not fit a 4x4 input \\(lenet has 2 pooling "
                  "stages; 8x8 images allow at most 1\\)",
       .setup = [](const QString& dir) { QVERIFY(writeIdxFolder(dir + "/f", 5, 8)); }},
      {.name = "deep JSON in --set",
       .args = train({"--dataset", "spirals", "--set", "model.hidden=" + nested(60000)}),
       .exit_code = 2,
       .message = "^halflab-cli: --set model.hidden: the JSON is nested deeper than 64 levels of arrays and "
                  "objects\\n$"},
      {.name = "deep JSON in --config",
       .args = train({"--dataset", "spirals", "--config", "{dir}/deep.json"}),
       .exit_code = 2,
       .message = "--config .*deep.json: the JSON is nested deeper than 64 levels of arrays and objects",
       .setup = [](const QString& dir) {
         writeFile(dir + "/deep.json", ("{\"model\": {\"hidden\": " + nested(100000) + "}}").toUtf8());
       }},
      {.name = "huge value quoted in a message",
       .args = train({"--dataset", "spirals", "--set", "model.activation=" + huge}),
       .exit_code = 2,
       .message = "model.activation: unknown activation 'x{40,60}…' \\(expected relu, gelu, tanh or sigmoid\\)",
       .after = shortMessage},
      {.name = "huge value of the wrong type",
       .args = train({"--dataset", "spirals", "--set", "model.hidden=\"" + huge + "\""}),
       .exit_code = 2,
       .message = "model.hidden: expected a list of whole numbers \\(got \"x{40,60}…\\)",
       .after = shortMessage},
      {.name = "huge unknown key",
       .args = train({"--dataset", "spirals", "--set", "training." + huge + "=1"}),
       .exit_code = 2,
       .message = "training.x{40,60}…: unknown field",
       .after = shortMessage},
      {.name = "config file whose parse error quotes a megabyte",
       .args = train({"--dataset", "spirals", "--config", "{dir}/broken.json"}),
       .exit_code = 2,
       .message = "--config .*broken.json: not valid JSON: parse error at line 1",
       .setup = [](const QString& dir) { writeFile(dir + "/broken.json", "{\"name\": \"" + QByteArray(1 << 20, 'y')); },
       .after = shortMessage},
      {.name = "config file with a number beyond double",
       .args = train({"--dataset", "spirals", "--config", "{dir}/big.json"}),
       .exit_code = 2,
       .message = "--config .*big.json: not valid JSON: number overflow parsing '1e400'",
       .setup = [](const QString& dir) { writeFile(dir + "/big.json", "{\"training\": {\"epochs\": 1e400}}"); }},
      {.name = "model that cannot fit in memory",
       // 65536-wide layers: 16 GiB per weight matrix, refused from the estimate before
       // anything is allocated.
       .args = train({"--dataset", "spirals", "--hidden", "65536,65536,65536"}),
       .exit_code = 2,
       .message = "invalid config: model: needs about 12[0-9.]+ GiB \\(fc2.weight alone 16.0 GiB\\) but 8.0 GiB is "
                  "available \\(HALFLAB_MEMORY_LIMIT_BYTES\\)",
       .env = {"HALFLAB_MEMORY_LIMIT_BYTES=8589934592"}},
      {.name = "cifar-cnn whose activations cannot fit in memory",
       .args = train({"--dataset", "cifar10", "--data-dir", "{dir}/c", "--model", "cifar-cnn", "--batch", "4096"}),
       .exit_code = 2,
       .message = "model: needs about [0-9.]+ GiB \\(conv1 output alone 512.0 MiB\\) but 1.0 GiB is available",
       .setup = [](const QString& dir) { QVERIFY(writeCifarFolder(dir + "/c")); },
       .env = {"HALFLAB_MEMORY_LIMIT_BYTES=1073741824"}},
      {.name = "model within the memory limit trains",
       .args = train({"--dataset", "spirals", "--hidden", "64"}),
       .exit_code = 0,
       .env = {"HALFLAB_MEMORY_LIMIT_BYTES=1073741824"}},
      {.name = "memory limit that is not a number",
       .args = train({"--dataset", "spirals"}),
       .exit_code = 2,
       .message = "invalid config: HALFLAB_MEMORY_LIMIT_BYTES: 'lots' is not a whole number of bytes >= 0",
       .env = {"HALFLAB_MEMORY_LIMIT_BYTES=lots"}},
  };
}

}  // namespace

class TestBadInputConfig : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputConfig)
#include "test_bad_input_config.moc"
