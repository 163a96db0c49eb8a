#include "ui/config_panel.hpp"

#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include "engine/model/activation.hpp"
#include "engine/model/presets.hpp"
#include "engine/precision/precision_mode.hpp"

namespace halflab {

namespace {
// Dataset kinds, presets, activations, modes and scalers come from the engine's own tables.
QStringList toQt(const std::vector<std::string>& names) {
  QStringList out;
  for (const auto& n : names) out << QString::fromStdString(n);
  return out;
}
QStringList presetNames() {
  QStringList out;
  for (const auto& p : modelPresets()) out << QString::fromStdString(p.name);
  out << "layers";  // the Model tab's layer table (model.layers)
  return out;
}
const QStringList kDatasets = toQt(datasetKindNames());
const QStringList kModels = presetNames();
const QStringList kActivations = toQt(activationNames());
const QStringList kModes = toQt(precisionModeNames());
const QStringList kFlavours = toQt(scalerFlavourNames());
const QStringList kOptimizers{"sgd", "adam", "adamw"};
const QStringList kSchedules{"constant", "step", "cosine"};
const QStringList kDevices{"cpu", "cuda", "auto"};
const QStringList kSequenceSides{"pre", "post"};  // padding / truncating (Keras pad_sequences)

QString text(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<int>(s.size())); }

QString numberText(double v) { return QString::number(v, 'g', 10); }

QString hiddenText(const std::vector<int>& widths) {
  QStringList parts;
  for (int w : widths) parts << QString::number(w);
  return parts.join(", ");
}
}  // namespace

RunConfig defaultGuiConfig() {
  RunConfig cfg;
  cfg.dataset.kind = "fashion-mnist";
  cfg.dataset.path = HALFLAB_DEFAULT_DATA_DIR;
  cfg.model.preset = "mlp";
  cfg.model.hidden = {256, 128};
  cfg.optimizer.kind = OptimizerKind::Adam;
  cfg.lr = 1e-3;
  cfg.training.batch_size = 128;
  cfg.training.epochs = 1;
  cfg.training.seed = 1;
  cfg.precision.mode = PrecisionMode::FP16Amp;
  cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
  return cfg;
}

