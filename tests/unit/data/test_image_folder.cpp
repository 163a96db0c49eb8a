// Image-folder datasets (PNG via libpng, JPEG via libjpeg-turbo) and batch augmentation.
// Images are written with the same libraries into a temporary folder; corrupt, truncated,
// mismatched and oversized files must each give a DataError naming the file.
#include <cstddef>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/data/image_augment.hpp"
#include "engine/data/image_decode.hpp"
#include "engine/data/image_folder.hpp"

using namespace halflab;
namespace fs = std::filesystem;

namespace {

// Pixel (x, y, ch) of the test pattern: distinct per position, channel and seed.
std::uint8_t pattern(int x, int y, int ch, int seed) {
  return static_cast<std::uint8_t>((x * 37 + y * 11 + ch * 71 + seed * 13) % 256);
}

std::vector<std::uint8_t> patternPixels(int w, int h, int channels, int seed) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * channels));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) px[(y * w + x) * channels + c] = pattern(x, y, c, seed);
  return px;
}

void writePng(const fs::path& path, int w, int h, int channels, int seed) {
  fs::create_directories(path.parent_path());
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  const auto px = patternPixels(w, h, channels, seed);
  if (!png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr))
    qFatal("cannot write %s: %s", path.c_str(), img.message);
}

void writeJpeg(const fs::path& path, int w, int h, int channels, int seed) {
  fs::create_directories(path.parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) qFatal("cannot write %s", path.c_str());
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = channels;
  c.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 90, TRUE);
  jpeg_start_compress(&c, TRUE);
  auto px = patternPixels(w, h, channels, seed);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = px.data() + static_cast<std::size_t>(c.next_scanline) * w * channels;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

std::vector<char> readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

// A valid two-class folder: train 3 cats (PNG) + 2 dogs (JPEG), test 1 + 1; 5x4 RGB.
void makeFolder(const fs::path& root) {
  for (int i = 0; i < 3; ++i) writePng(root / "train/cat" / ("c" + std::to_string(i) + ".png"), 5, 4, 3, i);
  for (int i = 0; i < 2; ++i) writeJpeg(root / "train/dog" / ("d" + std::to_string(i) + ".jpg"), 5, 4, 3, 10 + i);
  writePng(root / "test/cat/t.png", 5, 4, 3, 20);
  writeJpeg(root / "test/dog/t.JPEG", 5, 4, 3, 21);
  std::ofstream(root / "train/cat/notes.txt") << "not an image, ignored";
}

// Runs f, which must throw DataError whose message contains every one of `parts`.
template <typename F>
void expectDataError(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const DataError& e) {
    const std::string what = e.what();
    for (const auto& p : parts)
      QVERIFY2(what.find(p) != std::string::npos, ("'" + p + "' not in: " + what).c_str());
    return;
  }
  QFAIL("expected a DataError");
}

}  // namespace

class TestImageFolder : public QObject {
  Q_OBJECT

