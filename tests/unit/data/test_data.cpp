// Data loaders, synthetic sets, sampling and normalisation. Files are written in the real
// formats (IDX plain and gzip, CIFAR-10 binary) into a temporary folder.
#include <zlib.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numbers>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "engine/data/dataset.hpp"
#include "engine/data/loaders.hpp"
#include "engine/data/portable_random.hpp"

using namespace halflab;

namespace {

using Bytes = std::vector<std::uint8_t>;

void appendBigEndian32(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes idxBytes(std::uint32_t magic, const std::vector<std::uint32_t>& sizes, const Bytes& payload) {
  Bytes b;
  appendBigEndian32(b, magic);
  for (std::uint32_t s : sizes) appendBigEndian32(b, s);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void writePlain(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) qFatal("cannot write %s", path.c_str());
}

void writeGzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (!f) qFatal("cannot write %s", path.c_str());
  if (!bytes.empty() && gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) <= 0)
    qFatal("gzwrite failed for %s", path.c_str());
  gzclose(f);
}

Bytes readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The message of the DataError `f` throws, or a marker saying what happened instead.
std::string dataErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a DataError: ") + e.what() + ">";
  }
  return "<no error>";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A small valid IDX set: `n` images of rows x cols with distinct pixel values.
struct SmallIdx {
  int n = 5, rows = 4, cols = 3;
  Bytes pixels, labels;
  SmallIdx() {
    for (int i = 0; i < n * rows * cols; ++i) pixels.push_back(static_cast<std::uint8_t>((i * 37) % 256));
    pixels[0] = 0;
    pixels[1] = 255;
    for (int i = 0; i < n; ++i) labels.push_back(static_cast<std::uint8_t>((i * 3) % 10));
  }
  Bytes imageFile() const {
    return idxBytes(0x00000803, {std::uint32_t(n), std::uint32_t(rows), std::uint32_t(cols)}, pixels);
  }
  Bytes labelFile() const { return idxBytes(0x00000801, {std::uint32_t(n)}, labels); }
};

Bytes cifarRecords(int count, int first_label) {
  Bytes b;
  for (int r = 0; r < count; ++r) {
    b.push_back(static_cast<std::uint8_t>((first_label + r) % 10));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) b.push_back(static_cast<std::uint8_t>((r * 50 + c * 80 + p) % 256));
  }
  return b;
}

bool sameBits(const Dataset& a, const Dataset& b) {
  return a.inputs.shape == b.inputs.shape && a.labels == b.labels &&
         std::memcmp(a.inputs.ptr(), b.inputs.ptr(), a.inputs.data.size() * sizeof(float)) == 0;
}

std::vector<std::int64_t> epochOrder(BatchSampler& s, int epoch) {
  s.startEpoch(epoch);
  std::vector<std::int64_t> order;
  for (std::int64_t b = 0; b < s.batchesPerEpoch(); ++b) {
    std::int64_t n = 0;
    const std::int64_t* idx = s.batch(b, &n);
    order.insert(order.end(), idx, idx + n);
  }
  return order;
}

}  // namespace

class TestData : public QObject {
  Q_OBJECT

 private slots:
  void idxRoundTrip_data();
  void idxRoundTrip();
  void idxFolderFindsBothSpellings();
  void idxErrors_data();
  void idxErrors();
  void idxFolderErrors();
  void idxWiderLabelRange();
  void cifarRoundTrip();
  void cifarErrors();
  void portableRandomIsSane();
  void syntheticSetsAreDeterministic();
  void syntheticSetsHaveRequestedShape();
  void syntheticSetsSeparateClasses();
  void syntheticSetsRejectBadArguments();
  void syntheticFrozenValues();
  void samplerCoversEveryIndexOncePerEpoch();
  void samplerDependsOnlyOnSeedAndEpoch();
  void samplerSequentialAndDropLast();
  void gatherCopiesSamples();
  void normalizationGivesZeroMeanUnitStd();
  void truncateKeepsPrefix();
  void idxRefusesWhatCannotFitInMemory();
  void cifarBatchHasASizeLimit();
  void cifarSingleBatch();
  void inconsistentDatasetsAreRefused();
  void realFashionMnist();
};

void TestData::idxRoundTrip_data() {
  QTest::addColumn<bool>("gzip");
  QTest::newRow("plain") << false;
  QTest::newRow("gzip") << true;
}

void TestData::idxRoundTrip() {
  QFETCH(bool, gzip);
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const SmallIdx set;
  const std::string dir = tmp.path().toStdString();
  // Gzip data under a plain name must be recognised by its magic bytes.
  const std::string images = dir + "/images-idx3-ubyte";
  const std::string labels = dir + "/labels-idx1-ubyte" + (gzip ? ".gz" : "");
  (gzip ? writeGzip : writePlain)(images, set.imageFile());
  (gzip ? writeGzip : writePlain)(labels, set.labelFile());

  const Dataset d = loadIdxPair(images, labels, "small");
  QCOMPARE(d.name, std::string("small"));
  QCOMPARE(d.inputs.shape, (Shape{5, 1, 4, 3}));
  QCOMPARE(d.count(), std::int64_t{5});
  QCOMPARE(d.sampleSize(), std::int64_t{12});
  QCOMPARE(d.num_classes, 10);
  QCOMPARE(d.inputs.data[0], 0.0f);
  QCOMPARE(d.inputs.data[1], 1.0f);
  for (std::size_t i = 0; i < set.pixels.size(); ++i)
    QCOMPARE(d.inputs.data[i], static_cast<float>(set.pixels[i] / 255.0));
  for (std::size_t i = 0; i < set.labels.size(); ++i) QCOMPARE(d.labels[i], std::int32_t{set.labels[i]});
}

