#include "plots/legend_row.hpp"

namespace halflab {

void putLegendInRow(QCustomPlot& plot, int row) {
  QCPLegend* legend = plot.legend;
  legend->setVisible(true);
  legend->setFont(QFont(plot.font().family(), 8));
  legend->setRowSpacing(-3);
  plot.axisRect()->insetLayout()->take(legend);
  plot.axisRect()->insetLayout()->simplify();
  plot.plotLayout()->insertRow(row);
  plot.plotLayout()->addElement(row, 0, legend);
  plot.plotLayout()->setRowStretchFactor(row, 0.001);
  plot.plotLayout()->setRowSpacing(0);
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setMargins(QMargins(6, 0, 6, 0));
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
}

}  // namespace halflab
