// IDX files (MNIST, Fashion-MNIST): a big-endian header (magic 0x0000 08 dims, then one
// 32-bit size per dimension) followed by exactly prod(sizes) unsigned bytes.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "engine/data/compressed_file.hpp"
#include "engine/data/loaders.hpp"
#include "engine/tensor/memory_budget.hpp"

namespace halflab {
namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;
constexpr int kImageDims = 3;  // magic 0x00000803
constexpr int kLabelDims = 1;  // magic 0x00000801

std::uint32_t readBigEndian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Receives the payload in chunks as it is inflated, so images are converted to floats
// while the bytes are still in cache and no whole-file byte buffer is needed. `announced`
// gets the header's sizes and payload size first (validated, but the file may still fall
// short); it may refuse them by throwing.
struct PayloadSink {
  std::function<void(const std::vector<std::uint32_t>& sizes, std::uint64_t bytes)> announced;
  std::function<void(const std::uint8_t* bytes, std::size_t n)> consume;
};

// Trailing bytes are counted only up to here: a gzip bomb after a valid payload is not
// inflated to learn exactly how big it is.
constexpr std::uint64_t kTrailingCountLimit = std::uint64_t{1} << 20;

std::string joinSizes(const std::vector<std::uint32_t>& sizes) {
  std::string out;
  for (std::uint32_t s : sizes) out += (out.empty() ? "" : " x ") + std::to_string(s);
  return out;
}

// Images become 4-byte floats: refuse a header whose pixels cannot fit in memory before
// inflating anything, rather than dying in the middle of a 16 GiB file.
void requireMemoryForPixels(const std::string& path, const std::vector<std::uint32_t>& sizes,
                            std::uint64_t pixel_count) {
  const MemoryBudget budget = availableMemory();
  const auto needed = static_cast<std::int64_t>(pixel_count * sizeof(float));  // <= 2^36
  if (budget.bytes >= 0 && needed > budget.bytes)
    throw DataError(path + ": the header announces " + joinSizes(sizes) + " images, " + formatBytes(needed) +
                    " as floats, but only " + formatBytes(budget.bytes) + " of memory is available (" +
                    budget.source + ")");
}

// Reads one IDX file of `expected_dims` dimensions and returns its sizes; `what` names
// the items ("images", "labels") in messages.
std::vector<std::uint32_t> readIdx(const std::string& path, int expected_dims, const char* what,
                                   const PayloadSink& sink) {
  CompressedFile file(path);
  const std::uint32_t expected_magic = (std::uint32_t{kUnsignedByteType} << 8) | expected_dims;

  std::array<std::uint8_t, 4> magic_bytes{};
  const std::size_t got_magic = file.read(magic_bytes.data(), 4);
  if (got_magic < 4)
    throw DataError(path + ": truncated: the file holds " + std::to_string(got_magic) +
                    " bytes, too short for an IDX header");
  const std::uint32_t magic = readBigEndian32(magic_bytes.data());
  if (magic_bytes[0] != 0 || magic_bytes[1] != 0 || magic_bytes[2] != kUnsignedByteType)
    throw DataError(path + ": bad magic number " + hex32(magic) + " (expected " +
                    hex32(expected_magic) + " for an IDX file of " + what + ")");
  if (magic_bytes[3] != expected_dims)
    throw DataError(path + ": wrong number of dimensions: the header says " +
                    std::to_string(magic_bytes[3]) + ", expected " +
                    std::to_string(expected_dims) + " for " + what + " (magic " + hex32(magic) +
                    ", expected " + hex32(expected_magic) + ")");

  std::vector<std::uint8_t> size_bytes(static_cast<std::size_t>(4 * expected_dims));
  if (file.read(size_bytes.data(), size_bytes.size()) < size_bytes.size())
    throw DataError(path + ": truncated: the file ends inside the IDX header");

  std::vector<std::uint32_t> sizes;
  for (int d = 0; d < expected_dims; ++d) {
    const std::uint32_t size = readBigEndian32(size_bytes.data() + 4 * d);
    if (size == 0)
      throw DataError(path + ": the header says dimension " + std::to_string(d) + " has size 0 (no " +
                      what + ")");
    sizes.push_back(size);
  }
  // Three 32-bit sizes multiply to as much as 96 bits: every product is checked, so a
  // header whose product wraps past 2^64 to a tiny payload is refused, not trusted.
  const std::string implausible = path + ": implausible sizes in the header (" + joinSizes(sizes) + " " + what;
  std::uint64_t item_bytes = 1;  // one image (rows x cols) or one label
  for (std::size_t d = 1; d < sizes.size(); ++d)
    if (__builtin_mul_overflow(item_bytes, std::uint64_t{sizes[d]}, &item_bytes))
      throw DataError(implausible + ": the product overflows 64 bits)");
  std::uint64_t payload_bytes = 0;
  if (__builtin_mul_overflow(item_bytes, std::uint64_t{sizes[0]}, &payload_bytes))
    throw DataError(implausible + ": the product overflows 64 bits)");
  constexpr std::uint64_t kMaxItem = std::uint64_t{1} << 24;     // 16 MiB per image
  constexpr std::uint64_t kMaxPayload = std::uint64_t{1} << 34;  // 16 GiB in all
  if (item_bytes > kMaxItem)
    throw DataError(implausible + ": " + std::to_string(item_bytes) + " bytes per item, the limit is " +
                    std::to_string(kMaxItem) + ")");
  if (payload_bytes > kMaxPayload)
    throw DataError(implausible + ": " + std::to_string(payload_bytes) + " bytes of " + what +
                    ", the limit is " + std::to_string(kMaxPayload) + ")");

  sink.announced(sizes, payload_bytes);
  std::vector<std::uint8_t> chunk(std::size_t{1} << 20);
  std::uint64_t have = 0;
  while (have < payload_bytes) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), payload_bytes - have));
    const std::size_t got = file.read(chunk.data(), want);
    sink.consume(chunk.data(), got);
    have += got;
    if (got < want) break;
  }

  if (have < payload_bytes) {
    std::string msg = path + ": truncated: header says " + std::to_string(sizes[0]) + " " + what +
                      ", file holds ";
    if (have % item_bytes == 0)
      msg += std::to_string(have / item_bytes);
    else
      msg += std::to_string(have / item_bytes) + " and " + std::to_string(have % item_bytes) +
             " of " + std::to_string(item_bytes) + " bytes of the next";
    if (file.endedEarly()) msg += " (the gzip stream ends early)";
    throw DataError(msg);
  }
  const std::uint64_t extra = file.countRemaining(kTrailingCountLimit);
  if (extra > 0)
    throw DataError(path + ": " + (extra >= kTrailingCountLimit ? "at least " : "") + std::to_string(extra) +
                    " bytes of trailing data after the " + std::to_string(sizes[0]) + " " + what +
                    " the header announces");
  if (file.endedEarly())
    throw DataError(path + ": truncated gzip stream (the data is complete but the stream ends early)");
  return sizes;
}

}  // namespace