void TestData::idxFolderFindsBothSpellings() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();
  const SmallIdx set;
  writeGzip(dir + "/train-images-idx3-ubyte.gz", set.imageFile());
  writeGzip(dir + "/train-labels-idx1-ubyte.gz", set.labelFile());
  writePlain(dir + "/t10k-images.idx3-ubyte", set.imageFile());
  writePlain(dir + "/t10k-labels.idx1-ubyte", set.labelFile());

  const DataSplit split = loadIdxFolder(dir, "tiny");
  QCOMPARE(split.train.name, std::string("tiny/train"));
  QCOMPARE(split.test.name, std::string("tiny/test"));
  QCOMPARE(split.train.inputs.shape, (Shape{5, 1, 4, 3}));
  QVERIFY(sameBits(split.train, split.test));
  QCOMPARE(split.train.num_classes, 10);
  QCOMPARE(split.test.num_classes, 10);
}

// Each row damages one file of a valid pair; the error must name that file and the problem.
void TestData::idxErrors_data() {
  QTest::addColumn<QString>("damage");
  QTest::addColumn<bool>("gzip");
  QTest::addColumn<QString>("bad_file");  // "images" or "labels": which path the message names
  QTest::addColumn<QStringList>("expected");

  QTest::newRow("bad magic") << "bad magic" << false << "images" << QStringList{"bad magic number 0x00000903", "expected 0x00000803"};
  QTest::newRow("labels given as images") << "swap" << false << "images" << QStringList{"wrong number of dimensions", "0x00000801"};
  QTest::newRow("wrong dims") << "wrong dims" << false << "labels" << QStringList{"wrong number of dimensions: the header says 2, expected 1"};
  QTest::newRow("truncated images") << "truncate images" << false << "images" << QStringList{"truncated: header says 5 images, file holds 4 and 2 of 12 bytes of the next"};
  QTest::newRow("truncated labels") << "truncate labels" << false << "labels" << QStringList{"truncated: header says 5 labels, file holds 3"};
  QTest::newRow("truncated labels gz") << "truncate labels" << true << "labels" << QStringList{"truncated: header says 5 labels, file holds 3"};
  QTest::newRow("short header") << "short header" << false << "images" << QStringList{"truncated", "IDX header"};
  QTest::newRow("trailing garbage") << "trailing" << false << "images" << QStringList{"7 bytes of trailing data", "5 images"};
  QTest::newRow("trailing garbage gz") << "trailing" << true << "labels" << QStringList{"7 bytes of trailing data", "5 labels"};
  QTest::newRow("count mismatch") << "count mismatch" << false << "labels" << QStringList{"count mismatch: 4 labels", "5 images"};
  QTest::newRow("bad label") << "bad label" << false << "labels" << QStringList{"bad label 12 at index 2", "must be < 10"};
  QTest::newRow("header overstates count") << "overstated" << false << "images" << QStringList{"truncated: header says 1000000 images, file holds 0 and 60 of 784 bytes"};
  QTest::newRow("absurd header") << "absurd" << true << "images" << QStringList{"implausible sizes in the header"};
  // 4 x 2^31 x 2^31 = 2^64 wraps to a payload of 0 bytes; the loader used to accept it and
  // the normalisation statistics then read far outside the (empty) pixel buffer.
  QTest::newRow("header product wraps") << "wraps" << false << "images"
                                        << QStringList{"implausible sizes in the header (4 x 2147483648 x 2147483648 images: the product overflows 64 bits)"};
  QTest::newRow("image too big") << "huge image" << false << "images" << QStringList{"1 x 65536 x 65536 images: 4294967296 bytes per item, the limit is 16777216"};
  // Refused from the header, before a gzip bomb of a billion labels is inflated.
  QTest::newRow("labels header overstates count") << "labels overstated" << true << "labels" << QStringList{"count mismatch: 1073741824 labels", "holds 5 images"};
  // Trailing data is counted only up to 1 MiB, not inflated to its end.
  QTest::newRow("gzip bomb after the payload") << "trailing bomb" << true << "images" << QStringList{"at least 1048576 bytes of trailing data after the 5 images"};
  QTest::newRow("zero images") << "zero images" << false << "images" << QStringList{"size 0"};
  QTest::newRow("missing file") << "missing" << false << "labels" << QStringList{"file not found"};
  QTest::newRow("empty file") << "empty" << false << "images" << QStringList{"file is empty"};
  QTest::newRow("garbage named .gz") << "garbage gz" << true << "images" << QStringList{"not a gzip file"};
  QTest::newRow("cut gzip stream") << "cut gzip" << true << "images" << QStringList{"truncated", "gzip stream ends early"};
  QTest::newRow("corrupt gzip stream") << "corrupt gzip" << true << "images" << QStringList{"corrupt gzip data"};
}