ConfigPanel::ConfigPanel(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  outer->addWidget(scroll);
  auto* content = new QWidget;
  scroll->setWidget(content);
  auto* layout = new QVBoxLayout(content);
  layout->setContentsMargins(4, 4, 4, 4);

  general_issues_ = new QLabel;
  general_issues_->setStyleSheet("color: #b00020;");
  general_issues_->setWordWrap(true);
  general_issues_->hide();
  layout->addWidget(general_issues_);

  auto group = [&](const QString& title) {
    auto* box = new QGroupBox(title);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(3);
    layout->addWidget(box);
    return form;
  };

  auto* run = group(tr("Run"));
  auto* name = new QLineEdit;
  name->setPlaceholderText(tr("automatic"));
  addRow(run, "name", tr("Name"), name);
  connect(name, &QLineEdit::textEdited, this, &ConfigPanel::onEdited);

  auto* data = group(tr("Dataset"));
  auto* kind = addChoice(data, "dataset.kind", tr("Kind"), kDatasets);
  auto* folder_row = new QWidget;
  auto* folder_layout = new QHBoxLayout(folder_row);
  folder_layout->setContentsMargins(0, 0, 0, 0);
  auto* folder = new QLineEdit;
  folder->setObjectName("datasetFolder");
  folder->setPlaceholderText(tr("default folder for the kind"));
  auto* browse = new QPushButton(tr("…"));
  browse->setToolTip(tr("Choose the dataset folder"));
  browse->setMaximumWidth(32);
  folder_layout->addWidget(folder);
  folder_layout->addWidget(browse);
  addRow(data, "dataset.path", tr("Folder"), folder_row);
  editors_["dataset.path"] = folder;
  connect(folder, &QLineEdit::textEdited, this, &ConfigPanel::onEdited);
  connect(browse, &QPushButton::clicked, this, [this, folder] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Dataset folder"), folder->text());
    if (dir.isEmpty()) return;
    folder->setText(dir);
    onEdited();
  });
  // Synthetic sets take no folder; Fashion-MNIST has a well-known default one.
  connect(kind, &QComboBox::activated, this, [this, kind, folder] {
    const QString k = kind->currentText();
    if (k == "fashion-mnist") folder->setText(HALFLAB_DEFAULT_DATA_DIR);
    else if (k != "mnist" && k != "cifar10") folder->clear();
    onEdited();
  });
  addInt(data, "dataset.train_limit", tr("Train samples"), 0, 100000000, tr("0 = all"));
  addInt(data, "dataset.test_limit", tr("Test samples"), 0, 100000000, tr("0 = all"));
  addCheck(data, "dataset.normalize", tr("Normalize"), tr("standardize inputs with the training set's statistics"));
  addCheck(data, "dataset.augment_flip", tr("Flip"), tr("random horizontal flips (training batches)"));
  addInt(data, "dataset.augment_crop_pad", tr("Crop padding"), 0, 64,
         tr("Pixels of padding for a random crop of training images; 0 = no crop"));
  addInt(data, "dataset.vocab_size", tr("Vocabulary"), 1, 10000000,
         tr("Most frequent training words kept (plus pad 0 and unknown 1)"));
  addInt(data, "dataset.max_len", tr("Max length"), 1, 100000, tr("Tokens per sample after padding / truncating"));
  addChoice(data, "dataset.padding", tr("Padding"), kSequenceSides);
  addChoice(data, "dataset.truncating", tr("Truncating"), kSequenceSides);
  addCheck(data, "dataset.cache", tr("Cache"), tr("keep the tokenized sets in the token cache"));
  data_form_ = data;
  connect(kind, &QComboBox::currentIndexChanged, this, &ConfigPanel::showDatasetOptions);

  auto* model = group(tr("Model"));
  addChoice(model, "model.preset", tr("Preset"), kModels);
  auto* hidden = new QLineEdit;
  hidden->setToolTip(tr("MLP hidden widths, comma separated (784-256-128-10 is \"256, 128\")"));
  addRow(model, "model.hidden", tr("Hidden sizes"), hidden);
  connect(hidden, &QLineEdit::textEdited, this, &ConfigPanel::onEdited);
  addChoice(model, "model.activation", tr("Activation"), kActivations);

  auto* precision = group(tr("Precision"));
  auto* mode = addChoice(precision, "precision.mode", tr("Mode"), kModes);
  auto* flavour = addChoice(precision, "precision.scaler", tr("Loss scaler"), kFlavours);
  addNumber(precision, "precision.init_scale", tr("Init scale"), tr("Initial loss scale S"));
  addNumber(precision, "precision.growth_factor", tr("Growth factor"), tr("S *= this after a clean interval"));
  addNumber(precision, "precision.backoff_factor", tr("Backoff factor"), tr("S *= this on overflow"));
  addInt(precision, "precision.growth_interval", tr("Growth interval"), 1, 100000000,
         tr("Clean steps before the scale grows"));
  addNumber(precision, "precision.min_scale", tr("Min scale"), tr("0 = no floor"));
  addNumber(precision, "precision.max_scale", tr("Max scale"), tr("0 = no cap beyond fp32 max"));
  addInt(precision, "precision.hysteresis", tr("Hysteresis"), 1, 1000,
         tr("Overflows tolerated before backing off (deepspeed, megatron)"));
  auto* consecutive = new QCheckBox(tr("refill hysteresis on every clean step"));
  addRow(precision, "precision.consecutive_hysteresis", tr("Consecutive"), consecutive);
  connect(consecutive, &QCheckBox::toggled, this, &ConfigPanel::onEdited);
  // A new mode suggests its default scaler; a new flavour fills in its reference defaults.
  connect(mode, &QComboBox::activated, this, [this, mode, flavour] {
    if (auto m = parsePrecisionMode(mode->currentText().toStdString()))
      flavour->setCurrentText(text(scalerFlavourName(defaultScalerFor(*m))));
    applyScalerDefaults();
  });
  connect(flavour, &QComboBox::activated, this, [this] { applyScalerDefaults(); });

  auto* optim = group(tr("Optimizer"));
  addChoice(optim, "optimizer.kind", tr("Optimizer"), kOptimizers);
  addNumber(optim, "optimizer.lr", tr("Learning rate"), tr("Base learning rate"));
  addNumber(optim, "optimizer.momentum", tr("Momentum"), tr("SGD only"));
  addNumber(optim, "optimizer.weight_decay", tr("Weight decay"), tr("L2 (SGD/Adam) or decoupled (AdamW)"));
  addChoice(optim, "schedule.kind", tr("LR schedule"), kSchedules);
  addInt(optim, "schedule.warmup_steps", tr("Warm-up steps"), 0, 100000000, tr("Linear ramp"));

  auto* training = group(tr("Training"));
  addInt(training, "training.batch_size", tr("Batch size"), 1, 1000000, {});
  addInt(training, "training.epochs", tr("Epochs"), 1, 100000, {});
  addInt(training, "training.max_steps", tr("Max steps"), 0, 100000000, tr("0 = epochs × steps per epoch"));
  addInt(training, "training.seed", tr("Seed"), 0, 2147483647, tr("Same seed = same init and batch order"));
  addNumber(training, "training.loss_weight", tr("Loss weight"), tr("Multiplies the loss (tiny values make gradients underflow)"));
  addInt(training, "training.histogram_every", tr("Histogram every"), 0, 1000000, tr("Steps between gradient histograms; 0 = never"));
  addInt(training, "training.eval_every", tr("Eval every"), 0, 1000000, tr("Steps between evaluations; 0 = once per epoch"));
  addChoice(training, "training.device", tr("Device"), kDevices);
  layout->addStretch(1);

  setConfig(defaultGuiConfig());
}

