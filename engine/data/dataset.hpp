#pragma once
// In-memory datasets: images as [N, C, H, W] floats (or [N, D] for 2-D synthetic sets),
// labels as class indices. Loaders throw DataError naming the file and the problem.
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tensor/tensor.hpp"

namespace halflab {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Dataset {
  std::string name;
  Tensor inputs;                  // [N, C, H, W] or [N, D] floats; [N, T] int32 token ids (text)
  std::vector<std::int32_t> lengths;  // token sets: real tokens per sample (<= T); empty otherwise
  std::vector<std::int32_t> labels;
  int num_classes = 0;
  std::int64_t count() const { return inputs.shape.empty() ? 0 : inputs.shape[0]; }
  std::int64_t sampleSize() const { return count() ? inputs.size() / count() : 0; }
};

// Inputs of rank >= 2 whose element count equals the shape's product (checked, no
// overflow): what every loop indexing by the shape relies on. Throws DataError naming the set.
void requireInputsMatchShape(const Dataset& d);
// The single check every loader's result goes through: requireInputsMatchShape, one label
// per sample, and every label in [0, num_classes).
void requireWellFormed(const Dataset& d);

struct DataSplit {
  Dataset train;
  Dataset test;
};

// Shuffled (or sequential) batches of indices for one epoch; the order depends only on
// (seed, epoch), so the same seed gives the same batches.
class BatchSampler {
 public:
  // Starts at epoch 0. Throws std::invalid_argument for count < 0 or batch_size <= 0.
  BatchSampler(std::int64_t count, std::int64_t batch_size, std::uint64_t seed, bool shuffle,
               bool drop_last);
  void startEpoch(int epoch);
  std::int64_t batchesPerEpoch() const;
  // Indices of batch b of the current epoch (*n = its size; the last one may be short
  // unless drop_last). Throws std::out_of_range for b outside 0..batchesPerEpoch()-1.
  const std::int64_t* batch(std::int64_t b, std::int64_t* n) const;

 private:
  std::int64_t count_, batch_size_;
  std::uint64_t seed_;
  bool shuffle_, drop_last_;
  std::vector<std::int64_t> order_;
};

// The shape of one sample (inputs.shape without the leading N).
Shape sampleShape(const Dataset& d);

// Copies the chosen samples into x ([n, ...sample shape], floats or token ids as the set
// holds them) and y; for token sets also their lengths (cleared otherwise).
void gatherBatch(const Dataset& d, const std::int64_t* idx, std::int64_t n, Tensor& x,
                 std::vector<std::int32_t>& y, std::vector<std::int32_t>* lengths = nullptr);

}  // namespace halflab
