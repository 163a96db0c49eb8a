#pragma once
// Debiased exponential moving average, as TensorBoard's scalar smoothing: the first
// points are not pulled towards 0, and non-finite values pass through untouched.
#include <QVector>

namespace halflab {

// weight in [0, 1): 0 = raw values, 0.99 = very smooth.
QVector<double> debiasedEma(const QVector<double>& values, double weight);

}  // namespace halflab
