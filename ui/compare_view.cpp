#include "ui/compare_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/stored_trace.hpp"

namespace halflab {

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Baseline:")));
  baseline_ = new QComboBox;
  baseline_->setMinimumContentsLength(24);
  top->addWidget(baseline_, 1);
  layout->addLayout(top);
  table_ = new QTableWidget;
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  layout->addWidget(table_, 1);
  note_ = new QLabel;
  note_->setWordWrap(true);
  note_->hide();
  layout->addWidget(note_);
  verdict_ = new QLabel;
  verdict_->setObjectName("compareVerdicts");
  verdict_->setWordWrap(true);
  verdict_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  verdict_->hide();
  layout->addWidget(verdict_);
  connect(baseline_, &QComboBox::currentIndexChanged, this, &CompareView::rebuild);
  rebuild();
}

void CompareView::setRuns(const std::vector<RunRow>& runs, StepTimesByRun step_times) {
  runs_ = runs;
  step_times_ = std::move(step_times);
  const QString note = comparisonTimingNote(runs_);
  note_->setText(note);
  note_->setVisible(!note.isEmpty());
  QSignalBlocker block(baseline_);
  baseline_->clear();
  int fp32 = -1;
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    baseline_->addItem(storedRunLabel(runs_[i]));
    if (fp32 < 0 && runs_[i].precision_mode == "fp32") fp32 = static_cast<int>(i);
  }
  // FP32 is the natural reference when it is among the runs.
  baseline_->setCurrentIndex(fp32 >= 0 ? fp32 : 0);
  rebuild();
}

int CompareView::baseline() const { return std::max(0, baseline_->currentIndex()); }
void CompareView::setBaseline(int index) { baseline_->setCurrentIndex(index); }

std::vector<ComparisonRow> CompareView::comparison() const {
  return buildComparison(runs_, static_cast<std::size_t>(baseline()), step_times_);
}

void CompareView::setVerdicts(const QStringList& lines) {
  verdicts_ = lines;
  verdict_->setText(lines.join("\n"));
  verdict_->setVisible(!lines.isEmpty());
}

QString CompareView::timingNote() const { return note_->isHidden() ? QString() : note_->text(); }

void CompareView::rebuild() {
  const QStringList headers = comparisonHeaders();
  table_->clear();
  table_->setColumnCount(headers.size());
  table_->setHorizontalHeaderLabels(headers);
  const auto rows = comparison();
  table_->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    const QStringList cells = comparisonCells(rows[r], r == baseline());
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      if (c >= 3) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (r == baseline()) {
        QFont f = item->font();
        f.setBold(true);
        item->setFont(f);
      }
      table_->setItem(r, c, item);
    }
  }
}

}  // namespace halflab