void ConfigPanel::addRow(QFormLayout* form, const QString& field, const QString& label, QWidget* editor) {
  auto* cell = new QWidget;
  auto* v = new QVBoxLayout(cell);
  v->setContentsMargins(0, 0, 0, 0);
  v->setSpacing(0);
  v->addWidget(editor);
  auto* issue = new QLabel;
  issue->setObjectName("issue:" + field);
  issue->setStyleSheet("color: #b00020; font-size: 9pt;");
  issue->setWordWrap(true);
  issue->hide();
  v->addWidget(issue);
  form->addRow(label, cell);
  editors_[field] = editor;
  issue_labels_[field] = issue;
  editor->setObjectName(editor->objectName().isEmpty() ? field : editor->objectName());
}

QCheckBox* ConfigPanel::addCheck(QFormLayout* form, const QString& field, const QString& label, const QString& text) {
  auto* check = new QCheckBox(text);
  addRow(form, field, label, check);
  connect(check, &QCheckBox::toggled, this, &ConfigPanel::onEdited);
  return check;
}

// Only the options the chosen kind reads are shown: augmentation for image sets,
// tokenizing options for text sets.
void ConfigPanel::showDatasetOptions() {
  DatasetConfig d;
  d.kind = static_cast<QComboBox*>(editors_.at("dataset.kind"))->currentText().toStdString();
  const bool image = d.isImageKind(), text_kind = d.isTextKind();
  auto show = [&](const char* field, bool visible) {
    data_form_->setRowVisible(editors_.at(field)->parentWidget(), visible);
    if (visible) hidden_fields_.erase(field);
    else hidden_fields_.insert(field);
  };
  show("dataset.normalize", !text_kind);
  show("dataset.augment_flip", image);
  show("dataset.augment_crop_pad", image);
  for (const char* f : {"dataset.vocab_size", "dataset.max_len", "dataset.padding", "dataset.truncating", "dataset.cache"})
    show(f, text_kind);
}

QLineEdit* ConfigPanel::addNumber(QFormLayout* form, const QString& field, const QString& label, const QString& tip) {
  auto* edit = new QLineEdit;
  edit->setToolTip(tip);
  addRow(form, field, label, edit);
  connect(edit, &QLineEdit::textEdited, this, &ConfigPanel::onEdited);
  return edit;
}