void TestData::idxErrors() {
  QFETCH(QString, damage);
  QFETCH(bool, gzip);
  QFETCH(QString, bad_file);
  QFETCH(QStringList, expected);

  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();
  const std::string suffix = gzip ? ".gz" : "";
  const std::string images = dir + "/train-images-idx3-ubyte" + suffix;
  const std::string labels = dir + "/train-labels-idx1-ubyte" + suffix;
  SmallIdx set;
  Bytes image_file = set.imageFile();
  Bytes label_file = set.labelFile();
  bool raw_images = false;  // write image_file as is, even under a .gz name

  const std::string d = damage.toStdString();
  if (d == "bad magic") image_file[2] = 0x09;
  if (d == "swap") image_file = label_file;
  if (d == "wrong dims") label_file = idxBytes(0x00000802, {5, 1}, set.labels);
  if (d == "truncate images") image_file.resize(image_file.size() - 10);
  if (d == "truncate labels") label_file.resize(label_file.size() - 2);
  if (d == "short header") image_file.resize(10);
  if (d == "trailing") (bad_file == "images" ? image_file : label_file).resize((bad_file == "images" ? image_file : label_file).size() + 7, 0xab);
  if (d == "count mismatch") label_file = idxBytes(0x00000801, {4}, Bytes(set.labels.begin(), set.labels.begin() + 4));
  if (d == "bad label") label_file[8 + 2] = 12;
  if (d == "overstated") image_file = idxBytes(0x00000803, {1000000, 28, 28}, set.pixels);
  if (d == "absurd") image_file = idxBytes(0x00000803, {0xffffffffu, 28, 28}, set.pixels);
  if (d == "wraps") image_file = idxBytes(0x00000803, {4, 0x80000000u, 0x80000000u}, {});
  if (d == "huge image") image_file = idxBytes(0x00000803, {1, 65536, 65536}, set.pixels);
  if (d == "labels overstated") label_file = idxBytes(0x00000801, {1u << 30}, Bytes(std::size_t{1} << 22, 0));
  if (d == "trailing bomb") image_file.resize(image_file.size() + (std::size_t{8} << 20), 0);
  if (d == "zero images") image_file = idxBytes(0x00000803, {0, 4, 3}, {});
  if (d == "empty") image_file.clear();
  if (d == "garbage gz") {
    image_file = Bytes{'<', 'h', 't', 'm', 'l', '>', 'N', 'o', 't', ' ', 'F', 'o', 'u', 'n', 'd'};
    raw_images = true;
  }

  auto write = [&](const std::string& path, const Bytes& bytes, bool raw) {
    if (d == "empty" && path == images) return writePlain(path, bytes);
    (gzip && !raw ? writeGzip : writePlain)(path, bytes);
  };
  write(images, image_file, raw_images);
  if (d != "missing") write(labels, label_file, false);

  if (d == "cut gzip") {
    Bytes gz = readFileBytes(images);
    gz.resize(gz.size() / 2);
    writePlain(images, gz);
  }
  if (d == "corrupt gzip") {
    // Damage the deflate stream itself (not the header): a wrong block type is reported.
    Bytes gz = readFileBytes(images);
    for (std::size_t i = 10; i < gz.size() - 8; ++i) gz[i] = 0xff;
    writePlain(images, gz);
  }

  const std::string msg = dataErrorOf([&] { loadIdxPair(images, labels, "broken"); });
  const std::string named = bad_file == "images" ? images : labels;
  QVERIFY2(contains(msg, named), ("message does not name " + named + ": " + msg).c_str());
  for (const QString& e : expected)
    QVERIFY2(contains(msg, e.toStdString()), ("expected '" + e.toStdString() + "' in: " + msg).c_str());
}

void TestData::idxFolderErrors() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();

  const std::string missing_dir = dir + "/no-such-folder";
  std::string msg = dataErrorOf([&] { loadIdxFolder(missing_dir, "x"); });
  QVERIFY2(contains(msg, missing_dir) && contains(msg, "dataset folder not found"), msg.c_str());

  const SmallIdx set;
  writeGzip(dir + "/train-images-idx3-ubyte.gz", set.imageFile());
  writeGzip(dir + "/train-labels-idx1-ubyte.gz", set.labelFile());
  writeGzip(dir + "/t10k-images-idx3-ubyte.gz", set.imageFile());
  msg = dataErrorOf([&] { loadIdxFolder(dir, "x"); });
  QVERIFY2(contains(msg, dir) && contains(msg, "missing test labels file"), msg.c_str());
  for (const char* tried : {"t10k-labels-idx1-ubyte,", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte,",
                            "t10k-labels.idx1-ubyte.gz"})
    QVERIFY2(contains(msg, tried), ("the message should list " + std::string(tried) + ": " + msg).c_str());

  // A damaged file inside the folder is reported by its own path.
  writeGzip(dir + "/t10k-labels-idx1-ubyte.gz", idxBytes(0x00000801, {5}, {1, 2, 3, 4, 77}));
  msg = dataErrorOf([&] { loadIdxFolder(dir, "x"); });
  QVERIFY2(contains(msg, dir + "/t10k-labels-idx1-ubyte.gz") && contains(msg, "bad label 77 at index 4"), msg.c_str());
}

