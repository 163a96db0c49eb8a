// The dataset section of the config panel: every kind the engine knows, the image-folder
// options (augmentation, normalize) and the text options (vocab_size, max_len, padding,
// truncating, cache) going into the run config under the CLI's keys, validated next to the
// field, remembered across launches; a short image-folder run from a generated PNG folder;
// and a text set failing the run with the trainer's own reason.
#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "storage/run_store.hpp"
#include "ui/config_panel.hpp"
#include "ui/main_window.hpp"

using namespace halflab;

namespace {
// <root>/{train,test}/{cat,dog}/N.png, 8x8 RGB; the classes differ in colour so a run learns.
bool writePngFolder(const QString& root, int per_class) {
  for (const char* split : {"train", "test"})
    for (const char* cls : {"cat", "dog"}) {
      const QString dir = QDir(root).filePath(QString("%1/%2").arg(split, cls));
      if (!QDir().mkpath(dir)) return false;
      for (int i = 0; i < per_class; ++i) {
        QImage img(8, 8, QImage::Format_RGB32);
        const bool cat = QString(cls) == "cat";
        img.fill(QColor(cat ? 200 : 30, 40 + 10 * i, cat ? 30 : 200));
        img.setPixelColor(i % 8, (3 * i) % 8, Qt::white);
        if (!img.save(QDir(dir).filePath(QString("%1.png").arg(i)), "PNG")) return false;
      }
    }
  return true;
}

template <typename W>
W* field(ConfigPanel* panel, const char* name) {
  auto* w = qobject_cast<W*>(panel->fieldWidget(name));
  if (!w) qFatal("no editor for %s", name);
  return w;
}

void chooseKind(ConfigPanel* panel, const QString& kind) {
  auto* combo = field<QComboBox>(panel, "dataset.kind");
  const int index = combo->findText(kind);
  QVERIFY2(index >= 0, qPrintable(kind));
  combo->setCurrentIndex(index);
  emit combo->activated(index);  // as a user's pick
}

void setFolder(ConfigPanel* panel, const QString& path) {
  auto* edit = field<QLineEdit>(panel, "dataset.path");
  edit->setText(path);
  emit edit->textEdited(path);
}

// Visible as the form shows it (the panel itself is never shown in these tests).
bool rowShown(ConfigPanel* panel, const char* name) { return panel->fieldWidget(name)->parentWidget()->isVisibleTo(panel); }

RunConfig smallBase() {
  RunConfig cfg;
  cfg.name = "datasets test";
  cfg.model.preset = "mlp";
  cfg.model.hidden = {16};
  cfg.precision.mode = PrecisionMode::FP16Amp;
  cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
  cfg.training.batch_size = 4;
  cfg.training.max_steps = 6;
  cfg.training.eval_every = 3;
  cfg.training.histogram_every = 0;
  cfg.training.seed = 3;
  cfg.dataset.kind = "spirals";
  return cfg;
}
}  // namespace

