#include "ui/exporter.hpp"

#include <cmath>

#include <QBuffer>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTextStream>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include "engine/json/bounded_json.hpp"
#include "plots/halflab_plot.hpp"
#include "storage/run_export.hpp"
#include "ui/comparison.hpp"

namespace halflab {

namespace {
QString writeText(const QString& path, const QByteArray& bytes) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly))
    return QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
  file.write(bytes);
  if (!file.commit()) return QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
  return {};
}

std::vector<RunRow> runsOf(const RunStore& store, const QList<qint64>& ids) {
  std::vector<RunRow> runs;
  for (qint64 id : ids) runs.push_back(store.run(id));
  return runs;
}

QString htmlEscape(const QString& s) { return s.toHtmlEscaped(); }

// CSV and JSON come from the storage library, so the GUI and `halflab-cli runs export`
// write identical files.
QString exportWith(const RunStore& store, const QList<qint64>& run_ids, ExportFormat format, const QString& path) {
  if (run_ids.isEmpty()) return QObject::tr("Select at least one run to export");
  try {
    exportRuns(store, std::vector<std::int64_t>(run_ids.begin(), run_ids.end()), format, path.toStdString());
  } catch (const std::exception& e) {
    return QObject::tr("Cannot export %1: %2").arg(path, e.what());
  }
  return {};
}
}  // namespace

QString filterSuffix(const QString& name_filter) {
  static const QRegularExpression pattern(QStringLiteral("\\(\\*\\.([A-Za-z0-9]+)"));
  const auto match = pattern.match(name_filter);
  return match.hasMatch() ? match.captured(1).toLower() : QString();
}

QString withFilterSuffix(const QString& path, const QString& name_filter) {
  const QString suffix = filterSuffix(name_filter);
  if (path.isEmpty() || suffix.isEmpty() || !QFileInfo(path).suffix().isEmpty()) return path;
  return path + "." + suffix;
}

QString exportRunsCsv(const RunStore& store, const QList<qint64>& run_ids, const QString& path) {
  return exportWith(store, run_ids, ExportFormat::Csv, path);
}

QString exportRunsJson(const RunStore& store, const QList<qint64>& run_ids, const QString& path) {
  return exportWith(store, run_ids, ExportFormat::Json, path);
}

QString exportComparisonHtml(const RunStore& store, const QList<qint64>& run_ids, int baseline_index,
                             const QList<QPair<QString, QCustomPlot*>>& plots, const QString& path) {
  std::vector<RunRow> runs;
  try {
    runs = runsOf(store, run_ids);
  } catch (const std::exception& e) {
    return QObject::tr("Cannot export %1: %2").arg(path, e.what());
  }
  if (runs.empty()) return QObject::tr("Select at least one run to put in the report");
  const std::size_t baseline = std::min<std::size_t>(std::max(0, baseline_index), runs.size() - 1);
  std::vector<ComparisonRow> rows;
  QString timing_note;
  try {
    rows = buildComparison(runs, baseline, storedStepTimes(store, runs));
    timing_note = comparisonTimingNote(runs);
  } catch (const std::exception& e) {
    return QObject::tr("Cannot export %1: %2").arg(path, e.what());
  }

  QString html;
  QTextStream s(&html);
  s << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>HalfLab comparison</title>\n"
    << "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}"
       "td:first-child,th:first-child{text-align:left}tr.baseline{font-weight:bold}"
       "img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}pre{background:#f7f7f7;padding:8px;"
       "overflow:auto;font-size:85%}</style></head><body>\n";
  s << "<h1>HalfLab run comparison</h1>\n<p>Generated " << QDateTime::currentDateTime().toString(Qt::ISODate)
    << " from <code>" << htmlEscape(QString::fromStdString(store.path())) << "</code>. Baseline: <b>"
    << htmlEscape(rows[baseline].label) << "</b>.</p>\n";
  s << "<h2>Summary</h2>\n<table><tr>";
  for (const QString& h : comparisonHeaders()) s << "<th>" << htmlEscape(h) << "</th>";
  s << "</tr>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s << (i == baseline ? "<tr class=\"baseline\">" : "<tr>");
    for (const QString& c : comparisonCells(rows[i], i == baseline)) s << "<td>" << htmlEscape(c) << "</td>";
    s << "</tr>\n";
  }
  s << "</table>\n";
  if (!timing_note.isEmpty()) s << "<p>" << htmlEscape(timing_note) << "</p>\n";
  if (!plots.isEmpty()) s << "<h2>Plots</h2>\n";
  for (const auto& [title, plot] : plots) {
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    // A plot on a tab never opened has not drawn its data yet.
    if (auto* own = qobject_cast<HalflabPlot*>(plot)) own->ensureDrawn();
    plot->toPixmap(900, 450).save(&buffer, "PNG");
    s << "<h3>" << htmlEscape(title) << "</h3>\n<img alt=\"" << htmlEscape(title) << "\" src=\"data:image/png;base64,"
      << QString::fromLatin1(png.toBase64()) << "\">\n";
  }
  s << "<h2>Configurations</h2>\n";
  for (const RunRow& run : runs) {
    const auto cfg = parseBoundedJsonOrDiscarded(run.config_json);
    s << "<h3>" << htmlEscape(QString::fromStdString(run.name)) << " #" << run.id << "</h3>\n<pre>"
      << htmlEscape(QString::fromStdString(cfg.is_discarded() ? run.config_json : cfg.dump(2))) << "</pre>\n";
    if (run.summary && !run.summary->error.empty())
      s << "<p style=\"color:#b00020\">" << htmlEscape(QString::fromStdString(run.summary->error)) << "</p>\n";
  }
  s << "</body></html>\n";
  s.flush();
  return writeText(path, html.toUtf8());
}

}  // namespace halflab