void TestData::idxWiderLabelRange() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();
  SmallIdx set;
  set.labels = {0, 46, 3, 12, 5};
  writePlain(dir + "/i", set.imageFile());
  writePlain(dir + "/l", set.labelFile());
  QVERIFY(contains(dataErrorOf([&] { loadIdxPair(dir + "/i", dir + "/l", "e"); }), "bad label 46 at index 1"));
  const Dataset d = loadIdxPair(dir + "/i", dir + "/l", "emnist-like", 47);
  QCOMPARE(d.num_classes, 47);
  QCOMPARE(d.labels[1], 46);
}

void TestData::cifarRoundTrip() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  // The archive layout: the batches inside cifar-10-batches-bin/.
  const std::string root = tmp.path().toStdString();
  const std::string dir = root + "/cifar-10-batches-bin";
  std::filesystem::create_directory(dir);
  for (int b = 1; b <= 5; ++b) writePlain(dir + "/data_batch_" + std::to_string(b) + ".bin", cifarRecords(2, b));
  writeGzip(dir + "/test_batch.bin.gz", cifarRecords(3, 7));

  const DataSplit split = loadCifar10Folder(root);
  QCOMPARE(split.train.inputs.shape, (Shape{10, 3, 32, 32}));
  QCOMPARE(split.test.inputs.shape, (Shape{3, 3, 32, 32}));
  QCOMPARE(split.train.num_classes, 10);
  QCOMPARE(split.train.labels, (std::vector<std::int32_t>{1, 2, 2, 3, 3, 4, 4, 5, 5, 6}));
  QCOMPARE(split.test.labels, (std::vector<std::int32_t>{7, 8, 9}));
  // Record 1 of batch 2 is sample 3; channel 2 (blue), pixel (row 5, col 7) = p 167.
  const std::size_t at = 3 * 3072 + 2 * 1024 + 5 * 32 + 7;
  QCOMPARE(split.train.inputs.data[at], static_cast<float>(((1 * 50 + 2 * 80 + 167) % 256) / 255.0));
  const auto [lo, hi] = std::minmax_element(split.train.inputs.data.begin(), split.train.inputs.data.end());
  QCOMPARE(*lo, 0.0f);
  QCOMPARE(*hi, 1.0f);
}

void TestData::cifarErrors() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();
  for (int b = 1; b <= 5; ++b)
    if (b != 3) writePlain(dir + "/data_batch_" + std::to_string(b) + ".bin", cifarRecords(2, b));
  writePlain(dir + "/test_batch.bin", cifarRecords(1, 0));

  std::string msg = dataErrorOf([&] { loadCifar10Folder(dir); });
  QVERIFY2(contains(msg, dir) && contains(msg, "missing CIFAR-10 batch data_batch_3.bin"), msg.c_str());

  Bytes short_batch = cifarRecords(2, 0);
  short_batch.resize(short_batch.size() - 100);
  writePlain(dir + "/data_batch_3.bin", short_batch);
  msg = dataErrorOf([&] { loadCifar10Folder(dir); });
  QVERIFY2(contains(msg, dir + "/data_batch_3.bin") && contains(msg, "not a whole number of 3073-byte") &&
               contains(msg, "1 records and 2973 bytes left over"),
           msg.c_str());

  Bytes bad_label = cifarRecords(2, 0);
  bad_label[3073] = 11;
  writePlain(dir + "/data_batch_3.bin", bad_label);
  msg = dataErrorOf([&] { loadCifar10Folder(dir); });
  QVERIFY2(contains(msg, dir + "/data_batch_3.bin") && contains(msg, "bad label 11 in record 1"), msg.c_str());

  msg = dataErrorOf([&] { loadCifar10Folder(dir + "/nope"); });
  QVERIFY2(contains(msg, dir + "/nope") && contains(msg, "dataset folder not found"), msg.c_str());
}

void TestData::portableRandomIsSane() {
  // mt19937_64 is fixed by the standard: the 10000th output of the default seed.
  PortableRandom standard(5489u);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = standard.bits();
  QCOMPARE(x, std::uint64_t{9981545732273789042ULL});

  PortableRandom rng(7);
  double sum = 0, sum_sq = 0, umin = 1, umax = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum_sq += z * z;
    const double u = rng.uniform01();
    umin = std::min(umin, u);
    umax = std::max(umax, u);
  }
  QVERIFY(umin >= 0.0 && umax < 1.0 && umin < 1e-3 && umax > 1 - 1e-3);
  QVERIFY2(std::abs(sum / n) < 0.01, qPrintable(QString::number(sum / n)));
  QVERIFY2(std::abs(std::sqrt(sum_sq / n) - 1.0) < 0.01, qPrintable(QString::number(sum_sq / n)));
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 70000; ++i) ++hist[rng.below(7)];
  for (int h : hist) QVERIFY2(std::abs(h - 10000) < 500, qPrintable(QString::number(h)));
}

