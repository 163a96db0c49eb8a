#pragma once
// File loaders (IDX for MNIST / Fashion-MNIST, plain or .gz; CIFAR-10 binary batches)
// and synthetic 2-D sets. Every failure is a DataError naming the file and the problem.
#include <string>

#include "engine/data/dataset.hpp"

namespace halflab {

// One IDX pair. Images -> [N, 1, rows, cols] floats in [0, 1]; labels checked < 10...255.
Dataset loadIdxPair(const std::string& images_path, const std::string& labels_path,
                    const std::string& name);
// A folder holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (MNIST or Fashion-MNIST).
DataSplit loadIdxFolder(const std::string& dir, const std::string& name);
// A folder holding data_batch_1..5.bin and test_batch.bin (CIFAR-10 binary version).
DataSplit loadCifar10Folder(const std::string& dir);

// Synthetic 2-D sets ([N, 2] inputs), deterministic in seed.
Dataset makeSpirals(std::int64_t n, int classes, double noise, std::uint64_t seed);
Dataset makeMoons(std::int64_t n, double noise, std::uint64_t seed);
Dataset makeBlobs(std::int64_t n, int classes, double spread, std::uint64_t seed);

// Per-channel standardisation with statistics from `stats_from` (the training set),
// applied to `d`. Returns the (mean, std) per channel used.
std::vector<std::pair<float, float>> channelStats(const Dataset& d);
void normalizeChannels(Dataset& d, const std::vector<std::pair<float, float>>& stats);

// Keeps the first `limit` samples (0 = all).
void truncateDataset(Dataset& d, std::int64_t limit);

}  // namespace halflab
