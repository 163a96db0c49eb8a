#pragma once
// Every HalfLab plot lays its legend out as a row of its own between the title and the
// data, so it can never cover a line, a band, an error bar or an overflow marker.
#include <qcustomplot.h>

namespace halflab {

// Moves plot's legend out of the axis rect into layout row `row` (inserted), borderless.
void putLegendInRow(QCustomPlot& plot, int row);

}  // namespace halflab
