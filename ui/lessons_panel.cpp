#include "ui/lessons_panel.hpp"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace halflab {

LessonsPanel::LessonsPanel(QWidget* parent) : QWidget(parent) {
  QStringList errors;
  lessons_ = loadLessons(QStringLiteral(":/lessons"), &errors);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* left = new QVBoxLayout;
  list_ = new QListWidget;
  for (const Lesson& l : lessons_) list_->addItem(l.title);
  left->addWidget(list_, 1);
  auto* load = new QPushButton(tr("Load config"));
  auto* run = new QPushButton(tr("Run lesson"));
  run->setDefault(true);
  left->addWidget(load);
  left->addWidget(run);
  layout->addLayout(left, 1);
  text_ = new QTextBrowser;
  text_->setOpenExternalLinks(true);
  layout->addWidget(text_, 2);
  if (!errors.isEmpty()) text_->setPlainText(tr("Some lessons could not be loaded:\n") + errors.join("\n"));

  connect(list_, &QListWidget::currentRowChanged, this, &LessonsPanel::showLesson);
  connect(list_, &QListWidget::itemDoubleClicked, this, [this] {
    const int i = list_->currentRow();
    if (i >= 0) emit runRequested(lessons_[i]);
  });
  connect(load, &QPushButton::clicked, this, [this] {
    const int i = list_->currentRow();
    if (i >= 0) emit loadRequested(lessons_[i]);
  });
  connect(run, &QPushButton::clicked, this, [this] {
    const int i = list_->currentRow();
    if (i >= 0) emit runRequested(lessons_[i]);
  });
  if (!lessons_.empty()) list_->setCurrentRow(0);
}

void LessonsPanel::showLesson(int index) {
  if (index < 0 || index >= static_cast<int>(lessons_.size())) return;
  if (list_->currentRow() != index) list_->setCurrentRow(index);
  const Lesson& l = lessons_[index];
  QString md = "## " + l.title + "\n\n" + l.explanation + "\n\n**Watch:** the *" + l.watch + "* plot.";
  if (l.reference)
    md += tr(" Then its reference run, **%1**, trains with the same seed and data, and both are overlaid.")
              .arg(QString::fromStdString(l.reference->name).toHtmlEscaped());
  text_->setMarkdown(md);
}

QString LessonsPanel::shownMarkdown() const { return text_->toMarkdown(); }

}  // namespace halflab