Dataset loadIdxPair(const std::string& images_path, const std::string& labels_path,
                    const std::string& name, int max_classes) {
  if (max_classes < 2 || max_classes > 256)
    throw DataError(labels_path + ": max_classes must be in 2..256 (got " +
                    std::to_string(max_classes) + ")");
  // A lookup table keeps the conversion exact (k / 255 rounded once) and branch-free.
  std::array<float, 256> to_unit{};
  for (int v = 0; v < 256; ++v) to_unit[static_cast<std::size_t>(v)] = static_cast<float>(v / 255.0);

  Dataset d;
  d.name = name;
  std::vector<float>& pixels = d.inputs.data;
  const std::vector<std::uint32_t> image_sizes =
      readIdx(images_path, kImageDims, "images",
              {[&](const std::vector<std::uint32_t>& sizes, std::uint64_t bytes) {
                 requireMemoryForPixels(images_path, sizes, bytes);
                 // Reserving only claims address space; a header that overstates the file
                 // costs nothing real, and the cap keeps an absurd one from failing here.
                 pixels.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(bytes, std::uint64_t{1} << 28)));
               },
               [&](const std::uint8_t* bytes, std::size_t n) {
                 const std::size_t first = pixels.size();
                 pixels.resize(first + n);
                 float* dst = pixels.data() + first;
                 for (std::size_t i = 0; i < n; ++i) dst[i] = to_unit[bytes[i]];
               }});
  auto throwCountMismatch = [&](std::uint32_t labels) {
    throw DataError(labels_path + ": count mismatch: " + std::to_string(labels) + " labels, but " +
                    images_path + " holds " + std::to_string(image_sizes[0]) + " images");
  };
  std::vector<std::uint8_t> label_bytes;
  const std::vector<std::uint32_t> label_sizes =
      readIdx(labels_path, kLabelDims, "labels",
              {[&](const std::vector<std::uint32_t>& sizes, std::uint64_t bytes) {
                 // Checked before the labels are inflated: a header announcing billions of
                 // labels for a few images must not be read (a gzip bomb) to be refused.
                 if (sizes[0] != image_sizes[0]) throwCountMismatch(sizes[0]);
                 label_bytes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(bytes, std::uint64_t{1} << 28)));
               },
               [&](const std::uint8_t* bytes, std::size_t n) { label_bytes.insert(label_bytes.end(), bytes, bytes + n); }});

  const std::int64_t n = image_sizes[0];
  if (label_sizes[0] != image_sizes[0]) throwCountMismatch(label_sizes[0]);

  d.labels.resize(static_cast<std::size_t>(n));
  int max_label = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const int label = label_bytes[static_cast<std::size_t>(i)];
    if (label >= max_classes)
      throw DataError(labels_path + ": bad label " + std::to_string(label) + " at index " +
                      std::to_string(i) + " (labels must be < " + std::to_string(max_classes) +
                      ")");
    d.labels[static_cast<std::size_t>(i)] = label;
    max_label = std::max(max_label, label);
  }
  d.num_classes = std::max(max_label + 1, std::min(10, max_classes));
  d.inputs.shape = {n, 1, image_sizes[1], image_sizes[2]};
  requireWellFormed(d);
  return d;
}

