#pragma once
// Image-folder datasets: one folder per class, PNG or JPEG files inside, with train/ and
// test/ split folders (the layout of cifar10-images.tar.gz and torchvision's ImageFolder):
//   <dir>/train/<class>/*.png|jpg|jpeg   <dir>/test/<class>/...
// `dir` may also be the parent of exactly one folder holding train/ and test/.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.hpp"
#include "engine/data/image_decode.hpp"

namespace halflab {

struct ImageFolderLimits {
  ImageLimits image;
  std::int64_t max_total_values = std::int64_t{1} << 31;  // floats in both splits together (8 GiB)
  int max_classes = 1000;
};

struct ImageFolderSet {
  DataSplit split;                       // [N, C, H, W] floats in [0, 1], labels = class index
  std::vector<std::string> class_names;  // sorted; label i is class_names[i]
  std::string root;                      // the folder holding train/ and test/
};

// Classes are the train/ subfolders, sorted by name; test/ must hold the same classes (an
// empty or missing test class is an error naming it). Files within a class are read in
// name order, the classes interleaved (sample 0 of every class, then sample 1, ...: a
// train_limit keeps all classes); files without a .png/.jpg/.jpeg name and hidden files are ignored. Every
// image must have the size and channel count of the first one (the error names the file
// that differs). Throws DataError naming the folder or file.
ImageFolderSet loadImageFolder(const std::string& dir, const ImageFolderLimits& limits = {});

}  // namespace halflab
