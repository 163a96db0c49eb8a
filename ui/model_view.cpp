#include "ui/model_view.hpp"

#include <algorithm>
#include <memory>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include "engine/model/layer_list.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/presets.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/model_summary.hpp"

namespace halflab {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// The op column offers the engine's registered ops.
class OpChoiceDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const override {
    auto* box = new QComboBox(parent);
    for (const auto& d : opRegistry().all()) {
      box->addItem(qs(d->name));
      box->setItemData(box->count() - 1, qs(d->summary), Qt::ToolTipRole);
    }
    return box;
  }
  void setEditorData(QWidget* editor, const QModelIndex& index) const override {
    static_cast<QComboBox*>(editor)->setCurrentText(index.data().toString());
  }
  void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override {
    model->setData(index, static_cast<QComboBox*>(editor)->currentText());
  }
};

QTableWidgetItem* readOnly(const QString& text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(item->flags() & ~Qt::ItemIsEditable);
  item->setTextAlignment(align);
  return item;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

ModelView::ModelView(QWidget* parent) : QWidget(parent) {
  layers_ = new QTableWidget(0, kLayerColumns);
  layers_->setObjectName("modelLayers");
  layers_->setHorizontalHeaderLabels({tr("Name"), tr("Op"), tr("Inputs"), tr("Attributes")});
  layers_->horizontalHeader()->setStretchLastSection(true);
  layers_->verticalHeader()->setDefaultSectionSize(22);
  layers_->setItemDelegateForColumn(kOp, new OpChoiceDelegate(layers_));
  layers_->setSelectionBehavior(QAbstractItemView::SelectRows);
  layers_->setToolTip(tr("One row per node. Inputs: node names, comma separated (empty: the previous node; "
                         "\"input\": the model input). Attributes: a JSON object, e.g. {\"units\": 128}."));
  connect(layers_, &QTableWidget::itemChanged, this, [this] {
    if (!filling_) setDirty(true);
  });

  auto* add = new QPushButton(tr("Add"));
  auto* remove = new QPushButton(tr("Remove"));
  auto* up = new QPushButton(tr("Up"));
  auto* down = new QPushButton(tr("Down"));
  apply_ = new QPushButton(tr("Apply layers"));
  apply_->setToolTip(tr("Use the table as this run's model.layers (Ctrl+Return)"));
  revert_ = new QPushButton(tr("Revert"));
  revert_->setToolTip(tr("Discard the table's edits"));
  read_data_ = new QPushButton(tr("Read data for shapes"));
  read_data_->setToolTip(tr("This dataset's sample shape is known only from its files: read them in the background"));
  read_data_->hide();
  connect(add, &QPushButton::clicked, this, &ModelView::addRow);
  connect(remove, &QPushButton::clicked, this, &ModelView::removeRows);
  connect(up, &QPushButton::clicked, this, [this] { moveRow(-1); });
  connect(down, &QPushButton::clicked, this, [this] { moveRow(+1); });
  connect(apply_, &QPushButton::clicked, this, &ModelView::applyEdits);
  connect(revert_, &QPushButton::clicked, this, &ModelView::revertEdits);
  connect(read_data_, &QPushButton::clicked, this, &ModelView::readDataShape);
  auto* apply_key = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
  apply_key->setContext(Qt::WidgetWithChildrenShortcut);
  connect(apply_key, &QShortcut::activated, this, &ModelView::applyEdits);

  auto* buttons = new QHBoxLayout;
  for (auto* b : {add, remove, up, down}) buttons->addWidget(b);
  buttons->addStretch(1);
  buttons->addWidget(read_data_);
  buttons->addWidget(revert_);
  buttons->addWidget(apply_);

  auto* left = new QWidget;
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(0, 0, 0, 0);
  left_layout->addWidget(layers_, 1);
  left_layout->addLayout(buttons);

  summary_ = new QTableWidget;
  summary_->setObjectName("modelSummary");
  summary_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  summary_->verticalHeader()->hide();
  summary_->verticalHeader()->setDefaultSectionSize(22);
  summary_->setToolTip(tr("Per node: output shape per sample, parameters, forward FLOPs per sample, and the memory "
                          "it needs in each precision mode (parameters, working copy, gradient, and the output "
                          "activation for one batch)"));

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(left);
  split->addWidget(summary_);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);

  status_ = new QLabel;
  status_->setObjectName("modelStatus");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split, 1);
  layout->addWidget(status_);
  setDirty(false);
}

QString ModelView::statusText() const { return status_->text(); }

std::string ModelView::sampleKey(const RunConfig& cfg) const {
  const auto& d = cfg.dataset;
  return d.kind + "|" + cfg.datasetDir() + "|" + std::to_string(d.max_len) + "|" +
         std::to_string(d.synthetic_classes);
}

void ModelView::showConfig(const RunConfig& cfg) {
  config_ = cfg;
  const std::string key = sampleKey(cfg);
  if (key != sample_key_) {
    sample_key_ = key;
    sample_ = knownSampleInfo(cfg);
  }
  const std::string model = cfg.toJson()["model"].dump() + "|" + key;
  if (model != shown_model_) {
    shown_model_ = model;
    setDirty(false);  // another model: the table's edits belonged to the previous one
  }
  replan();
}