void TestData::syntheticSetsAreDeterministic() {
  QVERIFY(sameBits(makeSpirals(500, 3, 0.1, 42), makeSpirals(500, 3, 0.1, 42)));
  QVERIFY(sameBits(makeMoons(500, 0.1, 42), makeMoons(500, 0.1, 42)));
  QVERIFY(sameBits(makeBlobs(500, 4, 0.2, 42), makeBlobs(500, 4, 0.2, 42)));
  QVERIFY(!sameBits(makeSpirals(500, 3, 0.1, 42), makeSpirals(500, 3, 0.1, 43)));
  QVERIFY(!sameBits(makeMoons(500, 0.1, 42), makeMoons(500, 0.1, 43)));
  QVERIFY(!sameBits(makeBlobs(500, 4, 0.2, 42), makeBlobs(500, 4, 0.2, 43)));
  const DataSplit a = makeSyntheticSplit("spirals", 300, 100, 3, 0.1, 5);
  const DataSplit b = makeSyntheticSplit("spirals", 300, 100, 3, 0.1, 5);
  QVERIFY(sameBits(a.train, b.train) && sameBits(a.test, b.test));
  QVERIFY(!sameBits(makeSpirals(100, 3, 0.1, 5), a.test));  // test drawn with its own seed
}

void TestData::syntheticSetsHaveRequestedShape() {
  struct Case {
    Dataset d;
    int classes;
  };
  const Case cases[] = {{makeSpirals(1001, 5, 0.05, 1), 5}, {makeMoons(999, 0.1, 1), 2}, {makeBlobs(1000, 3, 0.3, 1), 3}};
  for (const Case& c : cases) {
    QCOMPARE(c.d.inputs.shape, (Shape{c.d.count(), 2}));
    QCOMPARE(static_cast<std::int64_t>(c.d.labels.size()), c.d.count());
    QCOMPARE(c.d.num_classes, c.classes);
    std::vector<int> per_class(static_cast<std::size_t>(c.classes), 0);
    for (std::int32_t y : c.d.labels) {
      QVERIFY(y >= 0 && y < c.classes);
      ++per_class[static_cast<std::size_t>(y)];
    }
    const auto [lo, hi] = std::minmax_element(per_class.begin(), per_class.end());
    QVERIFY2(*hi - *lo <= 1, "classes should be balanced");
    for (float v : c.d.inputs.data) QVERIFY(std::isfinite(v) && std::abs(v) < 3.0f);
  }
  QCOMPARE(makeSpirals(1001, 5, 0.05, 1).count(), std::int64_t{1001});
  const DataSplit split = makeSyntheticSplit("blobs", 200, 50, 4, 0.1, 9);
  QCOMPARE(split.train.count(), std::int64_t{200});
  QCOMPARE(split.test.count(), std::int64_t{50});
  QCOMPARE(split.test.num_classes, 4);
  QCOMPARE(split.train.name, std::string("blobs/train"));
}

// Noise-free sets must put each class where its geometry says.
void TestData::syntheticSetsSeparateClasses() {
  const Dataset blobs = makeBlobs(400, 4, 0.05, 3);
  for (std::int64_t i = 0; i < blobs.count(); ++i) {
    const double angle = 2 * std::numbers::pi * blobs.labels[i] / 4;
    const double dx = blobs.inputs.data[2 * i] - std::cos(angle), dy = blobs.inputs.data[2 * i + 1] - std::sin(angle);
    QVERIFY(std::hypot(dx, dy) < 0.4);
  }
  const Dataset moons = makeMoons(400, 0.0, 3);
  for (std::int64_t i = 0; i < moons.count(); ++i) {
    const double x = moons.inputs.data[2 * i] + 0.5, y = moons.inputs.data[2 * i + 1] + 0.25;
    const double r = moons.labels[i] == 0 ? std::hypot(x, y) : std::hypot(x - 1.0, y - 0.5);
    QVERIFY(std::abs(r - 1.0) < 1e-5);
    QVERIFY(moons.labels[i] == 0 ? y >= -1e-6 : y <= 0.5 + 1e-6);
  }
  const Dataset spirals = makeSpirals(300, 3, 0.0, 3);
  for (std::int64_t i = 0; i < spirals.count(); ++i)
    QVERIFY(std::hypot(spirals.inputs.data[2 * i], spirals.inputs.data[2 * i + 1]) <= 1.0f);
}

void TestData::syntheticSetsRejectBadArguments() {
  QVERIFY(contains(dataErrorOf([] { makeSpirals(0, 3, 0.1, 1); }), "sample count must be > 0"));
  QVERIFY(contains(dataErrorOf([] { makeSpirals(10, 1, 0.1, 1); }), "classes must be in 2..1000"));
  QVERIFY(contains(dataErrorOf([] { makeMoons(10, -0.1, 1); }), "noise must be a finite number >= 0"));
  QVERIFY(contains(dataErrorOf([] { makeBlobs(10, 3, std::nan(""), 1); }), "spread must be"));
  QVERIFY(contains(dataErrorOf([] { makeSyntheticSplit("circles", 10, 10, 2, 0.1, 1); }), "unknown kind"));
}

