#pragma once
// The run browser: every run in the store with status and summary metrics (interrupted,
// failed and diverged runs stand out), a filter box, multi-selection to overlay runs,
// and a context menu to rename, annotate, tag, delete or reload a run's config.
#include <functional>
#include <set>
#include <vector>

#include <QList>
#include <QWidget>

#include "storage/run_store.hpp"

class QCheckBox;
class QComboBox;
class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;
class QLabel;

namespace halflab {

class RunBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit RunBrowser(QWidget* parent = nullptr);

  void setStorePath(const QString& path);
  const QString& storePath() const { return store_path_; }
  // Re-reads the list (keeps the selection). Store problems are reported by storeError.
  void refresh();
  QList<qint64> selectedRunIds() const;
  void selectRuns(const QList<qint64>& ids);
  // The rows currently listed (after the filter), newest first.
  const std::vector<RunRow>& rows() const { return rows_; }
  int listedCount() const;
  // Group by config minus seed: a row per group (mean final accuracy ± 95 % interval)
  // with its runs below; selecting a group selects its runs.
  bool grouped() const;
  void setGrouped(bool on);
  // Every run of the last refresh, filter or not.
  const std::vector<RunRow>& allRows() const { return all_rows_; }
  // The text of a listed run's cell, by column title ("Final acc", ...): "" if not listed.
  QString cellText(qint64 id, const QString& column) const;
  // Run rows of the given ids in the given order (from the last refresh).
  std::vector<RunRow> rowsFor(const QList<qint64>& ids) const;

  // Editing, also used by the context menu (returns "" or the error).
  QString renameRun(qint64 id, const QString& name);
  QString setRunNote(qint64 id, const QString& note);
  QString addRunTag(qint64 id, const QString& tag);
  QString deleteRuns(const QList<qint64>& ids);

 signals:
  void selectionChanged(const QList<qint64>& ids);
  void loadConfigRequested(const QString& config_json);
  void storeError(const QString& message);

 private:
  void showContextMenu(const QPoint& pos);
  QString edit(qint64 id, const std::function<void(RunStore&)>& change);
  QList<QTreeWidgetItem*> runItems() const;  // every run row, grouped or not

  QString store_path_;
  QLineEdit* filter_ = nullptr;
  QComboBox* status_ = nullptr;
  QCheckBox* group_by_ = nullptr;
  QTreeWidget* tree_ = nullptr;
  QLabel* footer_ = nullptr;
  std::vector<RunRow> rows_;
  std::vector<RunRow> all_rows_;
  std::set<qint64> accuracy_unmeasured_;  // finished runs without a single evaluation
};

}  // namespace halflab
