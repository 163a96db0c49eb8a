#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/data/dataset.hpp"
#include "engine/data/portable_random.hpp"

namespace halflab {

BatchSampler::BatchSampler(std::int64_t count, std::int64_t batch_size, std::uint64_t seed,
                           bool shuffle, bool drop_last)
    : count_(count), batch_size_(batch_size), seed_(seed), shuffle_(shuffle), drop_last_(drop_last) {
  if (count < 0) throw std::invalid_argument("BatchSampler: count must be >= 0 (got " + std::to_string(count) + ")");
  if (batch_size <= 0)
    throw std::invalid_argument("BatchSampler: batch size must be > 0 (got " + std::to_string(batch_size) + ")");
  startEpoch(0);
}

void BatchSampler::startEpoch(int epoch) {
  order_.resize(static_cast<std::size_t>(count_));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  if (!shuffle_) return;
  // A fresh engine per epoch: the permutation depends only on (seed, epoch), so resuming
  // at epoch e reproduces exactly the batches an uninterrupted run would have seen.
  PortableRandom rng(mixSeed(seed_, static_cast<std::uint64_t>(static_cast<std::int64_t>(epoch))));
  for (std::int64_t i = count_ - 1; i > 0; --i) {  // Fisher-Yates
    const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(order_[static_cast<std::size_t>(i)], order_[static_cast<std::size_t>(j)]);
  }
}

std::int64_t BatchSampler::batchesPerEpoch() const {
  return drop_last_ ? count_ / batch_size_ : (count_ + batch_size_ - 1) / batch_size_;
}

const std::int64_t* BatchSampler::batch(std::int64_t b, std::int64_t* n) const {
  if (b < 0 || b >= batchesPerEpoch())
    throw std::out_of_range("BatchSampler: batch " + std::to_string(b) + " out of range (0.." +
                            std::to_string(batchesPerEpoch() - 1) + ")");
  const std::int64_t first = b * batch_size_;
  if (n) *n = std::min(batch_size_, count_ - first);
  return order_.data() + first;
}

Shape sampleShape(const Dataset& d) {
  if (d.inputs.shape.empty()) return {};
  return Shape(d.inputs.shape.begin() + 1, d.inputs.shape.end());
}

void gatherBatch(const Dataset& d, const std::int64_t* idx, std::int64_t n, Tensor& x,
                 std::vector<std::int32_t>& y, std::vector<std::int32_t>* lengths) {
  const std::int64_t count = d.count();
  const std::int64_t sample = d.sampleSize();
  Shape shape = sampleShape(d);
  if (count > 0 && (shapeSize(shape) != sample || static_cast<std::int64_t>(d.labels.size()) < count))
    throw std::invalid_argument("gatherBatch: " + d.name + " holds " + std::to_string(d.inputs.size()) +
                                " values and " + std::to_string(d.labels.size()) + " labels for shape " +
                                shapeToString(d.inputs.shape));
  shape.insert(shape.begin(), n);
  const bool tokens = d.inputs.isTokenIds();
  if (tokens != x.isTokenIds()) x = tokens ? Tensor::tokenIds({0}) : Tensor();
  x.reshapeTo(shape);
  y.resize(static_cast<std::size_t>(n));
  if (lengths) lengths->clear();
  const bool with_lengths = lengths && !d.lengths.empty();
  if (with_lengths) lengths->resize(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t i = idx[k];
    if (i < 0 || i >= count)
      throw std::out_of_range("gatherBatch: index " + std::to_string(i) + " outside " + d.name +
                              " (" + std::to_string(count) + " samples)");
    if (tokens)
      std::memcpy(x.ids.data() + k * sample, d.inputs.ids.data() + i * sample,
                  static_cast<std::size_t>(sample) * sizeof(std::int32_t));
    else
      std::memcpy(x.ptr() + k * sample, d.inputs.ptr() + i * sample, static_cast<std::size_t>(sample) * sizeof(float));
    y[static_cast<std::size_t>(k)] = d.labels[static_cast<std::size_t>(i)];
    if (with_lengths) (*lengths)[static_cast<std::size_t>(k)] = d.lengths[static_cast<std::size_t>(i)];
  }
}

}  // namespace halflab
