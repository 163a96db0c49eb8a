// CIFAR-10 binary version: each batch file is a run of 3073-byte records, one label byte
// then 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each row-major 32x32), which
// is already the NCHW layout.
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/data/compressed_file.hpp"
#include "engine/data/loaders.hpp"
#include "engine/tensor/memory_budget.hpp"

namespace halflab {
namespace {

constexpr int kChannels = 3;
constexpr int kSide = 32;
constexpr std::size_t kPixelBytes = kChannels * kSide * kSide;
constexpr std::size_t kRecordBytes = 1 + kPixelBytes;
constexpr int kClasses = 10;

// An official batch holds 10,000 records (30,730,000 bytes). A batch file may hold ten
// times that; anything bigger is refused before it is inflated further (a gzip bomb).
constexpr std::size_t kOfficialBatchRecords = 10000;
constexpr std::size_t kMaxBatchRecords = 10 * kOfficialBatchRecords;
constexpr std::size_t kMaxBatchBytes = kMaxBatchRecords * kRecordBytes;

// Appends the records of one batch file to `d`.
void appendCifarBatch(const std::string& path, Dataset& d) {
  CompressedFile file(path);
  const std::vector<std::uint8_t> bytes = file.readAll(kMaxBatchBytes + 1);
  if (bytes.size() > kMaxBatchBytes)
    throw DataError(path + ": more than " + std::to_string(kMaxBatchBytes) + " bytes (" +
                    std::to_string(kMaxBatchRecords) + " records), the limit for one batch file (an " +
                    "official CIFAR-10 batch holds " + std::to_string(kOfficialBatchRecords) + " records, " +
                    std::to_string(kOfficialBatchRecords * kRecordBytes) + " bytes)");
  if (file.endedEarly()) throw DataError(path + ": truncated gzip stream");
  if (bytes.size() % kRecordBytes != 0)
    throw DataError(path + ": size " + std::to_string(bytes.size()) +
                    " bytes is not a whole number of 3073-byte CIFAR-10 records (" +
                    std::to_string(bytes.size() / kRecordBytes) + " records and " +
                    std::to_string(bytes.size() % kRecordBytes) + " bytes left over)");

  const std::size_t records = bytes.size() / kRecordBytes;
  const MemoryBudget budget = availableMemory();
  const auto needed = static_cast<std::int64_t>(records * kPixelBytes * sizeof(float));  // <= 1.2 GB
  if (budget.bytes >= 0 && needed > budget.bytes)
    throw DataError(path + ": " + std::to_string(records) + " records need " + formatBytes(needed) +
                    " as floats, but only " + formatBytes(budget.bytes) + " of memory is available (" +
                    budget.source + ")");

  std::array<float, 256> to_unit{};
  for (int v = 0; v < 256; ++v) to_unit[static_cast<std::size_t>(v)] = static_cast<float>(v / 255.0);

  const std::size_t first = d.labels.size();
  d.labels.resize(first + records);
  d.inputs.data.resize((first + records) * kPixelBytes);
  for (std::size_t r = 0; r < records; ++r) {
    const std::uint8_t* record = bytes.data() + r * kRecordBytes;
    if (record[0] >= kClasses)
      throw DataError(path + ": bad label " + std::to_string(record[0]) + " in record " +
                      std::to_string(r) + " (CIFAR-10 labels must be < 10)");
    d.labels[first + r] = record[0];
    float* dst = d.inputs.data.data() + (first + r) * kPixelBytes;
    for (std::size_t i = 0; i < kPixelBytes; ++i) dst[i] = to_unit[record[1 + i]];
  }
  d.inputs.shape = {static_cast<std::int64_t>(d.labels.size()), kChannels, kSide, kSide};
}

std::filesystem::path requireFile(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  const std::filesystem::path p = dir / name;
  if (std::filesystem::is_regular_file(p, ec)) return p;
  if (std::filesystem::is_regular_file(dir / (name + ".gz"), ec)) return dir / (name + ".gz");
  throw DataError(dir.string() + ": missing CIFAR-10 batch " + name + " (or " + name + ".gz)");
}

}  // namespace

DataSplit loadCifar10Folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError(dir + ": dataset folder not found");
  if (!fs::is_directory(dir, ec)) throw DataError(dir + ": is not a folder");

  // The official archive unpacks to cifar-10-batches-bin/; accept its parent folder too.
  fs::path folder(dir);
  if (!fs::exists(folder / "data_batch_1.bin", ec) && fs::is_directory(folder / "cifar-10-batches-bin", ec))
    folder /= "cifar-10-batches-bin";

  // Check every file is present before spending time reading any.
  std::vector<fs::path> train_files;
  for (int b = 1; b <= 5; ++b) train_files.push_back(requireFile(folder, "data_batch_" + std::to_string(b) + ".bin"));
  const fs::path test_file = requireFile(folder, "test_batch.bin");

  DataSplit split;
  split.train.name = "cifar10/train";
  split.test.name = "cifar10/test";
  split.train.num_classes = split.test.num_classes = kClasses;
  for (const fs::path& f : train_files) appendCifarBatch(f.string(), split.train);
  appendCifarBatch(test_file.string(), split.test);
  if (split.train.labels.empty()) throw DataError(folder.string() + ": the training batches hold no records");
  if (split.test.labels.empty()) throw DataError(test_file.string() + ": holds no records");
  requireWellFormed(split.train);
  requireWellFormed(split.test);
  return split;
}

Dataset loadCifar10Batch(const std::string& path, const std::string& name) {
  Dataset d;
  d.name = name;
  d.num_classes = kClasses;
  d.inputs.shape = {0, kChannels, kSide, kSide};
  appendCifarBatch(path, d);
  requireWellFormed(d);
  return d;
}

}  // namespace halflab
