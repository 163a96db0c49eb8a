#include "ui/run_browser.hpp"

#include <map>

#include <QCheckBox>
#include <QTreeWidgetItemIterator>

#include "storage/run_groups.hpp"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "ui/stored_trace.hpp"

namespace halflab {

namespace {
constexpr int kGroupRole = Qt::UserRole + 1;  // true on a group row
enum Column { kName, kStatus, kMode, kSteps, kFinalAcc, kBestAcc, kWall, kSkipped, kCreated, kTags, kColumns };

QColor statusColor(RunStatus s) {
  switch (s) {
    case RunStatus::Completed: return QColor(30, 130, 50);
    case RunStatus::Running: return QColor(30, 90, 200);
    case RunStatus::Interrupted: return QColor(200, 120, 0);
    case RunStatus::Cancelled: return QColor(120, 120, 120);
    case RunStatus::Failed:
    case RunStatus::Diverged: return QColor(200, 30, 30);
    default: return QColor(60, 60, 60);
  }
}
}  // namespace

RunBrowser::RunBrowser(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  filter_ = new QLineEdit;
  filter_->setPlaceholderText(tr("Filter runs (name, mode, tag)…"));
  filter_->setClearButtonEnabled(true);
  status_ = new QComboBox;
  status_->addItem(tr("all statuses"), QString());
  for (auto s : {RunStatus::Completed, RunStatus::Running, RunStatus::Interrupted, RunStatus::Cancelled,
                 RunStatus::Failed, RunStatus::Diverged})
    status_->addItem(QString::fromUtf8(runStatusName(s)), QString::fromUtf8(runStatusName(s)));
  group_by_ = new QCheckBox(tr("Group by config"));
  group_by_->setObjectName("groupByConfig");
  group_by_->setToolTip(tr("One row per config minus seed: the seeds of a sweep or A/B together, "
                           "with the mean final accuracy and its 95 % interval"));
  top->addWidget(filter_, 1);
  top->addWidget(status_);
  top->addWidget(group_by_);
  layout->addLayout(top);

  tree_ = new QTreeWidget;
  tree_->setColumnCount(kColumns);
  tree_->setHeaderLabels({tr("Run"), tr("Status"), tr("Mode"), tr("Steps"), tr("Final acc"), tr("Best acc"),
                          tr("Wall (s)"), tr("Skipped"), tr("Created"), tr("Tags")});
  tree_->setRootIsDecorated(false);
  tree_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  tree_->setAlternatingRowColors(true);
  tree_->setSortingEnabled(false);
  tree_->setContextMenuPolicy(Qt::CustomContextMenu);
  tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  tree_->header()->setStretchLastSection(true);
  layout->addWidget(tree_, 1);
  footer_ = new QLabel;
  footer_->setStyleSheet("color: #555;");
  layout->addWidget(footer_);

  connect(filter_, &QLineEdit::textChanged, this, &RunBrowser::refresh);
  connect(status_, &QComboBox::currentIndexChanged, this, &RunBrowser::refresh);
  connect(group_by_, &QCheckBox::toggled, this, &RunBrowser::refresh);
  connect(tree_, &QTreeWidget::itemSelectionChanged, this, [this] { emit selectionChanged(selectedRunIds()); });
  connect(tree_, &QTreeWidget::customContextMenuRequested, this, &RunBrowser::showContextMenu);
}

void RunBrowser::setStorePath(const QString& path) {
  store_path_ = path;
  refresh();
}

void RunBrowser::refresh() {
  const QList<qint64> keep = selectedRunIds();
  rows_.clear();
  if (!store_path_.isEmpty()) {
    try {
      RunStore store = RunStore::open(store_path_.toStdString(), StoreOpenMode::Create);
      RunFilter f;
      f.status = status_->currentData().toString().toStdString();
      all_rows_ = store.listRuns(f);
      // A summary holds 0 for an accuracy that was never measured (no eval before the run
      // ended): the store's metrics tell the two apart. Only zero accuracies are asked.
      accuracy_unmeasured_.clear();
      for (const RunRow& r : all_rows_) {
        if (!r.summary || r.summary->final_val_accuracy != 0 || r.summary->best_val_accuracy != 0) continue;
        bool measured = false;
        for (const MetricStats& m : store.metricStats(r.id)) measured = measured || (m.key == "val_accuracy" && m.count > 0);
        if (!measured) accuracy_unmeasured_.insert(r.id);
      }
    } catch (const std::exception& e) {
      all_rows_.clear();
      footer_->setText(tr("Store problem: %1").arg(e.what()));
      emit storeError(tr("The run store %1 cannot be read:\n%2").arg(store_path_, e.what()));
    }
  }
  // Filter across name, mode and tags, case-insensitive.
  const QString needle = filter_->text().trimmed();
  for (const RunRow& r : all_rows_) {
    QString hay = QString::fromStdString(r.name + " " + r.precision_mode + " " + r.notes);
    for (const auto& t : r.tags) hay += " " + QString::fromStdString(t);
    if (needle.isEmpty() || hay.contains(needle, Qt::CaseInsensitive)) rows_.push_back(r);
  }

  QSignalBlocker block(tree_);
  tree_->clear();
  // Grouped: a row per config minus seed, its runs below it.
  std::map<qint64, QTreeWidgetItem*> parent_of;
  if (grouped()) {
    std::vector<RunMeasures> measures;
    for (const RunRow& r : rows_) measures.push_back(measureRun(r, {}));
    for (const RunGroup& g : groupRuns(rows_, measures)) {
      auto* gi = new QTreeWidgetItem;
      gi->setData(kName, kGroupRole, true);
      gi->setText(kName, tr("%1 — %n run(s)", "", static_cast<int>(g.runs.size())).arg(QString::fromStdString(g.label)));
      std::vector<double> acc, best;
      for (std::size_t i = 0; i < g.runs.size(); ++i)
        if (isComparable(g.runs[i])) {
          acc.push_back(g.measures[i][RunMeasure::FinalValAccuracy]);
          best.push_back(g.measures[i][RunMeasure::BestValAccuracy]);
        }
      const auto ci = [](const std::vector<double>& v) {
        const SampleSummary s = summarizeSample(v);
        if (s.n == 0) return QString();
        if (s.n < 2) return QString::number(100 * s.mean, 'f', 2) + " %";
        return QString::fromUtf8("%1 ± %2 %").arg(100 * s.mean, 0, 'f', 2).arg(100 * s.half_width, 0, 'f', 2);
      };
      gi->setText(kFinalAcc, ci(acc));
      gi->setText(kBestAcc, ci(best));
      gi->setText(kMode, QString::fromStdString(g.params.count("precision.mode") ? g.params.at("precision.mode") : ""));
      gi->setToolTip(kFinalAcc, tr("Mean over the finished runs with the half width of its 95 % Student t interval"));
      QFont bold = gi->font(kName);
      bold.setBold(true);
      gi->setFont(kName, bold);
      tree_->addTopLevelItem(gi);
      gi->setExpanded(true);
      for (const RunRow& r : g.runs) parent_of[r.id] = gi;
    }
  }
  tree_->setRootIsDecorated(grouped());
  for (const RunRow& r : rows_) {
    auto* item = new QTreeWidgetItem;
    item->setData(kName, Qt::UserRole, QVariant::fromValue<qint64>(r.id));
    item->setText(kName, storedRunLabel(r));
    QString status = QString::fromUtf8(runStatusName(r.status));
    if (r.summary && !r.summary->error.empty()) item->setToolTip(kStatus, QString::fromStdString(r.summary->error));
    item->setText(kStatus, status);
    item->setForeground(kStatus, statusColor(r.status));
    if (r.status == RunStatus::Interrupted || r.status == RunStatus::Diverged || r.status == RunStatus::Failed) {
      QFont bold = item->font(kStatus);
      bold.setBold(true);
      item->setFont(kStatus, bold);
      item->setText(kStatus, status.toUpper());
    }
    item->setText(kMode, QString::fromStdString(r.precision_mode));
    if (r.summary) {
      item->setText(kSteps, QString::number(r.summary->steps));
      const bool measured = !accuracy_unmeasured_.count(r.id);
      const auto pct = [&](double v) { return measured ? QString::number(100 * v, 'f', 2) + " %" : QStringLiteral("—"); };
      item->setText(kFinalAcc, pct(r.summary->final_val_accuracy));
      item->setText(kBestAcc, pct(r.summary->best_val_accuracy));
      if (!measured) {
        item->setToolTip(kFinalAcc, tr("Never measured: the run ended before its first evaluation"));
        item->setToolTip(kBestAcc, item->toolTip(kFinalAcc));
      }
      item->setText(kWall, QString::number(r.summary->wall_time_s, 'f', 1));
      item->setText(kSkipped, QString::number(r.summary->skipped_steps));
    } else {
      item->setText(kSteps, QString::number(r.total_steps));
    }
    item->setText(kCreated, QDateTime::fromMSecsSinceEpoch(r.created_ms).toString("yyyy-MM-dd hh:mm"));
    QStringList tags;
    for (const auto& t : r.tags) tags << QString::fromStdString(t);
    item->setText(kTags, tags.join(", "));
    if (!r.notes.empty()) item->setToolTip(kName, QString::fromStdString(r.notes));
    if (auto p = parent_of.find(r.id); p != parent_of.end()) p->second->addChild(item);
    else tree_->addTopLevelItem(item);
    if (keep.contains(r.id)) item->setSelected(true);
  }
  footer_->setText(tr("%1 of %2 runs · %3").arg(rows_.size()).arg(all_rows_.size()).arg(store_path_));
  if (selectedRunIds() != keep) emit selectionChanged(selectedRunIds());
}

int RunBrowser::listedCount() const { return static_cast<int>(rows_.size()); }

bool RunBrowser::grouped() const { return group_by_->isChecked(); }
void RunBrowser::setGrouped(bool on) { group_by_->setChecked(on); }

QList<QTreeWidgetItem*> RunBrowser::runItems() const {
  QList<QTreeWidgetItem*> items;
  for (QTreeWidgetItemIterator it(tree_); *it; ++it)
    if (!(*it)->data(kName, kGroupRole).toBool()) items << *it;
  return items;
}

QString RunBrowser::cellText(qint64 id, const QString& column) const {
  int col = -1;
  for (int c = 0; c < tree_->columnCount(); ++c)
    if (tree_->headerItem()->text(c) == column) col = c;
  if (col < 0) return {};
  for (auto* item : runItems())
    if (item->data(kName, Qt::UserRole).value<qint64>() == id) return item->text(col);
  return {};
}

QList<qint64> RunBrowser::selectedRunIds() const {
  // A selected group stands for all its runs.
  QList<qint64> ids;
  for (auto* item : runItems()) {
    const bool group_selected = item->parent() && item->parent()->isSelected();
    if (item->isSelected() || group_selected) ids << item->data(kName, Qt::UserRole).value<qint64>();
  }
  return ids;
}

void RunBrowser::selectRuns(const QList<qint64>& ids) {
  {
    QSignalBlocker block(tree_);
    tree_->clearSelection();
    for (auto* item : runItems())
      if (ids.contains(item->data(kName, Qt::UserRole).value<qint64>())) item->setSelected(true);
  }
  emit selectionChanged(selectedRunIds());
}

std::vector<RunRow> RunBrowser::rowsFor(const QList<qint64>& ids) const {
  std::vector<RunRow> out;
  for (qint64 id : ids)
    for (const RunRow& r : all_rows_)
      if (r.id == id) out.push_back(r);
  return out;
}

QString RunBrowser::edit(qint64 id, const std::function<void(RunStore&)>& change) {
  try {
    RunStore store = RunStore::open(store_path_.toStdString(), StoreOpenMode::ReadWrite);
    (void)id;
    change(store);
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  refresh();
  return {};
}

QString RunBrowser::renameRun(qint64 id, const QString& name) {
  return edit(id, [&](RunStore& s) { s.rename(id, name.toStdString()); });
}
QString RunBrowser::setRunNote(qint64 id, const QString& note) {
  return edit(id, [&](RunStore& s) { s.setNote(id, note.toStdString()); });
}
QString RunBrowser::addRunTag(qint64 id, const QString& tag) {
  return edit(id, [&](RunStore& s) { s.addTag(id, tag.toStdString()); });
}
QString RunBrowser::deleteRuns(const QList<qint64>& ids) {
  return edit(0, [&](RunStore& s) {
    for (qint64 id : ids) s.deleteRun(id);
  });
}

void RunBrowser::showContextMenu(const QPoint& pos) {
  auto* item = tree_->itemAt(pos);
  if (!item) return;
  const qint64 id = item->data(kName, Qt::UserRole).value<qint64>();
  const auto found = rowsFor({id});
  if (found.empty()) return;
  const RunRow run = found.front();
  const QList<qint64> selected = selectedRunIds();
  QMenu menu(this);
  auto report = [this](const QString& error) {
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Run store"), error);
  };
  menu.addAction(tr("Rename…"), this, [&] {
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename run"), tr("Name:"), QLineEdit::Normal,
                                               QString::fromStdString(run.name), &ok);
    if (ok && !name.trimmed().isEmpty()) report(renameRun(id, name.trimmed()));
  });
  menu.addAction(tr("Note…"), this, [&] {
    bool ok = false;
    const QString note = QInputDialog::getMultiLineText(this, tr("Run note"), tr("Note:"),
                                                        QString::fromStdString(run.notes), &ok);
    if (ok) report(setRunNote(id, note));
  });
  menu.addAction(tr("Add tag…"), this, [&] {
    bool ok = false;
    const QString tag = QInputDialog::getText(this, tr("Add tag"), tr("Tag:"), QLineEdit::Normal, {}, &ok);
    if (ok && !tag.trimmed().isEmpty()) report(addRunTag(id, tag.trimmed()));
  });
  menu.addAction(tr("Load its config"), this,
                 [&] { emit loadConfigRequested(QString::fromStdString(run.config_json)); });
  menu.addSeparator();
  menu.addAction(tr("Delete %n run(s)…", nullptr, static_cast<int>(selected.size())), this, [&] {
    if (QMessageBox::question(this, tr("Delete runs"),
                              tr("Delete %n run(s) with all their metrics? This cannot be undone.", nullptr,
                                 static_cast<int>(selected.size()))) == QMessageBox::Yes)
      report(deleteRuns(selected));
  });
  menu.exec(tree_->viewport()->mapToGlobal(pos));
}

}  // namespace halflab