// Frozen outputs: runs are compared across machines, so the generators must not drift.
// The engine and the integer maths are fixed by the standard; libm's log/sin/cos are the
// only platform-dependent part (glibc's are correctly rounded for these arguments).
void TestData::syntheticFrozenValues() {
  const Dataset s = makeSpirals(4, 3, 0.1, 1);
  const Dataset m = makeMoons(2, 0.1, 1);
  const Dataset b = makeBlobs(2, 3, 0.1, 1);
  const float expected_spirals[] = {0x1.ee1228p-5f, 0x1.279a28p-1f, -0x1.8f7d86p-3f, -0x1.3ec454p-1f, 0x1.83192p-2f, 0x1.e15f52p-4f, -0x1.793a6ap-1f, -0x1.0e6fb2p-1f};
  const float expected_moons[] = {-0x1.ea4a8ap-1f, 0x1.1cb3c6p-1f, 0x1.dcc8eap-2f, -0x1.a5f242p-1f};
  const float expected_blobs[] = {0x1.f7611p-1f, 0x1.a02d42p-10f, -0x1.a039bp-2f, 0x1.d3c9p-1f};
  for (int i = 0; i < 8; ++i) QCOMPARE(s.inputs.data[i], expected_spirals[i]);
  for (int i = 0; i < 4; ++i) QCOMPARE(m.inputs.data[i], expected_moons[i]);
  for (int i = 0; i < 4; ++i) QCOMPARE(b.inputs.data[i], expected_blobs[i]);
  BatchSampler sampler(10, 10, 42, true, false);
  QCOMPARE(epochOrder(sampler, 0), (std::vector<std::int64_t>{7, 8, 3, 6, 5, 0, 9, 4, 2, 1}));
}

