#pragma once
// Dataset files for the bad-input matrix, written in the real formats: IDX folders
// (Fashion-MNIST layout, plain or gzip), CIFAR-10 batch folders, and gzip streams of
// zeros (a "bomb": a gigabyte of zeros deflates to a few megabytes).
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

namespace halflab::test {

inline void appendBigEndian32(QByteArray& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.append(static_cast<char>((v >> shift) & 0xff));
}

inline QByteArray idxFile(std::uint32_t magic, const std::vector<std::uint32_t>& sizes, const QByteArray& payload) {
  QByteArray b;
  appendBigEndian32(b, magic);
  for (std::uint32_t s : sizes) appendBigEndian32(b, s);
  return b + payload;
}

// n images of rows x cols (pixel values from a simple pattern) and n labels 0..9.
inline QByteArray idxImages(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  QByteArray pixels;
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) pixels.append(static_cast<char>((i * 37) % 256));
  return idxFile(0x00000803, {n, rows, cols}, pixels);
}
inline QByteArray idxLabels(std::uint32_t n) {
  QByteArray labels;
  for (std::uint32_t i = 0; i < n; ++i) labels.append(static_cast<char>(i % 10));
  return idxFile(0x00000801, {n}, labels);
}

// Writes `bytes` gzip-compressed, followed by `zeros` zero bytes in the same stream.
inline bool writeGzip(const QString& path, const QByteArray& bytes, qint64 zeros = 0) {
  QDir().mkpath(QFileInfo(path).path());
  gzFile f = gzopen(QFile::encodeName(path).constData(), "wb1");
  if (!f) return false;
  bool ok = bytes.isEmpty() || gzwrite(f, bytes.constData(), static_cast<unsigned>(bytes.size())) > 0;
  const QByteArray chunk(1 << 20, '\0');
  for (qint64 left = zeros; ok && left > 0; left -= chunk.size())
    ok = gzwrite(f, chunk.constData(), static_cast<unsigned>(std::min<qint64>(left, chunk.size()))) > 0;
  return gzclose(f) == Z_OK && ok;
}

inline bool writePlain(const QString& path, const QByteArray& bytes) {
  QDir().mkpath(QFileInfo(path).path());
  QFile f(path);
  return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// A Fashion-MNIST style folder: train and t10k images and labels (n images each).
// `images` replaces the training images file when not empty.
inline bool writeIdxFolder(const QString& dir, std::uint32_t n = 5, std::uint32_t side = 28,
                           const QByteArray& train_images = {}) {
  return writePlain(dir + "/train-images-idx3-ubyte", train_images.isEmpty() ? idxImages(n, side, side) : train_images) &&
         writePlain(dir + "/train-labels-idx1-ubyte", idxLabels(n)) &&
         writePlain(dir + "/t10k-images-idx3-ubyte", idxImages(n, side, side)) &&
         writePlain(dir + "/t10k-labels-idx1-ubyte", idxLabels(n));
}

// CIFAR-10 binary records: a label byte then 3072 pixel bytes.
inline QByteArray cifarRecords(int count) {
  QByteArray b;
  for (int r = 0; r < count; ++r) {
    b.append(static_cast<char>(r % 10));
    for (int p = 0; p < 3072; ++p) b.append(static_cast<char>((r * 50 + p) % 256));
  }
  return b;
}

// data_batch_1..5.bin and test_batch.bin, each with `records` records.
inline bool writeCifarFolder(const QString& dir, int records = 2) {
  bool ok = true;
  for (int b = 1; b <= 5; ++b) ok = ok && writePlain(dir + QString("/data_batch_%1.bin").arg(b), cifarRecords(records));
  return ok && writePlain(dir + "/test_batch.bin", cifarRecords(records));
}

}  // namespace halflab::test
