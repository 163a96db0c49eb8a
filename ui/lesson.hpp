#pragma once
// Lessons: one-click presets that reproduce a textbook mixed-precision failure mode, each
// with an explanation (Markdown), the plot to watch and a full RunConfig. Stored as JSON
// in resources/lessons/ and compiled into the binary:
//   {"title": "...", "explanation": "markdown", "watch": "scale",
//    "compare_mode": "fp16-amp" (optional: run as A/B against this mode), "config": {...}}
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "engine/train/run_config.hpp"

namespace halflab {

struct Lesson {
  QString id;            // file name without .json
  QString title;
  QString explanation;   // Markdown
  QString watch;         // plot id (see PlotPanel::plots())
  QString compare_mode;  // "" = a single run
  RunConfig config;
};

// Registers the compiled-in resources (icons, lessons, presets); idempotent.
void initResources();

// Parses one lesson; throws std::runtime_error naming the file and the problem.
Lesson parseLesson(const QByteArray& json, const QString& source);
// Every lesson in a folder (default: the compiled-in ":/lessons"), sorted by file name.
// Files that do not parse are skipped and described in *errors.
std::vector<Lesson> loadLessons(const QString& dir = QStringLiteral(":/lessons"), QStringList* errors = nullptr);

}  // namespace halflab