void TestData::samplerCoversEveryIndexOncePerEpoch() {
  BatchSampler s(103, 10, 7, true, false);
  QCOMPARE(s.batchesPerEpoch(), std::int64_t{11});
  for (int epoch = 0; epoch < 3; ++epoch) {
    s.startEpoch(epoch);
    std::vector<int> seen(103, 0);
    for (std::int64_t b = 0; b < s.batchesPerEpoch(); ++b) {
      std::int64_t n = 0;
      const std::int64_t* idx = s.batch(b, &n);
      QCOMPARE(n, b < 10 ? std::int64_t{10} : std::int64_t{3});
      for (std::int64_t k = 0; k < n; ++k) {
        QVERIFY(idx[k] >= 0 && idx[k] < 103);
        ++seen[static_cast<std::size_t>(idx[k])];
      }
    }
    QVERIFY(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
  }
}

void TestData::samplerDependsOnlyOnSeedAndEpoch() {
  BatchSampler a(1000, 32, 11, true, false);
  BatchSampler b(1000, 32, 11, true, false);
  BatchSampler other_seed(1000, 32, 12, true, false);
  const auto a0 = epochOrder(a, 0), a1 = epochOrder(a, 1), a5 = epochOrder(a, 5);
  QVERIFY(a0 != a1);
  QVERIFY(a1 != a5);
  std::vector<std::int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  QVERIFY(a0 != identity);
  QCOMPARE(epochOrder(b, 5), a5);  // jumping straight to epoch 5 gives the same order
  QCOMPARE(epochOrder(b, 0), a0);
  QCOMPARE(epochOrder(a, 1), a1);  // and revisiting an epoch repeats it
  QVERIFY(epochOrder(other_seed, 0) != a0);
}

void TestData::samplerSequentialAndDropLast() {
  BatchSampler seq(25, 10, 3, false, false);
  QCOMPARE(seq.batchesPerEpoch(), std::int64_t{3});
  std::vector<std::int64_t> identity(25);
  std::iota(identity.begin(), identity.end(), 0);
  QCOMPARE(epochOrder(seq, 4), identity);

  BatchSampler drop(25, 10, 3, true, true);
  QCOMPARE(drop.batchesPerEpoch(), std::int64_t{2});
  std::int64_t n = 0;
  drop.batch(1, &n);
  QCOMPARE(n, std::int64_t{10});
  bool threw = false;
  try {
    drop.batch(2, &n);
  } catch (const std::out_of_range&) {
    threw = true;
  }
  QVERIFY(threw);
  QCOMPARE(BatchSampler(5, 10, 1, true, true).batchesPerEpoch(), std::int64_t{0});
  threw = false;
  try {
    BatchSampler bad(5, 0, 1, true, false);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  QVERIFY(threw);
}

void TestData::gatherCopiesSamples() {
  Dataset d;
  d.name = "g";
  d.inputs = Tensor({6, 2, 1, 3});
  for (std::size_t i = 0; i < d.inputs.data.size(); ++i) d.inputs.data[i] = static_cast<float>(i);
  d.labels = {0, 1, 2, 3, 4, 5};
  d.num_classes = 6;
  QCOMPARE(sampleShape(d), (Shape{2, 1, 3}));

  Tensor x;
  std::vector<std::int32_t> y;
  const std::int64_t idx[] = {4, 0, 4};
  gatherBatch(d, idx, 3, x, y);
  QCOMPARE(x.shape, (Shape{3, 2, 1, 3}));
  QCOMPARE(y, (std::vector<std::int32_t>{4, 0, 4}));
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 6; ++j) QCOMPARE(x.data[static_cast<std::size_t>(k * 6 + j)], static_cast<float>(idx[k] * 6 + j));

  const std::int64_t bad[] = {6};
  bool threw = false;
  try {
    gatherBatch(d, bad, 1, x, y);
  } catch (const std::out_of_range&) {
    threw = true;
  }
  QVERIFY(threw);
}

void TestData::normalizationGivesZeroMeanUnitStd() {
  // Three channels with different offsets and scales, plus one constant channel.
  PortableRandom rng(5);
  Dataset train;
  train.name = "n";
  train.inputs = Tensor({200, 4, 5, 5});
  train.labels.assign(200, 0);
  for (std::int64_t n = 0; n < 200; ++n)
    for (int c = 0; c < 4; ++c)
      for (int i = 0; i < 25; ++i)
        train.inputs.data[static_cast<std::size_t>((n * 4 + c) * 25 + i)] =
            c == 3 ? 0.5f : static_cast<float>(c * 10 + (c + 1) * 3 * rng.normal());
  Dataset test = train;
  truncateDataset(test, 50);

  const auto stats = channelStats(train);
  QCOMPARE(stats.size(), std::size_t{4});
  for (int c = 0; c < 3; ++c) {
    QVERIFY(std::abs(stats[c].first - c * 10) < 0.5);
    QVERIFY(std::abs(stats[c].second - (c + 1) * 3) < 0.3);
  }
  QCOMPARE(stats[3].first, 0.5f);
  QCOMPARE(stats[3].second, 0.0f);

  normalizeChannels(train, stats);
  normalizeChannels(test, stats);
  const auto after = channelStats(train);
  for (int c = 0; c < 3; ++c) {
    QVERIFY2(std::abs(after[c].first) < 1e-5, qPrintable(QString::number(after[c].first)));
    QVERIFY2(std::abs(after[c].second - 1.0f) < 1e-5, qPrintable(QString::number(after[c].second)));
  }
  QCOMPARE(after[3].first, 0.0f);  // a constant channel is centred, not divided by zero
  for (float v : test.inputs.data) QVERIFY(std::isfinite(v));
  QCOMPARE(test.inputs.data[0], train.inputs.data[0]);  // test uses the training statistics

  // 2-D sets: each feature is a channel.
  Dataset points = makeBlobs(1000, 3, 0.2, 1);
  normalizeChannels(points, channelStats(points));
  for (const auto& [mean, sd] : channelStats(points)) {
    QVERIFY(std::abs(mean) < 1e-5);
    QVERIFY(std::abs(sd - 1.0f) < 1e-5);
  }
  QVERIFY(contains(dataErrorOf([&] { normalizeChannels(points, stats); }), "4 channel statistics given for 2 channels"));
}

void TestData::truncateKeepsPrefix() {
  const Dataset full = makeSpirals(100, 4, 0.1, 2);
  Dataset d = full;
  truncateDataset(d, 0);
  QVERIFY(sameBits(d, full));
  truncateDataset(d, 1000);
  QVERIFY(sameBits(d, full));
  truncateDataset(d, 10);
  QCOMPARE(d.inputs.shape, (Shape{10, 2}));
  QCOMPARE(d.labels.size(), std::size_t{10});
  QCOMPARE(d.num_classes, 4);
  QVERIFY(std::equal(d.inputs.data.begin(), d.inputs.data.end(), full.inputs.data.begin()));
  QVERIFY(std::equal(d.labels.begin(), d.labels.end(), full.labels.begin()));
  QVERIFY(contains(dataErrorOf([&] { truncateDataset(d, -1); }), "must be >= 0"));
}

void TestData::idxRefusesWhatCannotFitInMemory() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string dir = tmp.path().toStdString();
  SmallIdx set;
  writePlain(dir + "/i", set.imageFile());
  writePlain(dir + "/l", set.labelFile());
  // 5 images of 4 x 3 are 240 bytes as floats.
  qputenv("HALFLAB_MEMORY_LIMIT_BYTES", "200");
  const std::string msg = dataErrorOf([&] { loadIdxPair(dir + "/i", dir + "/l", "small"); });
  qputenv("HALFLAB_MEMORY_LIMIT_BYTES", "240");
  const Dataset fits = loadIdxPair(dir + "/i", dir + "/l", "small");
  qunsetenv("HALFLAB_MEMORY_LIMIT_BYTES");
  QVERIFY2(contains(msg, dir + "/i: the header announces 5 x 4 x 3 images, 240 B as floats, but only 200 B of memory "
                          "is available (HALFLAB_MEMORY_LIMIT_BYTES)"),
           msg.c_str());
  QCOMPARE(fits.count(), std::int64_t{5});
}