void ModelView::replan() {
  read_data_->setVisible(!sample_);
  read_data_->setEnabled(!reading_);
  if (!sample_) {
    if (!dirty_) fillLayers(config_.model.preset == "layers" ? config_.model.layers : std::vector<NodeSpec>{});
    summary_->clear();
    summary_->setRowCount(0);
    summary_->setColumnCount(0);
    showStatus({reading_ ? tr("Reading %1 to learn its sample shape…").arg(qs(config_.dataset.kind))
                           : tr("The sample shape of a %1 dataset is known once its files are read: "
                                "press \"Read data for shapes\".").arg(qs(config_.dataset.kind))},
               false);
    return;
  }
  try {
    const ModelPlan plan = planModelFor(config_, sample_->sample, sample_->classes);
    if (!dirty_) {
      std::vector<NodeSpec> nodes;
      for (const auto& l : plan.layers) nodes.push_back(l.node);
      fillLayers(nodes);
    }
    const ModelSummary s = summarizeModel(config_, plan);
    QStringList headers{tr("Name"), tr("Op"), tr("Inputs"), tr("Output"), tr("Params"), tr("FLOPs")};
    for (const auto& m : s.modes) headers << qs(m);
    summary_->clear();
    summary_->setColumnCount(static_cast<int>(headers.size()));
    summary_->setHorizontalHeaderLabels(headers);
    summary_->setRowCount(static_cast<int>(s.rows.size()) + 1);
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    auto putRow = [&](int r, const ModelSummaryRow& row, bool total) {
      summary_->setItem(r, 0, readOnly(qs(row.name)));
      summary_->setItem(r, 1, readOnly(qs(row.op)));
      summary_->setItem(r, 2, readOnly(qs(joined(row.inputs))));
      summary_->setItem(r, 3, readOnly(row.out.empty() ? QString() : qs(shapeToString(row.out))));
      summary_->setItem(r, 4, readOnly(qs(summaryCountText(static_cast<double>(row.parameters))), right));
      summary_->setItem(r, 5, readOnly(qs(summaryCountText(row.flops)), right));
      for (std::size_t m = 0; m < row.bytes.size(); ++m)
        summary_->setItem(r, 6 + static_cast<int>(m),
                          readOnly(qs(summaryBytesText(static_cast<double>(row.bytes[m]))), right));
      if (total)
        for (int c = 0; c < summary_->columnCount(); ++c)
          if (auto* it = summary_->item(r, c)) {
            QFont f = it->font();
            f.setBold(true);
            it->setFont(f);
          }
    };
    for (std::size_t i = 0; i < s.rows.size(); ++i) putRow(static_cast<int>(i), s.rows[i], false);
    ModelSummaryRow total = s.total;
    if (total.name.empty()) total.name = "total";
    putRow(static_cast<int>(s.rows.size()), total, true);
    summary_->resizeColumnsToContents();
    showStatus({tr("%1 parameters; memory for batch %2 on %3 (samples %4, %5 classes)%6")
                      .arg(qs(summaryCountText(static_cast<double>(s.total.parameters))))
                      .arg(s.batch)
                      .arg(qs(config_.dataset.kind))
                      .arg(qs(shapeToString(sample_->sample)))
                      .arg(sample_->classes)
                      .arg(dirty_ ? tr(" — the table has edits: Apply (Ctrl+Return) or Revert") : QString())},
               false);
  } catch (const ConfigError& e) {
    if (!dirty_ && config_.model.preset == "layers") fillLayers(config_.model.layers);
    QStringList lines;
    for (const auto& i : e.issues()) lines << qs(i.field.empty() ? i.message : i.field + ": " + i.message);
    showStatus(lines, true);
    summary_->setRowCount(0);
  }
}

void ModelView::fillLayers(const std::vector<NodeSpec>& nodes) {
  filling_ = true;
  layers_->setRowCount(static_cast<int>(nodes.size()));
  for (int r = 0; r < static_cast<int>(nodes.size()); ++r) {
    const NodeSpec& n = nodes[static_cast<std::size_t>(r)];
    layers_->setItem(r, kName, new QTableWidgetItem(qs(n.name)));
    layers_->setItem(r, kOp, new QTableWidgetItem(qs(n.op)));
    layers_->setItem(r, kInputs, new QTableWidgetItem(qs(joined(n.inputs))));
    layers_->setItem(r, kAttrs, new QTableWidgetItem(qs(n.attrs.empty() ? std::string() : n.attrs.dump())));
  }
  layers_->resizeColumnToContents(kName);
  layers_->resizeColumnToContents(kOp);
  filling_ = false;
}

void ModelView::showStatus(const QStringList& lines, bool error) {
  status_->setStyleSheet(error ? "color: #b00020" : "");
  status_->setText(lines.join('\n'));
}

void ModelView::setDirty(bool dirty) {
  dirty_ = dirty;
  apply_->setEnabled(dirty);
  revert_->setEnabled(dirty);
}