QSpinBox* ConfigPanel::addInt(QFormLayout* form, const QString& field, const QString& label, int min, int max,
                              const QString& tip) {
  auto* spin = new QSpinBox;
  spin->setRange(min, max);
  spin->setToolTip(tip);
  spin->setKeyboardTracking(false);
  addRow(form, field, label, spin);
  connect(spin, &QSpinBox::valueChanged, this, &ConfigPanel::onEdited);
  return spin;
}

QComboBox* ConfigPanel::addChoice(QFormLayout* form, const QString& field, const QString& label,
                                  const QStringList& items) {
  auto* combo = new QComboBox;
  combo->addItems(items);
  addRow(form, field, label, combo);
  connect(combo, &QComboBox::currentIndexChanged, this, &ConfigPanel::onEdited);
  return combo;
}

void ConfigPanel::applyScalerDefaults() {
  auto* flavour = static_cast<QComboBox*>(editors_.at("precision.scaler"));
  const auto f = parseScalerFlavour(flavour->currentText().toStdString());
  if (!f) return;
  const ScalerConfig s = defaultScalerConfig(*f);
  loading_ = true;
  auto set = [&](const char* field, double v) { static_cast<QLineEdit*>(editors_.at(field))->setText(numberText(v)); };
  set("precision.init_scale", s.init_scale);
  set("precision.growth_factor", s.growth_factor);
  set("precision.backoff_factor", s.backoff_factor);
  set("precision.min_scale", s.min_scale);
  set("precision.max_scale", s.max_scale);
  static_cast<QSpinBox*>(editors_.at("precision.growth_interval"))->setValue(s.growth_interval);
  static_cast<QSpinBox*>(editors_.at("precision.hysteresis"))->setValue(s.hysteresis);
  static_cast<QCheckBox*>(editors_.at("precision.consecutive_hysteresis"))->setChecked(s.consecutive_hysteresis);
  loading_ = false;
  onEdited();
}

void ConfigPanel::setConfig(const RunConfig& cfg) {
  base_ = cfg;
  loading_ = true;
  auto combo = [&](const char* f, const QString& v) { static_cast<QComboBox*>(editors_.at(f))->setCurrentText(v); };
  auto line = [&](const char* f, const QString& v) { static_cast<QLineEdit*>(editors_.at(f))->setText(v); };
  auto spin = [&](const char* f, long long v) { static_cast<QSpinBox*>(editors_.at(f))->setValue(static_cast<int>(v)); };
  auto check = [&](const char* f, bool v) { static_cast<QCheckBox*>(editors_.at(f))->setChecked(v); };
  line("name", QString::fromStdString(cfg.name));
  combo("dataset.kind", QString::fromStdString(cfg.dataset.kind));
  line("dataset.path", QString::fromStdString(cfg.dataset.path));
  spin("dataset.train_limit", cfg.dataset.train_limit);
  spin("dataset.test_limit", cfg.dataset.test_limit);
  check("dataset.normalize", cfg.dataset.normalize);
  check("dataset.augment_flip", cfg.dataset.augment_flip);
  spin("dataset.augment_crop_pad", cfg.dataset.augment_crop_pad);
  spin("dataset.vocab_size", cfg.dataset.vocab_size);
  spin("dataset.max_len", cfg.dataset.max_len);
  combo("dataset.padding", QString::fromStdString(cfg.dataset.padding));
  combo("dataset.truncating", QString::fromStdString(cfg.dataset.truncating));
  check("dataset.cache", cfg.dataset.cache);
  combo("model.preset", QString::fromStdString(cfg.model.preset));
  line("model.hidden", hiddenText(cfg.model.hidden));
  combo("model.activation", QString::fromStdString(cfg.model.activation));
  combo("precision.mode", text(precisionModeName(cfg.precision.mode)));
  const ScalerConfig& s = cfg.precision.scaler;
  combo("precision.scaler", text(scalerFlavourName(s.flavour)));
  line("precision.init_scale", numberText(s.init_scale));
  line("precision.growth_factor", numberText(s.growth_factor));
  line("precision.backoff_factor", numberText(s.backoff_factor));
  spin("precision.growth_interval", s.growth_interval);
  line("precision.min_scale", numberText(s.min_scale));
  line("precision.max_scale", numberText(s.max_scale));
  spin("precision.hysteresis", s.hysteresis);
  static_cast<QCheckBox*>(editors_.at("precision.consecutive_hysteresis"))->setChecked(s.consecutive_hysteresis);
  combo("optimizer.kind", text(optimizerKindName(cfg.optimizer.kind)));
  line("optimizer.lr", numberText(cfg.lr));
  line("optimizer.momentum", numberText(cfg.optimizer.momentum));
  line("optimizer.weight_decay", numberText(cfg.optimizer.weight_decay));
  combo("schedule.kind", text(scheduleKindName(cfg.schedule.kind)));
  spin("schedule.warmup_steps", cfg.schedule.warmup_steps);
  spin("training.batch_size", cfg.training.batch_size);
  spin("training.epochs", cfg.training.epochs);
  spin("training.max_steps", cfg.training.max_steps);
  spin("training.seed", static_cast<long long>(cfg.training.seed));
  line("training.loss_weight", numberText(cfg.training.loss_weight));
  spin("training.histogram_every", cfg.training.histogram_every);
  spin("training.eval_every", cfg.training.eval_every);
  combo("training.device", QString::fromStdString(cfg.training.device));
  loading_ = false;
  showDatasetOptions();
  validateAndShow();
  emit configChanged();
}

