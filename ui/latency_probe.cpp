#include "ui/latency_probe.hpp"

#include <algorithm>
#include <cmath>

namespace halflab {

LatencyProbe::LatencyProbe(int interval_ms, QObject* parent) : QObject(parent), interval_ms_(interval_ms) {
  timer_.setTimerType(Qt::PreciseTimer);
  timer_.setInterval(interval_ms);
  connect(&timer_, &QTimer::timeout, this, &LatencyProbe::tick);
}

void LatencyProbe::start() {
  clock_.start();
  last_ns_ = clock_.nsecsElapsed();
  timer_.start();
}

void LatencyProbe::stop() { timer_.stop(); }

void LatencyProbe::reset() {
  lateness_ms_.clear();
  last_ns_ = clock_.isValid() ? clock_.nsecsElapsed() : 0;
}

void LatencyProbe::tick() {
  const qint64 now = clock_.nsecsElapsed();
  const double late = (now - last_ns_) / 1e6 - interval_ms_;
  last_ns_ = now;
  // Keep a bounded window (the last ~100 s at 10 ms) so long sessions stay cheap.
  if (lateness_ms_.size() >= 10000) lateness_ms_.erase(lateness_ms_.begin(), lateness_ms_.begin() + 5000);
  lateness_ms_.push_back(std::max(0.0, late));
}

double LatencyProbe::percentile(double p) const {
  if (lateness_ms_.empty()) return 0.0;
  std::vector<double> sorted = lateness_ms_;
  std::sort(sorted.begin(), sorted.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * (sorted.size() - 1);
  return sorted[static_cast<std::size_t>(std::lround(rank))];
}

}  // namespace halflab