void TestData::cifarBatchHasASizeLimit() {
  // 310 MB of zeros deflate to about 300 KB; the loader stops inflating at its limit of
  // 100,000 records (307,300,000 bytes) instead of reading the whole stream.
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string path = tmp.path().toStdString() + "/data_batch_1.bin.gz";
  gzFile f = gzopen(path.c_str(), "wb1");
  QVERIFY(f);
  const Bytes zeros(std::size_t{1} << 20, 0);
  for (int i = 0; i < 310; ++i) QCOMPARE(gzwrite(f, zeros.data(), static_cast<unsigned>(zeros.size())), 1 << 20);
  gzclose(f);
  const std::string msg = dataErrorOf([&] { loadCifar10Batch(path, "bomb"); });
  QVERIFY2(contains(msg, path + ": more than 307300000 bytes (100000 records), the limit for one batch file (an "
                                "official CIFAR-10 batch holds 10000 records, 30730000 bytes)"),
           msg.c_str());
}

void TestData::cifarSingleBatch() {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const std::string path = tmp.path().toStdString() + "/b.bin";
  writePlain(path, cifarRecords(3, 4));
  const Dataset d = loadCifar10Batch(path, "one");
  QCOMPARE(d.inputs.shape, (Shape{3, 3, 32, 32}));
  QCOMPARE(d.labels, (std::vector<std::int32_t>{4, 5, 6}));
  QCOMPARE(d.num_classes, 10);
}

void TestData::inconsistentDatasetsAreRefused() {
  // What the wrapped IDX header used to produce: a huge shape over an empty buffer.
  Dataset wrapped;
  wrapped.name = "wrapped";
  wrapped.num_classes = 10;
  wrapped.inputs.shape = {4, 1, std::int64_t{1} << 31, std::int64_t{1} << 31};
  wrapped.labels = {1, 2, 3, 4};
  QVERIFY(contains(dataErrorOf([&] { channelStats(wrapped); }), "wrapped: shape [4x1x2147483648x2147483648]: its element count overflows 64 bits"));
  QVERIFY(contains(dataErrorOf([&] { truncateDataset(wrapped, 2); }), "overflows 64 bits"));

  Dataset short_data;
  short_data.name = "short";
  short_data.num_classes = 3;
  short_data.inputs.shape = {2, 3};
  short_data.inputs.data.assign(5, 0.0f);
  short_data.labels = {0, 1};
  QVERIFY(contains(dataErrorOf([&] { requireWellFormed(short_data); }), "short: shape [2x3] needs 6 values but 5 were loaded"));
  QVERIFY(contains(dataErrorOf([&] { normalizeChannels(short_data, {{0.f, 1.f}, {0.f, 1.f}, {0.f, 1.f}}); }), "needs 6 values"));
  Tensor x;
  std::vector<std::int32_t> y;
  const std::int64_t idx[] = {1};
  QVERIFY_THROWS_EXCEPTION(std::invalid_argument, gatherBatch(short_data, idx, 1, x, y));

  Dataset labels = makeBlobs(20, 3, 0.1, 1);
  requireWellFormed(labels);
  labels.labels[7] = 3;
  QVERIFY(contains(dataErrorOf([&] { requireWellFormed(labels); }), "blobs: label 3 of sample 7 is outside 0..2"));
  labels.labels.pop_back();
  QVERIFY(contains(dataErrorOf([&] { requireWellFormed(labels); }), "20 samples but 19 labels"));
}

void TestData::realFashionMnist() {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz"))
    QSKIP("Fashion-MNIST not installed at /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)");

  QElapsedTimer timer;
  timer.start();
  const DataSplit split = loadIdxFolder(dir, "fashion-mnist");
  const qint64 load_ms = timer.elapsed();
  qInfo("Fashion-MNIST (train + test, gzip) loaded in %lld ms", static_cast<long long>(load_ms));

  timer.restart();
  const Dataset train_only = loadIdxPair(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz", "t");
  qInfo("Fashion-MNIST train set (60000 images) loaded in %lld ms", static_cast<long long>(timer.elapsed()));
  QCOMPARE(train_only.count(), std::int64_t{60000});

  QCOMPARE(split.train.inputs.shape, (Shape{60000, 1, 28, 28}));
  QCOMPARE(split.test.inputs.shape, (Shape{10000, 1, 28, 28}));
  QCOMPARE(split.train.num_classes, 10);
  QCOMPARE(split.test.num_classes, 10);
  for (const Dataset* d : {&split.train, &split.test}) {
    const auto [lo, hi] = std::minmax_element(d->inputs.data.begin(), d->inputs.data.end());
    QCOMPARE(*lo, 0.0f);
    QCOMPARE(*hi, 1.0f);
    std::vector<int> per_class(10, 0);
    for (std::int32_t y : d->labels) ++per_class[static_cast<std::size_t>(y)];
    for (int c : per_class) QCOMPARE(c, static_cast<int>(d->count() / 10));  // balanced by design
  }
  const auto stats = channelStats(split.train);
  QVERIFY2(std::abs(stats[0].first - 0.2860f) < 1e-3 && std::abs(stats[0].second - 0.3530f) < 1e-3,
           qPrintable(QString("mean %1 std %2").arg(stats[0].first).arg(stats[0].second)));
}

QTEST_APPLESS_MAIN(TestData)
#include "test_data.moc"