Dataset loadIdxPair(const std::string& images_path, const std::string& labels_path,
                    const std::string& name) {
  return loadIdxPair(images_path, labels_path, name, 10);
}

namespace {

// Finds e.g. train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte
// (.gz) in `dir`; the error lists every name tried.
std::string findIdxFile(const std::filesystem::path& dir, const std::string& prefix,
                        const std::string& kind, const std::string& idx, const char* role) {
  const std::string stems[] = {prefix + "-" + kind + "-" + idx + "-ubyte",
                               prefix + "-" + kind + "." + idx + "-ubyte"};
  std::vector<std::string> tried;
  for (const std::string& stem : stems) {
    for (const std::string& suffix : {std::string(), std::string(".gz")}) {
      const std::filesystem::path candidate = dir / (stem + suffix);
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
      tried.push_back(stem + suffix);
    }
  }
  std::string list;
  for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw DataError(dir.string() + ": missing " + role + " file (looked for " + list + ")");
}

}  // namespace

DataSplit loadIdxFolder(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError(dir + ": dataset folder not found");
  if (!fs::is_directory(dir, ec)) throw DataError(dir + ": is not a folder");

  const fs::path folder(dir);
  const std::string train_images = findIdxFile(folder, "train", "images", "idx3", "training images");
  const std::string train_labels = findIdxFile(folder, "train", "labels", "idx1", "training labels");
  const std::string test_images = findIdxFile(folder, "t10k", "images", "idx3", "test images");
  const std::string test_labels = findIdxFile(folder, "t10k", "labels", "idx1", "test labels");

  // Inflating is the slow part and each file is one stream: read the test pair on a
  // second thread meanwhile. get() rethrows its DataError; the training error wins ties.
  auto test = std::async(std::launch::async, [&] { return loadIdxPair(test_images, test_labels, name + "/test"); });
  DataSplit split;
  split.train = loadIdxPair(train_images, train_labels, name + "/train");
  split.test = test.get();
  if (split.train.inputs.shape[2] != split.test.inputs.shape[2] ||
      split.train.inputs.shape[3] != split.test.inputs.shape[3])
    throw DataError(test_images + ": image size " + std::to_string(split.test.inputs.shape[2]) + "x" +
                    std::to_string(split.test.inputs.shape[3]) + " differs from the training images (" +
                    std::to_string(split.train.inputs.shape[2]) + "x" +
                    std::to_string(split.train.inputs.shape[3]) + ")");
  const int classes = std::max(split.train.num_classes, split.test.num_classes);
  split.train.num_classes = split.test.num_classes = classes;
  return split;
}

}  // namespace halflab
