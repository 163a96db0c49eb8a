#include "engine/data/image_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace halflab {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> sortedEntries(const fs::path& dir, bool folders) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code tec;
    const bool is_dir = it->is_directory(tec);
    if (folders ? is_dir : (!is_dir && hasImageExtension(name))) names.push_back(name);
  }
  if (ec) throw DataError(dir.string() + ": cannot list the folder (" + ec.message() + ")");
  std::sort(names.begin(), names.end());
  return names;
}

fs::path findRoot(const std::string& dir) {
  const fs::path p(dir);
  std::error_code ec;
  if (!fs::is_directory(p, ec)) throw DataError(dir + ": no such folder (expected train/ and test/ class folders)");
  auto has_splits = [](const fs::path& q) {
    std::error_code e;
    return fs::is_directory(q / "train", e) && fs::is_directory(q / "test", e);
  };
  if (has_splits(p)) return p;
  const auto sub = sortedEntries(p, true);
  if (sub.size() == 1 && has_splits(p / sub[0])) return p / sub[0];
  std::error_code e;
  const char* missing = fs::is_directory(p / "train", e) ? "test" : "train";
  throw DataError(dir + ": no " + missing +
                  "/ folder (an image folder holds train/<class>/ and test/<class>/ with PNG or JPEG files)");
}

struct ClassFiles {
  std::vector<std::vector<fs::path>> files;  // per class
  std::int64_t total = 0;
};

ClassFiles listSplit(const fs::path& split_dir, const std::vector<std::string>& classes) {
  ClassFiles cf;
  for (const auto& c : classes) {
    const fs::path cdir = split_dir / c;
    std::error_code ec;
    if (!fs::is_directory(cdir, ec))
      throw DataError(cdir.string() + ": missing class folder (train/ has class '" + c + "')");
    std::vector<fs::path> files;
    for (const auto& name : sortedEntries(cdir, false)) files.push_back(cdir / name);
    if (files.empty()) throw DataError(cdir.string() + ": the class folder holds no .png, .jpg or .jpeg file");
    cf.total += static_cast<std::int64_t>(files.size());
    cf.files.push_back(std::move(files));
  }
  return cf;
}

struct SampleShape {
  int width = 0, height = 0, channels = 0;
  std::string first_file;
};

void checkShape(SampleShape& s, const DecodedImage& img, const fs::path& file) {
  if (s.channels == 0) {
    s = {img.width, img.height, img.channels, file.string()};
    return;
  }
  if (img.width != s.width || img.height != s.height || img.channels != s.channels)
    throw DataError(file.string() + ": image is " + std::to_string(img.width) + "x" +
                    std::to_string(img.height) + "x" + std::to_string(img.channels) + " but " +
                    s.first_file + " is " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                    "x" + std::to_string(s.channels) + " (every image must share one size and channel count)");
}

Dataset readSplit(const ClassFiles& cf, const std::string& name, int num_classes, SampleShape& shape,
                  const ImageFolderLimits& lim, std::int64_t values_before) {
  Dataset d;
  d.name = name;
  d.num_classes = num_classes;
  d.labels.reserve(static_cast<std::size_t>(cf.total));
  std::vector<float>& out = d.inputs.data;
  std::int64_t per_sample = 0;
  // Classes interleaved (file 0 of every class, then file 1...), so that train_limit /
  // test_limit keep every class instead of the first one only.
  std::vector<std::pair<std::int32_t, const fs::path*>> order;
  order.reserve(static_cast<std::size_t>(cf.total));
  for (std::size_t i = 0; order.size() < static_cast<std::size_t>(cf.total); ++i)
    for (std::size_t c = 0; c < cf.files.size(); ++c)
      if (i < cf.files[c].size()) order.emplace_back(static_cast<std::int32_t>(c), &cf.files[c][i]);
  for (const auto& [label, file_ptr] : order) {
    const fs::path& file = *file_ptr;
    {
      const DecodedImage img = decodeImageFile(file.string(), lim.image);
      checkShape(shape, img, file);
      if (per_sample == 0) {
        per_sample = std::int64_t{shape.width} * shape.height * shape.channels;
        // Both sides are bounded, so this product cannot overflow; the total is checked
        // before the one big allocation.
        if (per_sample > 0 && cf.total > (lim.max_total_values - values_before) / per_sample)
          throw DataError(name + ": " + std::to_string(cf.total) + " images of " + std::to_string(shape.width) +
                          "x" + std::to_string(shape.height) + "x" + std::to_string(shape.channels) +
                          " exceed the limit of " + std::to_string(lim.max_total_values) + " values in memory");
        out.reserve(static_cast<std::size_t>(cf.total * per_sample));
      }
      // Interleaved HWC bytes -> planar CHW floats in [0, 1].
      const std::size_t base = out.size();
      out.resize(base + static_cast<std::size_t>(per_sample));
      const int hw = img.width * img.height;
      for (int ch = 0; ch < img.channels; ++ch)
        for (int i = 0; i < hw; ++i)
          out[base + static_cast<std::size_t>(ch) * hw + i] =
              static_cast<float>(img.pixels[static_cast<std::size_t>(i) * img.channels + ch]) / 255.0f;
      d.labels.push_back(label);
    }
  }
  d.inputs.shape = {cf.total, shape.channels, shape.height, shape.width};
  requireWellFormed(d);
  return d;
}

}  // namespace

ImageFolderSet loadImageFolder(const std::string& dir, const ImageFolderLimits& limits) {
  ImageFolderSet set;
  const fs::path root = findRoot(dir);
  set.root = root.string();
  set.class_names = sortedEntries(root / "train", true);
  if (set.class_names.empty())
    throw DataError((root / "train").string() + ": no class folders (expected one folder per class)");
  if (set.class_names.size() < 2)
    throw DataError((root / "train").string() + ": only one class folder ('" + set.class_names[0] +
                    "'); classification needs at least two");
  if (static_cast<int>(set.class_names.size()) > limits.max_classes)
    throw DataError((root / "train").string() + ": " + std::to_string(set.class_names.size()) +
                    " class folders, more than the " + std::to_string(limits.max_classes) + " allowed");
  for (const auto& c : sortedEntries(root / "test", true))
    if (!std::binary_search(set.class_names.begin(), set.class_names.end(), c))
      throw DataError((root / "test" / c).string() + ": class folder not present in train/");
  const ClassFiles train = listSplit(root / "train", set.class_names);
  const ClassFiles test = listSplit(root / "test", set.class_names);
  const int k = static_cast<int>(set.class_names.size());
  SampleShape shape;
  set.split.train = readSplit(train, "image-folder/train", k, shape, limits, 0);
  set.split.test = readSplit(test, "image-folder/test", k, shape, limits, set.split.train.inputs.size());
  return set;
}

}  // namespace halflab