nlohmann::json ModelView::tableAsJson(QStringList& problems) const {
  nlohmann::json list = nlohmann::json::array();
  for (int r = 0; r < layers_->rowCount(); ++r) {
    auto cell = [&](int c) { return layers_->item(r, c) ? layers_->item(r, c)->text().trimmed() : QString(); };
    const std::string where = "model.layers[" + std::to_string(r) + "]";
    nlohmann::json entry = nlohmann::json::object();
    const QString attrs = cell(kAttrs);
    if (!attrs.isEmpty()) {
      try {
        entry = nlohmann::json::parse(attrs.toStdString());
      } catch (const nlohmann::json::exception& e) {
        problems << qs(where + ": attributes are not JSON (" + e.what() + ")");
        entry = nlohmann::json::object();
      }
      if (!entry.is_object()) {
        problems << qs(where + ": attributes must be a JSON object such as {\"units\": 128}");
        entry = nlohmann::json::object();
      }
    }
    entry["op"] = cell(kOp).toStdString();
    if (!cell(kName).isEmpty()) entry["name"] = cell(kName).toStdString();
    const QStringList inputs = cell(kInputs).split(',', Qt::SkipEmptyParts);
    if (!inputs.isEmpty()) {
      nlohmann::json in = nlohmann::json::array();
      for (const QString& i : inputs) in.push_back(i.trimmed().toStdString());
      entry["inputs"] = in;
    }
    list.push_back(entry);
  }
  return list;
}

bool ModelView::applyEdits() {
  QStringList problems;
  const nlohmann::json list = tableAsJson(problems);
  std::vector<LayerListIssue> issues;
  const std::vector<NodeSpec> nodes = expandLayerList(list, "model.layers", issues);
  // A row whose attributes did not parse is kept (so later rows keep their index) without
  // them; what the expansion then says about its missing attributes is noise.
  for (const auto& i : issues) {
    const QString field = qs(i.field);
    const bool noise = std::any_of(problems.begin(), problems.end(), [&](const QString& p) {
      const QString row = p.section(':', 0, 0);
      return field == row || field.startsWith(row + ".");
    });
    if (!noise) problems << qs(i.field + ": " + i.message);
  }
  if (nodes.empty() && problems.isEmpty()) problems << tr("model.layers: needs at least one layer");
  if (!problems.isEmpty()) {
    showStatus(problems, true);
    return false;
  }
  setDirty(false);
  shown_model_.clear();  // the config that comes back is the applied one
  emit layersApplied(nodes);
  return true;
}

void ModelView::revertEdits() {
  setDirty(false);
  replan();
}

void ModelView::addRow() {
  const int r = layers_->currentRow() >= 0 ? layers_->currentRow() + 1 : layers_->rowCount();
  filling_ = true;
  layers_->insertRow(r);
  layers_->setItem(r, kName, new QTableWidgetItem);
  layers_->setItem(r, kOp, new QTableWidgetItem("linear"));
  layers_->setItem(r, kInputs, new QTableWidgetItem);
  layers_->setItem(r, kAttrs, new QTableWidgetItem("{\"units\": 64}"));
  filling_ = false;
  layers_->setCurrentCell(r, kOp);
  setDirty(true);
}

void ModelView::removeRows() {
  const auto ranges = layers_->selectedRanges();
  if (ranges.isEmpty()) return;
  for (auto it = ranges.rbegin(); it != ranges.rend(); ++it)
    for (int r = it->bottomRow(); r >= it->topRow(); --r) layers_->removeRow(r);
  setDirty(true);
}

void ModelView::moveRow(int delta) {
  const int r = layers_->currentRow();
  const int to = r + delta;
  if (r < 0 || to < 0 || to >= layers_->rowCount()) return;
  filling_ = true;
  for (int c = 0; c < kLayerColumns; ++c) {
    QTableWidgetItem* a = layers_->takeItem(r, c);
    QTableWidgetItem* b = layers_->takeItem(to, c);
    layers_->setItem(r, c, b);
    layers_->setItem(to, c, a);
  }
  filling_ = false;
  layers_->setCurrentCell(to, layers_->currentColumn());
  setDirty(true);
}

void ModelView::readDataShape() {
  if (reading_ || sample_) return;
  reading_ = true;
  struct Result {
    std::optional<SampleInfo> info;
    std::string error;
  };
  auto result = std::make_shared<Result>();
  const RunConfig cfg = config_;
  const std::string key = sample_key_;
  // Loading an image folder takes seconds: never on the GUI thread.
  QThread* thread = QThread::create([cfg, result] {
    try {
      result->info = sampleInfoFor(cfg);
    } catch (const std::exception& e) {
      result->error = e.what();
    }
  });
  connect(thread, &QThread::finished, thread, &QObject::deleteLater);
  connect(thread, &QThread::finished, this, [this, result, key] {
    reading_ = false;
    if (key != sample_key_) return;  // the dataset changed meanwhile
    sample_ = result->info;
    replan();
    if (!result->error.empty()) showStatus({tr("Could not read the data:"), qs(result->error)}, true);
  });
  thread->start();
  replan();
}

}  // namespace halflab
