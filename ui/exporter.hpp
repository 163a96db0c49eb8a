#pragma once
// Exports of stored runs: metrics as CSV (run,step,key,value,wall_time) and JSON, and a
// comparison as one self-contained HTML file (plots embedded as base64 PNG, the table,
// the configs). Every function returns "" on success or a message naming the file.
#include <QList>
#include <QPair>
#include <QString>

#include "storage/run_store.hpp"

class QCustomPlot;

namespace halflab {

// The extension a file-dialog name filter stands for: "Current plot as SVG (*.svg)" ->
// "svg" ("" when it names none).
QString filterSuffix(const QString& name_filter);
// `path` as typed in the export dialog, with the chosen type's extension added when the
// name has none ("plot" + SVG -> "plot.svg"); a name with an extension is kept.
QString withFilterSuffix(const QString& path, const QString& name_filter);

QString exportRunsCsv(const RunStore& store, const QList<qint64>& run_ids, const QString& path);
QString exportRunsJson(const RunStore& store, const QList<qint64>& run_ids, const QString& path);
// plots: (title, plot) drawn as they are now.
QString exportComparisonHtml(const RunStore& store, const QList<qint64>& run_ids, int baseline_index,
                             const QList<QPair<QString, QCustomPlot*>>& plots, const QString& path);

}  // namespace halflab
