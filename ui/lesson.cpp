#include "ui/lesson.hpp"

#include <stdexcept>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <nlohmann/json.hpp>

#include "engine/json/bounded_json.hpp"

// Q_INIT_RESOURCE must be used outside any namespace; the .qrc lives in a static library,
// so nothing pulls it in unless it is initialised explicitly.
static void initHalflabResourcesOnce() {
  static const bool done = [] {
    Q_INIT_RESOURCE(halflab);
    return true;
  }();
  (void)done;
}

namespace halflab {

void initResources() { initHalflabResourcesOnce(); }

Lesson parseLesson(const QByteArray& bytes, const QString& source) {
  const std::string where = source.toStdString();
  nlohmann::json j;
  try {
    j = parseBoundedJson(bytes.toStdString());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(where + ": not valid JSON: " + describeJsonError(e));
  } catch (const JsonTooDeep& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error(where + ": a lesson must be a JSON object");
  for (const auto& [key, value] : j.items())
    if (key != "title" && key != "explanation" && key != "watch" && key != "config" && key != "reference")
      throw std::runtime_error(where + ": unknown field \"" + key +
                               "\" (allowed: title, explanation, watch, config, reference)");
  auto text = [&](const char* key, bool required) -> QString {
    if (!j.contains(key)) {
      if (required) throw std::runtime_error(where + ": missing \"" + key + "\"");
      return {};
    }
    if (!j[key].is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
    return QString::fromStdString(j[key].get<std::string>());
  };
  Lesson lesson;
  lesson.id = QFileInfo(source).completeBaseName();
  lesson.title = text("title", true);
  lesson.explanation = text("explanation", true);
  lesson.watch = text("watch", false);
  if (lesson.watch.isEmpty()) lesson.watch = QStringLiteral("loss");
  if (!j.contains("config")) throw std::runtime_error(where + ": missing \"config\"");
  try {
    lesson.config = RunConfig::fromJson(j["config"]);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  if (j.contains("reference")) {
    if (!j["reference"].is_object() || j["reference"].empty())
      throw std::runtime_error(where + ": \"reference\" must be an object with the config fields that differ");
    nlohmann::json merged = j["config"];
    merged.merge_patch(j["reference"]);
    try {
      lesson.reference = RunConfig::fromJson(merged);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": reference: " + e.what());
    }
  }
  return lesson;
}

std::vector<Lesson> loadLessons(const QString& dir, QStringList* errors) {
  initResources();
  std::vector<Lesson> lessons;
  const QDir folder(dir);
  for (const QString& name : folder.entryList({"*.json"}, QDir::Files, QDir::Name)) {
    QFile file(folder.filePath(name));
    if (!file.open(QIODevice::ReadOnly)) {
      if (errors) *errors << QObject::tr("%1: cannot open (%2)").arg(file.fileName(), file.errorString());
      continue;
    }
    try {
      lessons.push_back(parseLesson(file.readAll(), file.fileName()));
    } catch (const std::exception& e) {
      if (errors) *errors << QString::fromUtf8(e.what());
    }
  }
  return lessons;
}

}  // namespace halflab
