#pragma once
// A metric against a swept parameter (e.g. final accuracy vs learning rate), one line per
// series (e.g. per precision mode), each point the mean over seeds with an error bar (the
// half width of its 95 % interval).
#include <vector>

#include <QColor>
#include <QString>
#include <QVector>
#include <qcustomplot.h>

namespace halflab {

struct ParamLine {
  QString label;
  QColor color;
  QVector<double> x, mean, error;  // error: half width (0 where unknown)
};

class ParamPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit ParamPlot(QWidget* parent = nullptr);
  // x_ticks: names for x = 0, 1, ... when the parameter is not a number (empty = numeric).
  void setLines(const QString& x_label, const QString& y_label, std::vector<ParamLine> lines,
                const QStringList& x_ticks = {});
  const std::vector<ParamLine>& lines() const { return lines_; }

 private:
  std::vector<ParamLine> lines_;
};

}  // namespace halflab