double ConfigPanel::number(const QString& field, double fallback, std::vector<ConfigIssue>* issues) const {
  const QString t = static_cast<QLineEdit*>(editors_.at(field))->text().trimmed();
  bool ok = false;
  const double v = t.toDouble(&ok);
  if (ok && std::isfinite(v)) return v;
  if (issues)
    issues->push_back({field.toStdString(), t.isEmpty() ? "a number is required" : "'" + t.toStdString() + "' is not a number"});
  return fallback;
}

void ConfigPanel::readInto(RunConfig& cfg, std::vector<ConfigIssue>* issues) const {
  auto combo = [&](const char* f) { return static_cast<QComboBox*>(editors_.at(f))->currentText().toStdString(); };
  auto line = [&](const char* f) { return static_cast<QLineEdit*>(editors_.at(f))->text().trimmed().toStdString(); };
  auto spin = [&](const char* f) { return static_cast<QSpinBox*>(editors_.at(f))->value(); };
  cfg.name = line("name");
  cfg.dataset.kind = combo("dataset.kind");
  cfg.dataset.path = line("dataset.path");
  cfg.dataset.train_limit = spin("dataset.train_limit");
  cfg.dataset.test_limit = spin("dataset.test_limit");
  auto check = [&](const char* f) { return static_cast<QCheckBox*>(editors_.at(f))->isChecked(); };
  cfg.dataset.normalize = check("dataset.normalize");
  cfg.dataset.augment_flip = check("dataset.augment_flip");
  cfg.dataset.augment_crop_pad = spin("dataset.augment_crop_pad");
  cfg.dataset.vocab_size = spin("dataset.vocab_size");
  cfg.dataset.max_len = spin("dataset.max_len");
  cfg.dataset.padding = combo("dataset.padding");
  cfg.dataset.truncating = combo("dataset.truncating");
  cfg.dataset.cache = check("dataset.cache");
  cfg.model.preset = combo("model.preset");
  // The layer list counts only while "layers" is chosen; base_ keeps it for switching back.
  if (cfg.model.preset != "layers") cfg.model.layers.clear();
  cfg.model.hidden.clear();
  const QString hidden = static_cast<QLineEdit*>(editors_.at("model.hidden"))->text();
  for (const QString& part : hidden.split(QRegularExpression("[,;\\s-]+"), Qt::SkipEmptyParts)) {
    bool ok = false;
    const int w = part.toInt(&ok);
    if (!ok) {
      if (issues) issues->push_back({"model.hidden", "'" + part.toStdString() + "' is not a whole number"});
      continue;
    }
    cfg.model.hidden.push_back(w);
  }
  cfg.model.activation = combo("model.activation");
  if (auto m = parsePrecisionMode(combo("precision.mode"))) cfg.precision.mode = *m;
  ScalerConfig& s = cfg.precision.scaler;
  if (auto f = parseScalerFlavour(combo("precision.scaler"))) s.flavour = *f;
  s.init_scale = number("precision.init_scale", s.init_scale, issues);
  s.growth_factor = number("precision.growth_factor", s.growth_factor, issues);
  s.backoff_factor = number("precision.backoff_factor", s.backoff_factor, issues);
  s.growth_interval = spin("precision.growth_interval");
  s.min_scale = number("precision.min_scale", s.min_scale, issues);
  s.max_scale = number("precision.max_scale", s.max_scale, issues);
  s.hysteresis = spin("precision.hysteresis");
  s.consecutive_hysteresis = static_cast<QCheckBox*>(editors_.at("precision.consecutive_hysteresis"))->isChecked();
  if (auto k = parseOptimizerKind(combo("optimizer.kind"))) cfg.optimizer.kind = *k;
  cfg.lr = number("optimizer.lr", cfg.lr, issues);
  cfg.optimizer.momentum = number("optimizer.momentum", cfg.optimizer.momentum, issues);
  cfg.optimizer.weight_decay = number("optimizer.weight_decay", cfg.optimizer.weight_decay, issues);
  if (auto k = parseScheduleKind(combo("schedule.kind"))) cfg.schedule.kind = *k;
  cfg.schedule.warmup_steps = spin("schedule.warmup_steps");
  cfg.training.batch_size = spin("training.batch_size");
  cfg.training.epochs = spin("training.epochs");
  cfg.training.max_steps = spin("training.max_steps");
  cfg.training.seed = static_cast<std::uint64_t>(spin("training.seed"));
  cfg.training.loss_weight = number("training.loss_weight", cfg.training.loss_weight, issues);
  cfg.training.histogram_every = spin("training.histogram_every");
  cfg.training.eval_every = spin("training.eval_every");
  cfg.training.device = combo("training.device");
}

