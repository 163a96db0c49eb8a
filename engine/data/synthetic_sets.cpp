// Synthetic 2-D classification sets. The class geometry is fixed; only the sampled
// points depend on the seed, so a training set and a test set drawn with different
// seeds come from the same distribution. Sample i belongs to class i % classes, so any
// prefix (see truncateDataset) stays balanced.
#include <cmath>
#include <string>

#include "engine/data/loaders.hpp"
#include "engine/data/portable_random.hpp"

namespace halflab {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSpiralSweepRadians = 4.0;  // how far each arm winds from centre to rim

void checkArgs(const char* set, std::int64_t n, int classes, double noise, const char* noise_name) {
  const std::string where = std::string("synthetic set '") + set + "': ";
  if (n <= 0) throw DataError(where + "sample count must be > 0 (got " + std::to_string(n) + ")");
  if (classes < 2 || classes > 1000)
    throw DataError(where + "classes must be in 2..1000 (got " + std::to_string(classes) + ")");
  if (!(noise >= 0.0) || !std::isfinite(noise))
    throw DataError(where + noise_name + " must be a finite number >= 0 (got " + std::to_string(noise) + ")");
}

Dataset emptyPointSet(const char* name, std::int64_t n, int classes) {
  Dataset d;
  d.name = name;
  d.num_classes = classes;
  d.inputs = Tensor({n, 2});
  d.labels.resize(static_cast<std::size_t>(n));
  return d;
}

void setPoint(Dataset& d, std::int64_t i, double x, double y, int label) {
  d.inputs.data[static_cast<std::size_t>(2 * i)] = static_cast<float>(x);
  d.inputs.data[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(y);
  d.labels[static_cast<std::size_t>(i)] = label;
}

}  // namespace

Dataset makeSpirals(std::int64_t n, int classes, double noise, std::uint64_t seed) {
  checkArgs("spirals", n, classes, noise, "noise");
  Dataset d = emptyPointSet("spirals", n, classes);
  PortableRandom rng(mixSeed(seed, 0x5350495241ULL));
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % classes);
    const double radius = rng.uniform01();
    const double angle = 2.0 * kPi * c / classes + kSpiralSweepRadians * radius;
    const double x = radius * std::cos(angle) + noise * rng.normal();
    const double y = radius * std::sin(angle) + noise * rng.normal();
    setPoint(d, i, x, y, c);
  }
  requireWellFormed(d);
  return d;
}

Dataset makeMoons(std::int64_t n, double noise, std::uint64_t seed) {
  checkArgs("moons", n, 2, noise, "noise");
  Dataset d = emptyPointSet("moons", n, 2);
  PortableRandom rng(mixSeed(seed, 0x4d4f4f4eULL));
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    const double t = kPi * rng.uniform01();
    // The two interleaved half circles of scikit-learn's make_moons, shifted so the
    // whole set is centred on the origin.
    double x = c == 0 ? std::cos(t) : 1.0 - std::cos(t);
    double y = c == 0 ? std::sin(t) : 0.5 - std::sin(t);
    x += noise * rng.normal() - 0.5;
    y += noise * rng.normal() - 0.25;
    setPoint(d, i, x, y, c);
  }
  requireWellFormed(d);
  return d;
}

Dataset makeBlobs(std::int64_t n, int classes, double spread, std::uint64_t seed) {
  checkArgs("blobs", n, classes, spread, "spread");
  Dataset d = emptyPointSet("blobs", n, classes);
  PortableRandom rng(mixSeed(seed, 0x424c4f4253ULL));
  for (std::int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % classes);
    // Centres evenly spaced on the unit circle.
    const double angle = 2.0 * kPi * c / classes;
    const double x = std::cos(angle) + spread * rng.normal();
    const double y = std::sin(angle) + spread * rng.normal();
    setPoint(d, i, x, y, c);
  }
  requireWellFormed(d);
  return d;
}

DataSplit makeSyntheticSplit(const std::string& kind, std::int64_t train_n, std::int64_t test_n,
                             int classes, double noise, std::uint64_t seed) {
  // The test seed is derived, not seed + 1, so run seeds 1 and 2 do not share sets.
  const std::uint64_t test_seed = mixSeed(seed, 0x54455354ULL);
  DataSplit split;
  if (kind == "spirals") {
    split.train = makeSpirals(train_n, classes, noise, seed);
    split.test = makeSpirals(test_n, classes, noise, test_seed);
  } else if (kind == "moons") {
    split.train = makeMoons(train_n, noise, seed);
    split.test = makeMoons(test_n, noise, test_seed);
  } else if (kind == "blobs") {
    split.train = makeBlobs(train_n, classes, noise, seed);
    split.test = makeBlobs(test_n, classes, noise, test_seed);
  } else {
    throw DataError("synthetic set '" + kind + "': unknown kind (expected spirals, moons or blobs)");
  }
  split.train.name = kind + "/train";
  split.test.name = kind + "/test";
  return split;
}

}  // namespace halflab
