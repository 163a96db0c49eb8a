#include "ui/exporter.hpp"

#include "storage/run_groups.hpp"
#include "ui/group_view.hpp"

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
  std::vector<RunGroup> groups;  // seeds of one config: intervals and verdicts
  try {
    const StepTimesByRun step_times = storedStepTimes(store, runs);
    rows = buildComparison(runs, baseline, step_times);
    timing_note = comparisonTimingNote(runs);
    std::vector<RunRow> finished;
    std::vector<RunMeasures> measures;
    for (const RunRow& r : runs)
      if (isComparable(r)) {
        finished.push_back(r);
        auto t = step_times.find(r.id);
        measures.push_back(measureRun(r, t == step_times.end() ? std::vector<double>{} : t->second));
      }
    groups = groupRuns(finished, measures);
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
  // Groups with more than one seed: mean ± 95 % Student t interval, Welch verdicts.
  bool replicated = false;
  for (const RunGroup& g : groups) replicated = replicated || g.runs.size() > 1;
  if (replicated) {
    const auto ci = [](const SampleSummary& x, double scale, int decimals) {
      if (x.n == 0) return QString("-");
      if (x.n < 2) return QString::number(scale * x.mean, 'f', decimals);
      return QString::fromUtf8("%1 ± %2").arg(scale * x.mean, 0, 'f', decimals).arg(scale * x.half_width, 0, 'f', decimals);
    };
    s << "<h2>Seed groups (config minus seed)</h2>\n<table><tr><th>group</th><th>n</th><th>final acc %</th>"
         "<th>best acc %</th><th>final loss</th><th>ms/step</th><th>skipped</th><th>overflow steps</th></tr>\n";
    for (const RunGroup& g : groups)
      s << "<tr><td>" << htmlEscape(QString::fromStdString(g.label)) << "</td><td>" << g.runs.size() << "</td><td>"
        << ci(g.summary(RunMeasure::FinalValAccuracy), 100, 2) << "</td><td>"
        << ci(g.summary(RunMeasure::BestValAccuracy), 100, 2) << "</td><td>" << ci(g.summary(RunMeasure::FinalLoss), 1, 4)
        << "</td><td>" << ci(g.summary(RunMeasure::MsPerStep), 1, 3) << "</td><td>"
        << ci(g.summary(RunMeasure::SkippedSteps), 1, 1) << "</td><td>" << ci(g.summary(RunMeasure::OverflowSteps), 1, 1)
        << "</td></tr>\n";
    s << "</table>\n<p>mean ± half width of the 95 % Student t interval over seeds; verdicts: difference of "
         "the final validation accuracy to the baseline group with its 95 % interval, Welch's t-test at 5 %.</p>\n<ul>\n";
    for (const QString& v : groupVerdicts(groups)) s << "<li class=\"verdict\">" << htmlEscape(v) << "</li>\n";
    s << "</ul>\n";
  }
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