RunConfig ConfigPanel::config() const {
  RunConfig cfg = base_;
  readInto(cfg, nullptr);
  return cfg;
}

std::vector<ConfigIssue> ConfigPanel::issues() const {
  RunConfig cfg = base_;
  std::vector<ConfigIssue> found;
  readInto(cfg, &found);
  try {
    for (auto& issue : cfg.validate()) found.push_back(issue);
  } catch (const std::exception& e) {
    found.push_back({"", std::string("validation failed: ") + e.what()});
  }
  return found;
}

bool ConfigPanel::validateAndShow() {
  for (auto& [field, label] : issue_labels_) {
    label->clear();
    label->hide();
  }
  QStringList unplaced;
  const auto found = issues();
  for (const auto& issue : found) {
    const QString field = QString::fromStdString(issue.field);
    const QString message = QString::fromStdString(issue.message);
    // Longest form field that is the issue's field or a prefix of it.
    QLabel* target = nullptr;
    int best = -1;
    for (auto& [name, label] : issue_labels_) {
      const bool match = field == name || field.startsWith(name + ".") || field.startsWith(name + "[") ||
                         (name.endsWith("." + field) && !field.contains('.'));
      if (match && name.size() > best) {
        best = static_cast<int>(name.size());
        target = label;
      }
    }
    if (target && hidden_fields_.count(target->objectName().mid(6))) target = nullptr;
    if (target) {
      target->setText(target->text().isEmpty() ? message : target->text() + "\n" + message);
      target->show();
    } else {
      unplaced << (field.isEmpty() ? message : field + ": " + message);
    }
  }
  general_issues_->setText(unplaced.join("\n"));
  general_issues_->setVisible(!unplaced.isEmpty());
  return found.empty();
}

QString ConfigPanel::shownIssue(const QString& field) const {
  auto it = issue_labels_.find(field);
  if (it == issue_labels_.end() || it->second->isHidden()) return {};
  return it->second->text();
}

QWidget* ConfigPanel::fieldWidget(const QString& field) const {
  auto it = editors_.find(field);
  return it == editors_.end() ? nullptr : it->second;
}

void ConfigPanel::onEdited() {
  if (loading_) return;
  validateAndShow();
  emit configChanged();
}

}  // namespace halflab