 private slots:
  void loadsBothFormatsInterleaved() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    makeFolder(root);
    const ImageFolderSet set = loadImageFolder(root.string());
    QCOMPARE(set.class_names, (std::vector<std::string>{"cat", "dog"}));
    QCOMPARE(set.split.train.count(), std::int64_t{5});
    QCOMPARE(set.split.test.count(), std::int64_t{2});
    QCOMPARE(set.split.train.inputs.shape, (Shape{5, 3, 4, 5}));
    QCOMPARE(set.split.train.num_classes, 2);
    // Interleaved: cat0 dog0 cat1 dog1 cat2.
    QCOMPARE(set.split.train.labels, (std::vector<std::int32_t>{0, 1, 0, 1, 0}));
    // PNG is lossless: sample 2 is c1.png, planar CHW in [0, 1].
    const float* s2 = set.split.train.inputs.ptr() + 2 * 60;
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 5; ++x)
          QCOMPARE(s2[c * 20 + y * 5 + x], pattern(x, y, c, 1) / 255.0f);
    // JPEG is lossy but close: sample 1 is d0.jpg.
    const float* s1 = set.split.train.inputs.ptr() + 1 * 60;
    double err = 0;
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 5; ++x) err += std::abs(s1[c * 20 + y * 5 + x] * 255.0 - pattern(x, y, c, 10));
    QVERIFY2(err / 60 < 40, qPrintable(QString("mean JPEG error %1").arg(err / 60)));
  }

  void acceptsTheParentFolder() {
    QTemporaryDir tmp;
    const fs::path root = fs::path(tmp.path().toStdString()) / "cifar-like";
    makeFolder(root);
    QCOMPARE(loadImageFolder(tmp.path().toStdString()).split.train.count(), std::int64_t{5});
  }

  void greyscaleImages() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    for (const char* s : {"train", "test"}) {
      writePng(root / s / "a/x.png", 3, 3, 1, 1);
      writeJpeg(root / s / "b/y.jpg", 3, 3, 1, 2);
    }
    const auto set = loadImageFolder(root.string());
    QCOMPARE(set.split.train.inputs.shape, (Shape{2, 1, 3, 3}));
  }

  void mismatchedSizeNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    makeFolder(root);
    writePng(root / "train/dog/odd.png", 6, 4, 3, 3);
    expectDataError([&] { loadImageFolder(root.string()); }, {"odd.png", "6x4x3", "share one size"});
  }

  void mixedChannelsNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    makeFolder(root);
    writePng(root / "test/dog/grey.png", 5, 4, 1, 3);
    expectDataError([&] { loadImageFolder(root.string()); }, {"grey.png", "5x4x1"});
  }

  void truncatedJpegNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    makeFolder(root);
    const fs::path f = root / "train/dog/d1.jpg";
    auto b = readBytes(f);
    b.resize(b.size() * 2 / 3);
    writeBytes(f, b);
    expectDataError([&] { loadImageFolder(root.string()); }, {"d1.jpg", "JPEG"});
  }

  void corruptJpegHeaderNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path f = fs::path(tmp.path().toStdString()) / "bad.jpg";
    writeBytes(f, {'\xff', '\xd8', '\xff', '\xe0', 0, 3, 'x', 'y', 'z', 'w'});
    expectDataError([&] { decodeImageFile(f.string()); }, {"bad.jpg", "corrupt or truncated JPEG"});
  }

  void truncatedPngNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path f = fs::path(tmp.path().toStdString()) / "cut.png";
    writePng(f, 16, 16, 3, 1);
    auto b = readBytes(f);
    b.resize(b.size() - 30);
    writeBytes(f, b);
    expectDataError([&] { decodeImageFile(f.string()); }, {"cut.png", "PNG"});
  }

  void notAnImageNamesTheFile() {
    QTemporaryDir tmp;
    const fs::path f = fs::path(tmp.path().toStdString()) / "text.png";
    writeBytes(f, {'h', 'e', 'l', 'l', 'o', '\n', 'x', 'y', 'z'});
    expectDataError([&] { decodeImageFile(f.string()); }, {"text.png", "not a PNG or JPEG"});
    const fs::path e = fs::path(tmp.path().toStdString()) / "empty.jpg";
    writeBytes(e, {});
    expectDataError([&] { decodeImageFile(e.string()); }, {"empty.jpg", "empty"});
  }

  void hostileSizesAreBounded() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    ImageLimits small;
    small.max_side = 16;
    writePng(dir / "big.png", 17, 2, 3, 1);
    writeJpeg(dir / "big.jpg", 2, 17, 3, 1);
    expectDataError([&] { decodeImageFile((dir / "big.png").string(), small); }, {"big.png", "17x2", "outside"});
    expectDataError([&] { decodeImageFile((dir / "big.jpg").string(), small); }, {"big.jpg", "2x17", "outside"});
    // A JPEG header claiming 65500 x 65500 pixels (patched SOF0): refused before decoding.
    writeJpeg(dir / "claims.jpg", 8, 8, 3, 1);
    auto b = readBytes(dir / "claims.jpg");
    for (std::size_t i = 0; i + 8 < b.size(); ++i)
      if (static_cast<unsigned char>(b[i]) == 0xff && static_cast<unsigned char>(b[i + 1]) == 0xc0) {
        b[i + 5] = '\xff'; b[i + 6] = '\xdc'; b[i + 7] = '\xff'; b[i + 8] = '\xdc';
        break;
      }
    writeBytes(dir / "claims.jpg", b);
    expectDataError([&] { decodeImageFile((dir / "claims.jpg").string()); }, {"claims.jpg", "65500x65500"});
    ImageLimits tiny_file;
    tiny_file.max_file_bytes = 10;
    expectDataError([&] { decodeImageFile((dir / "big.png").string(), tiny_file); }, {"big.png", "bytes"});
    // The whole set is bounded too, before its one big allocation.
    const fs::path root = dir / "set";
    makeFolder(root);
    ImageFolderLimits lim;
    lim.max_total_values = 100;
    expectDataError([&] { loadImageFolder(root.string(), lim); }, {"exceed the limit"});
  }

  void layoutErrorsNameTheFolder() {
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    expectDataError([&] { loadImageFolder((root / "nope").string()); }, {"nope", "no such folder"});
    writePng(root / "train/a/x.png", 2, 2, 3, 1);
    writePng(root / "train/b/x.png", 2, 2, 3, 1);
    expectDataError([&] { loadImageFolder(root.string()); }, {"no test/"});
    writePng(root / "test/a/x.png", 2, 2, 3, 1);
    expectDataError([&] { loadImageFolder(root.string()); }, {"test/b", "missing class folder"});
    fs::create_directories(root / "test/b");
    expectDataError([&] { loadImageFolder(root.string()); }, {"test/b", "no .png"});
    writePng(root / "test/c/x.png", 2, 2, 3, 1);
    writePng(root / "test/b/x.png", 2, 2, 3, 1);
    expectDataError([&] { loadImageFolder(root.string()); }, {"test/c", "not present in train"});
  }

  void augmentationIsSeededAndShifts() {
    Tensor x({1, 1, 3, 4});
    for (int i = 0; i < 12; ++i) x.data[i] = static_cast<float>(i + 1);
    const Tensor original = x;
    augmentBatch(x, ImageAugmentation{}, 1, 1);
    QCOMPARE(x.data, original.data);  // disabled: untouched
    // Flip only: every result is the image or its mirror, and both occur over steps.
    bool saw_flip = false, saw_same = false;
    for (int step = 1; step <= 20; ++step) {
      Tensor y = original;
      augmentBatch(y, ImageAugmentation{true, 0}, 7, step);
      if (y.data == original.data) { saw_same = true; continue; }
      saw_flip = true;
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) QCOMPARE(y.data[r * 4 + c], original.data[r * 4 + 3 - c]);
    }
    QVERIFY(saw_flip && saw_same);
    // Crop: a shift with zero fill; same (seed, step) gives the same result.
    Tensor a = original, b = original;
    bool shifted = false;
    for (int step = 1; step <= 20 && !shifted; ++step) {
      a = original;
      b = original;
      augmentBatch(a, ImageAugmentation{false, 1}, 3, step);
      augmentBatch(b, ImageAugmentation{false, 1}, 3, step);
      QCOMPARE(a.data, b.data);
      shifted = a.data != original.data;
    }
    QVERIFY(shifted);
    int zeros = 0;
    for (float v : a.data) zeros += v == 0.0f;
    QVERIFY(zeros >= 3);  // at least one row or column of fill
    for (float v : a.data)
      QVERIFY(v == 0.0f || std::find(original.data.begin(), original.data.end(), v) != original.data.end());
  }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"
