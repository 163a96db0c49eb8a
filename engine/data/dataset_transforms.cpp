// Whole-dataset transforms: per-channel standardisation and truncation.
#include <cmath>
#include <string>

#include "engine/data/loaders.hpp"

namespace halflab {
namespace {

// Channels are dimension 1 ([N, C, H, W]: C; [N, D]: each feature); the rest is spatial.
struct ChannelLayout {
  std::int64_t samples = 0, channels = 0, spatial = 0;
};

// The loops below index data by this layout, so the shape must describe the data exactly.
ChannelLayout layoutOf(const Dataset& d) {
  requireInputsMatchShape(d);
  ChannelLayout l;
  const Shape& s = d.inputs.shape;
  l.samples = s[0];
  l.channels = s[1];
  l.spatial = shapeSize(Shape(s.begin() + 2, s.end()));
  return l;
}

// A constant channel has std 0; dividing by it would make NaNs, so it is only centred.
constexpr double kMinStd = 1e-8;

}  // namespace

std::vector<std::pair<float, float>> channelStats(const Dataset& d) {
  const ChannelLayout l = layoutOf(d);
  if (l.samples == 0) throw DataError(d.name + ": no samples to compute channel statistics from");
  std::vector<std::pair<float, float>> stats;
  const float* x = d.inputs.ptr();
  const double per_channel = static_cast<double>(l.samples) * static_cast<double>(l.spatial);
  for (std::int64_t c = 0; c < l.channels; ++c) {
    // Two passes in double: exact enough for 47M values, and no catastrophic cancellation.
    double sum = 0.0;
    for (std::int64_t n = 0; n < l.samples; ++n) {
      const float* p = x + (n * l.channels + c) * l.spatial;
      for (std::int64_t i = 0; i < l.spatial; ++i) sum += p[i];
    }
    const double mean = sum / per_channel;
    double squares = 0.0;
    for (std::int64_t n = 0; n < l.samples; ++n) {
      const float* p = x + (n * l.channels + c) * l.spatial;
      for (std::int64_t i = 0; i < l.spatial; ++i) {
        const double dev = p[i] - mean;
        squares += dev * dev;
      }
    }
    stats.emplace_back(static_cast<float>(mean), static_cast<float>(std::sqrt(squares / per_channel)));
  }
  return stats;
}

void normalizeChannels(Dataset& d, const std::vector<std::pair<float, float>>& stats) {
  const ChannelLayout l = layoutOf(d);
  if (static_cast<std::int64_t>(stats.size()) != l.channels)
    throw DataError(d.name + ": " + std::to_string(stats.size()) + " channel statistics given for " +
                    std::to_string(l.channels) + " channels");
  float* x = d.inputs.ptr();
  for (std::int64_t c = 0; c < l.channels; ++c) {
    const float mean = stats[static_cast<std::size_t>(c)].first;
    const float sd = stats[static_cast<std::size_t>(c)].second;
    const float scale = sd > kMinStd ? 1.0f / sd : 1.0f;
    for (std::int64_t n = 0; n < l.samples; ++n) {
      float* p = x + (n * l.channels + c) * l.spatial;
      for (std::int64_t i = 0; i < l.spatial; ++i) p[i] = (p[i] - mean) * scale;
    }
  }
}

void truncateDataset(Dataset& d, std::int64_t limit) {
  if (limit < 0) throw DataError(d.name + ": sample limit must be >= 0 (got " + std::to_string(limit) + ")");
  requireInputsMatchShape(d);
  if (limit == 0 || limit >= d.count()) return;
  const std::int64_t sample = d.sampleSize();
  d.inputs.reshapeTo([&] { Shape s = d.inputs.shape; s[0] = limit; return s; }());
  d.inputs.data.shrink_to_fit();
  d.inputs.ids.shrink_to_fit();
  if (!d.lengths.empty()) d.lengths.resize(static_cast<std::size_t>(limit));
  d.labels.resize(static_cast<std::size_t>(limit));
  d.labels.shrink_to_fit();
}

}  // namespace halflab
