#pragma once
// File loaders (IDX for MNIST / Fashion-MNIST, plain or .gz; CIFAR-10 binary batches)
// and synthetic 2-D sets. Every failure is a DataError naming the file and the problem.
#include <string>
#include <utility>
#include <vector>

#include "engine/data/dataset.hpp"

namespace halflab {

// One IDX pair. Images -> [N, 1, rows, cols] floats in [0, 1]; labels checked < 10...255.
Dataset loadIdxPair(const std::string& images_path, const std::string& labels_path,
                    const std::string& name);
// Same, for IDX sets with more classes (e.g. EMNIST): labels must be < max_classes (2..256);
// num_classes = max(max label + 1, 10). The 3-argument form uses max_classes = 10.
Dataset loadIdxPair(const std::string& images_path, const std::string& labels_path,
                    const std::string& name, int max_classes);
// A folder holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (MNIST or Fashion-MNIST).
// The "train-images.idx3-ubyte" spelling is accepted too. Sets are named name + "/train"
// and name + "/test".
DataSplit loadIdxFolder(const std::string& dir, const std::string& name);
// A folder holding data_batch_1..5.bin and test_batch.bin (CIFAR-10 binary version), or
// its parent holding cifar-10-batches-bin/. Each file may also be gzip-compressed (.gz).
// A batch file may hold up to 100,000 records (ten official batches); a bigger one, or a
// gzip stream that inflates beyond that, is refused.
DataSplit loadCifar10Folder(const std::string& dir);
// One CIFAR-10 batch file (plain or gzip) -> [N, 3, 32, 32] floats in [0, 1].
Dataset loadCifar10Batch(const std::string& path, const std::string& name);

// Synthetic 2-D sets ([N, 2] inputs), deterministic in seed and bit-identical across
// platforms. Sample i has class i % classes. The class geometry does not depend on the
// seed (only the drawn points do), so train and test sets can use different seeds.
// noise / spread: standard deviation of the Gaussian added to each coordinate; points
// lie roughly within [-1.5, 1.5]. Bad arguments throw DataError.
Dataset makeSpirals(std::int64_t n, int classes, double noise, std::uint64_t seed);
Dataset makeMoons(std::int64_t n, double noise, std::uint64_t seed);
Dataset makeBlobs(std::int64_t n, int classes, double spread, std::uint64_t seed);
// kind: "spirals" | "moons" | "blobs" (moons ignores classes). The test set uses a seed
// derived from `seed`. Unknown kind -> DataError.
DataSplit makeSyntheticSplit(const std::string& kind, std::int64_t train_n, std::int64_t test_n,
                             int classes, double noise, std::uint64_t seed);

// Per-channel standardisation with statistics from `stats_from` (the training set),
// applied to `d`. Returns the (mean, std) per channel used.
// Channels are dimension 1 ([N, C, H, W]: C, [N, D]: each of the D features). std is the
// population std; normalizeChannels only centres a channel whose std is ~0.
std::vector<std::pair<float, float>> channelStats(const Dataset& d);
void normalizeChannels(Dataset& d, const std::vector<std::pair<float, float>>& stats);

// Keeps the first `limit` samples (0 = all).
void truncateDataset(Dataset& d, std::int64_t limit);

}  // namespace halflab