class TestGuiDatasets : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString store() const { return dir_.filePath("runs.sqlite"); }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HalfLabTest");
    QCoreApplication::setApplicationName("halflab-gui-datasets-test");
    QSettings().clear();
    QVERIFY(dir_.isValid());
  }

  void kindsAreTheEnginesList() {
    ConfigPanel panel;
    auto* combo = field<QComboBox>(&panel, "dataset.kind");
    QStringList shown;
    for (int i = 0; i < combo->count(); ++i) shown << combo->itemText(i);
    QStringList engine;
    for (const auto& k : datasetKindNames()) engine << QString::fromStdString(k);
    QCOMPARE(shown, engine);
    QVERIFY(shown.contains("image-folder") && shown.contains("imdb") && shown.contains("csv-text"));
  }

  void optionsFollowTheKind() {
    ConfigPanel panel;
    panel.setConfig(smallBase());
    chooseKind(&panel, "image-folder");
    QVERIFY(rowShown(&panel, "dataset.augment_flip"));
    QVERIFY(rowShown(&panel, "dataset.augment_crop_pad"));
    QVERIFY(rowShown(&panel, "dataset.normalize"));
    QVERIFY(!rowShown(&panel, "dataset.vocab_size"));
    QVERIFY(!rowShown(&panel, "dataset.padding"));
    // image-folder needs a folder: the config's own message, next to the folder field.
    QVERIFY2(panel.shownIssue("dataset.path").contains("needs the folder"), qPrintable(panel.shownIssue("dataset.path")));

    chooseKind(&panel, "imdb");
    QVERIFY(!rowShown(&panel, "dataset.augment_flip"));
    QVERIFY(!rowShown(&panel, "dataset.normalize"));
    for (const char* f : {"dataset.vocab_size", "dataset.max_len", "dataset.padding", "dataset.truncating", "dataset.cache"})
      QVERIFY2(rowShown(&panel, f), f);
    QVERIFY(panel.shownIssue("dataset.path").contains("aclImdb"));
  }

  void textOptionsGoIntoTheRunConfig() {
    ConfigPanel panel;
    panel.setConfig(smallBase());
    chooseKind(&panel, "csv-text");
    setFolder(&panel, dir_.path());
    field<QSpinBox>(&panel, "dataset.vocab_size")->setValue(5000);
    field<QSpinBox>(&panel, "dataset.max_len")->setValue(64);
    field<QComboBox>(&panel, "dataset.padding")->setCurrentText("post");
    field<QComboBox>(&panel, "dataset.truncating")->setCurrentText("post");
    field<QCheckBox>(&panel, "dataset.cache")->setChecked(false);
    QVERIFY(panel.shownIssue("dataset.path").isEmpty());
    // The same keys the CLI's config files use, and they parse back through the config's
    // own reader.
    const auto j = nlohmann::json::parse(panel.config().toJsonText());
    const auto& d = j.at("dataset");
    QCOMPARE(d.at("kind").get<std::string>(), std::string("csv-text"));
    QCOMPARE(d.at("path").get<std::string>(), dir_.path().toStdString());
    QCOMPARE(d.at("vocab_size").get<int>(), 5000);
    QCOMPARE(d.at("max_len").get<int>(), 64);
    QCOMPARE(d.at("padding").get<std::string>(), std::string("post"));
    QCOMPARE(d.at("truncating").get<std::string>(), std::string("post"));
    QCOMPARE(d.at("cache").get<bool>(), false);
    QCOMPARE(RunConfig::fromJson(j).toJsonText(), panel.config().toJsonText());
  }

  void augmentationOnATextSetIsRejected() {
    ConfigPanel panel;
    RunConfig cfg = smallBase();
    cfg.dataset.kind = "imdb";
    cfg.dataset.path = dir_.path().toStdString();
    // Augmentation on a text set: the config's own rule, shown in the panel (its row is
    // hidden for text kinds, so the message goes to the panel's general line).
    cfg.dataset.augment_flip = true;
    panel.setConfig(cfg);
    bool found = false;
    for (const auto& i : panel.issues()) found |= i.field == "dataset.augment_flip";
    QVERIFY(found);
    QVERIFY(!panel.validateAndShow());
    QVERIFY(panel.shownIssue("dataset.augment_flip").isEmpty());  // not in a hidden row
  }

  void imageFolderRunFromThePanel() {
    const QString images = dir_.filePath("pngs");
    QVERIFY(writePngFolder(images, 6));
    MainWindow window(store(), /*quiet=*/true);
    ConfigPanel* panel = window.configPanel();
    panel->setConfig(smallBase());
    chooseKind(panel, "image-folder");
    setFolder(panel, images);
    field<QCheckBox>(panel, "dataset.augment_flip")->setChecked(true);
    field<QSpinBox>(panel, "dataset.augment_crop_pad")->setValue(2);
    field<QCheckBox>(panel, "dataset.normalize")->setChecked(false);
    QVERIFY2(panel->validateAndShow(), qPrintable(panel->issues().empty() ? QString() : QString::fromStdString(panel->issues().front().message)));

    const RunConfig cfg = panel->config();
    QCOMPARE(cfg.dataset.kind, std::string("image-folder"));
    QCOMPARE(cfg.dataset.path, images.toStdString());
    QVERIFY(cfg.dataset.augment_flip);
    QCOMPARE(cfg.dataset.augment_crop_pad, 2);
    QVERIFY(!cfg.dataset.normalize);

    QSignalSpy finished(&window, &MainWindow::batchFinished);
    QVERIFY2(window.startRun(), qPrintable(window.lastError()));
    QVERIFY(finished.wait(120000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    const RunStore s = RunStore::open(store().toStdString(), StoreOpenMode::ReadOnly);
    const auto runs = s.listRuns();
    QCOMPARE(runs.size(), std::size_t(1));
    QCOMPARE(runs[0].status, RunStatus::Completed);
    QCOMPARE(s.metricSeries(runs[0].id, "loss").size(), std::size_t(6));
    const RunConfig stored = RunConfig::fromJsonText(runs[0].config_json);
    QCOMPARE(stored.dataset.kind, std::string("image-folder"));
    QVERIFY(stored.dataset.augment_flip);
    QCOMPARE(stored.dataset.augment_crop_pad, 2);

    // Remembered: the next launch's form holds the same dataset options.
    MainWindow next(store(), /*quiet=*/true);
    QCOMPARE(next.configPanel()->config().toJsonText(), cfg.toJsonText());
  }

  // The mlp preset reads floats; the trainer's plan says what a text set needs.
  void textSetFailsTheRunWithTheTrainersReason() {
    MainWindow window(store(), /*quiet=*/true);
    RunConfig cfg = smallBase();
    const QString text = QDir(dir_.path()).filePath("text");
    QVERIFY(QDir().mkpath(text));
    for (const char* split : {"train.csv", "test.csv"}) {
      QFile f(QDir(text).filePath(split));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("text,label\ngood film,1\nbad film,0\n");
    }
    cfg.dataset.kind = "csv-text";
    cfg.dataset.path = text.toStdString();
    cfg.dataset.cache = false;
    window.configPanel()->setConfig(cfg);
    QSignalSpy finished(&window, &MainWindow::batchFinished);
    if (window.startRun()) QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().contains("start the model with an embedding"), qPrintable(window.lastError()));
    QVERIFY(!window.session()->busy());
  }
};

QTEST_MAIN(TestGuiDatasets)
#include "test_gui_datasets.moc"
