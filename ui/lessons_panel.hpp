#pragma once
// Lists the lessons, shows the chosen one's explanation, and asks the main window to load
// or run it.
#include <vector>

#include <QWidget>

#include "ui/lesson.hpp"

class QListWidget;
class QTextBrowser;

namespace halflab {

class LessonsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit LessonsPanel(QWidget* parent = nullptr);
  const std::vector<Lesson>& lessons() const { return lessons_; }
  void showLesson(int index);
  QString shownMarkdown() const;

 signals:
  void loadRequested(const halflab::Lesson& lesson);
  void runRequested(const halflab::Lesson& lesson);

 private:
  std::vector<Lesson> lessons_;
  QListWidget* list_ = nullptr;
  QTextBrowser* text_ = nullptr;
};

}  // namespace halflab
