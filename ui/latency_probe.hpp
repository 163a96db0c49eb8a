#pragma once
// Measures how responsive the GUI event loop is: a precise timer that records how late
// each of its own ticks fires. p99 lateness is what a user feels as stutter.
#include <vector>

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace halflab {

class LatencyProbe : public QObject {
  Q_OBJECT
 public:
  explicit LatencyProbe(int interval_ms = 10, QObject* parent = nullptr);
  void start();
  void stop();
  void reset();
  bool running() const { return timer_.isActive(); }
  // Lateness percentiles in ms over the samples since reset() (0 without samples).
  double percentile(double p) const;
  double p50() const { return percentile(50); }
  double p99() const { return percentile(99); }
  double maxLateness() const { return percentile(100); }
  std::size_t samples() const { return lateness_ms_.size(); }

 private:
  void tick();
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ns_ = 0;
  int interval_ms_;
  std::vector<double> lateness_ms_;
};

}  // namespace halflab
