// Bad image-folder and text datasets against the real CLI: corrupt, truncated, oversized
// and mismatched images, broken folder layouts, non-UTF-8 reviews, broken CSV, and text
// data given to `train` (a float preset on token ids). Each names the file (and the
// line, for CSV) and exits 1 (data) or 2 (config).
#include <png.h>
#include <zlib.h>

#include "cli_case.hpp"
#include "dataset_files.hpp"

using halflab::test::CliCase;
using namespace halflab::test;

namespace {

QByteArray pngBytes(int w, int h) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = PNG_FORMAT_RGB;
  QByteArray px(w * h * 3, '\x40');
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&img, nullptr, &size, 0, px.data(), 0, nullptr);
  QByteArray out(static_cast<qsizetype>(size), '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, px.data(), 0, nullptr)) return {};
  out.resize(static_cast<qsizetype>(size));
  return out;
}

// A PNG whose header claims w x h (IHDR rewritten with a correct CRC, so libpng reads it).
QByteArray pngClaiming(std::uint32_t w, std::uint32_t h) {
  QByteArray b = pngBytes(4, 4);
  QByteArray ihdr;  // type + data, as the CRC covers them
  ihdr.append("IHDR");
  appendBigEndian32(ihdr, w);
  appendBigEndian32(ihdr, h);
  ihdr.append(b.mid(8 + 8 + 8, 5));  // depth, colour type, compression, filter, interlace
  b.replace(12, 17, ihdr);
  QByteArray crc;
  appendBigEndian32(crc, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ihdr.constData()), 17)));
  b.replace(29, 4, crc);
  return b;
}

// {dir}/img: two classes, train 2 + 2, test 1 + 1, 4x4 RGB PNGs.
void writeImageFolder(const QString& dir) {
  for (const QString& f : {"train/a/0.png", "train/a/1.png", "train/b/0.png", "train/b/1.png", "test/a/0.png", "test/b/0.png"})
    QVERIFY(writePlain(dir + "/img/" + f, pngBytes(4, 4)));
}

void writeImdb(const QString& dir) {
  for (const QString& f : {"train/pos/0_9.txt", "train/neg/0_1.txt", "test/pos/0_8.txt", "test/neg/0_2.txt"})
    QVERIFY(writePlain(dir + "/aclImdb/" + f, "A review.<br />Fine."));
}

QStringList trainImages() {
  return {"train", "--no-db", "-q", "--dataset", "image-folder", "--data-dir", "{dir}/img", "--max-steps", "1"};
}

QStringList show(const QString& kind, const QString& path) {
  return {"data", "show", "--dataset", kind, "--path", path, "--set", "dataset.cache_dir=\"{dir}/cache\""};
}

std::vector<CliCase> table() {
  return {
      {.name = "image folder: truncated PNG",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img/train/b/1.png: corrupt or truncated PNG data",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/train/b/1.png", pngBytes(4, 4).left(40)));
       }},
      {.name = "image folder: text renamed to .jpg",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img/test/a/x.jpg: not a PNG or JPEG file",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/test/a/x.jpg", "hello, not an image"));
       }},
      {.name = "image folder: JPEG header only",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img/train/a/2.jpg: corrupt or truncated JPEG data",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/train/a/2.jpg", QByteArray("\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11)));
       }},
      {.name = "image folder: PNG claiming 100000 x 100000 pixels",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img/train/a/0.png: image size 100000x100000 is outside 1..8192 pixels per side",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/train/a/0.png", pngClaiming(100000, 100000)));
       }},
      {.name = "image folder: images of two sizes",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img/test/b/0.png: image is 5x4x3 but .*img/train/a/0.png is 4x4x3",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/test/b/0.png", pngBytes(5, 4)));
       }},
      {.name = "image folder: no test split",
       .args = trainImages(),
       .exit_code = 1,
       .message = "img: no test/ folder",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(QDir(dir + "/img/test").removeRecursively());
       }},
      {.name = "image folder: test class missing from train",
       .args = show("image-folder", "{dir}/img"),
       .exit_code = 1,
       .message = "img/test/c: class folder not present in train/",
       .setup = [](const QString& dir) {
         writeImageFolder(dir);
         QVERIFY(writePlain(dir + "/img/test/c/0.png", pngBytes(4, 4)));
       }},
      {.name = "augmentation on a synthetic set",
       .args = {"train", "--no-db", "-q", "--dataset", "spirals", "--set", "dataset.augment_flip=true"},
       .exit_code = 2,
       .message = "dataset.augment_flip: augmentation needs an image dataset"},
      {.name = "imdb: a preset that reads floats cannot take token ids",
       .args = {"train", "--no-db", "-q", "--dataset", "imdb", "--data-dir", "{dir}/aclImdb"},
       .exit_code = 2,
       .message = "cannot read the token ids of a text set \\(int32\\); start the model with an embedding",
       .setup = writeImdb},
      {.name = "imdb: review that is not UTF-8",
       .args = show("imdb", "{dir}/aclImdb"),
       .exit_code = 1,
       .message = "aclImdb/train/neg/1_1.txt: not valid UTF-8 \\(byte 3\\)",
       .setup = [](const QString& dir) {
         writeImdb(dir);
         QVERIFY(writePlain(dir + "/aclImdb/train/neg/1_1.txt", "Caf\xe9 bad. \xff"));
       }},
      {.name = "imdb: missing test split",
       .args = show("imdb", "{dir}/aclImdb"),
       .exit_code = 1,
       .message = "aclImdb/test: missing split folder",
       .setup = [](const QString& dir) {
         writeImdb(dir);
         QVERIFY(QDir(dir + "/aclImdb/test").removeRecursively());
       }},
      {.name = "imdb: empty class folder",
       .args = show("imdb", "{dir}/aclImdb"),
       .exit_code = 1,
       .message = "aclImdb/train/pos: the folder holds no .txt review",
       .setup = [](const QString& dir) {
         writeImdb(dir);
         QVERIFY(QFile::remove(dir + "/aclImdb/train/pos/0_9.txt"));
       }},
      {.name = "csv: unterminated quote",
       .args = show("csv-text", "{dir}/csv"),
       .exit_code = 1,
       .message = "csv/train.csv: line 3: a quoted field is never closed",
       .setup = [](const QString& dir) {
         QVERIFY(writePlain(dir + "/csv/train.csv", "text,label\nok,1\n\"open,0\nmore\n"));
         QVERIFY(writePlain(dir + "/csv/test.csv", "text,label\nok,1\n"));
       }},
      {.name = "csv: header without a label column",
       .args = show("csv-text", "{dir}/csv"),
       .exit_code = 1,
       .message = "csv/test.csv: line 1: the header has no 'label' column",
       .setup = [](const QString& dir) {
         QVERIFY(writePlain(dir + "/csv/train.csv", "text,label\nok,1\nbad,0\n"));
         QVERIFY(writePlain(dir + "/csv/test.csv", "text,class\nok,1\n"));
       }},
      {.name = "csv: bad padding option",
       .args = {"data", "show", "--dataset", "csv-text", "--path", "{dir}", "--set", "dataset.padding=\"middle\""},
       .exit_code = 2,
       .message = "dataset.padding: unknown padding 'middle' \\(expected pre or post\\)"},
  };
}

}  // namespace

class TestBadInputDatasets : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputDatasets)
#include "test_bad_input_datasets.moc"
