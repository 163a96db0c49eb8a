#pragma once
// Lessons: one-click presets that reproduce a textbook mixed-precision failure mode, each
// with an explanation (Markdown), the plot to watch, a full RunConfig and the reference
// run it is contrasted with. Stored as JSON in resources/lessons/ and compiled in:
//   {"title": "...", "explanation": "markdown", "watch": "scale", "config": {...},
//    "reference": {...}}
// "reference" (optional) is a JSON merge patch over "config" (RFC 7386: only the fields
// that differ, e.g. {"name": "...", "precision": {"mode": "fp32"}}); the lesson trains its
// config, then the reference with the same seed and data, and overlays the two.
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
  RunConfig config;
  std::optional<RunConfig> reference;  // the run shown beside it; none = a single run
};

// Registers the compiled-in resources (icons, lessons, presets); idempotent.
void initResources();

// Parses one lesson; throws std::runtime_error naming the file and the problem.
Lesson parseLesson(const QByteArray& json, const QString& source);
// Every lesson in a folder (default: the compiled-in ":/lessons"), sorted by file name.
// Files that do not parse are skipped and described in *errors.
std::vector<Lesson> loadLessons(const QString& dir = QStringLiteral(":/lessons"), QStringList* errors = nullptr);

}  // namespace halflab
