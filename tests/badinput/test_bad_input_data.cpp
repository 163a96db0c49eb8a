// Bad datasets against the real CLI: IDX headers whose sizes wrap or disagree with the
// payload, truncated and over-long files, gzip bombs (IDX and CIFAR-10), and data that
// cannot fit in memory. Each is a failed run (exit 1) with a message naming the file.
#include "cli_case.hpp"
#include "dataset_files.hpp"

using halflab::test::CliCase;
using namespace halflab::test;

namespace {

// Trains one step on the Fashion-MNIST style folder {dir}/f.
QStringList trainOn(const QString& folder = "{dir}/f") {
  return {"train", "--no-db", "-q", "--dataset", "fashion-mnist", "--data-dir", folder, "--max-steps", "1"};
}

// A valid folder whose training images file is replaced.
void writeFolderWithTrainImages(const QString& dir, const QByteArray& images) {
  QVERIFY(writeIdxFolder(dir + "/f", 5, 28, images));
}

std::vector<CliCase> table() {
  return {
      {.name = "IDX header whose sizes multiply past 2^64",
       .args = trainOn(),
       .exit_code = 1,
       .message = "f/train-images-idx3-ubyte: implausible sizes in the header \\(4 x 2147483648 x 2147483648 "
                  "images: the product overflows 64 bits\\)",
       // The product wraps to a payload of 0 bytes: the loader used to accept the header,
       // and the normalisation statistics then read far outside the empty pixel buffer.
       .setup = [](const QString& dir) {
         const QByteArray wrapped = idxFile(0x00000803, {4, 0x80000000u, 0x80000000u}, {});
         for (const QString& set : {"train", "t10k"}) {
           QVERIFY(writePlain(dir + "/f/" + set + "-images-idx3-ubyte", wrapped));
           QVERIFY(writePlain(dir + "/f/" + set + "-labels-idx1-ubyte", idxLabels(4)));
         }
       }},
      {.name = "IDX header with three maximal sizes",
       .args = trainOn(),
       .exit_code = 1,
       .message = "4294967295 x 4294967295 x 4294967295 images: the product overflows 64 bits",
       .setup = [](const QString& dir) {
         writeFolderWithTrainImages(dir, idxFile(0x00000803, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {}));
       }},
      {.name = "IDX image bigger than 16 MiB",
       .args = trainOn(),
       .exit_code = 1,
       .message = "1 x 65536 x 65536 images: 4294967296 bytes per item, the limit is 16777216",
       .setup = [](const QString& dir) { writeFolderWithTrainImages(dir, idxFile(0x00000803, {1, 65536, 65536}, QByteArray(100, 'x'))); }},
      {.name = "IDX dimensions disagree with the payload",
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-images-idx3-ubyte: truncated: header says 10 images, file holds 5\\b",
       .setup = [](const QString& dir) {
         writeFolderWithTrainImages(dir, idxFile(0x00000803, {10, 28, 28}, idxImages(5, 28, 28).mid(16)));
       }},
      {.name = "IDX truncated gzip file",
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-images-idx3-ubyte.gz: truncated: header says 5 images, file holds .*the gzip stream ends early",
       .setup = [](const QString& dir) {
         QVERIFY(writeIdxFolder(dir + "/f"));
         QFile::remove(dir + "/f/train-images-idx3-ubyte");
         const QString gz = dir + "/f/train-images-idx3-ubyte.gz";
         QVERIFY(writeGzip(gz, idxImages(5, 28, 28)));
         QFile f(gz);
         QVERIFY(f.open(QIODevice::ReadWrite));
         QVERIFY(f.resize(f.size() / 2));
       }},
      {.name = "IDX over-long file",
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-images-idx3-ubyte: 7 bytes of trailing data after the 5 images the header announces",
       .setup = [](const QString& dir) { writeFolderWithTrainImages(dir, idxImages(5, 28, 28) + QByteArray(7, 'z')); }},
      {.name = "IDX gzip bomb after a valid payload",
       // A 30-byte header, 5 images, then 1 GiB of zeros (5 MB compressed): counted only
       // up to 1 MiB, never inflated to the end.
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-images-idx3-ubyte.gz: at least 1048576 bytes of trailing data after the 5 images",
       .setup = [](const QString& dir) {
         QVERIFY(writeIdxFolder(dir + "/f"));
         QFile::remove(dir + "/f/train-images-idx3-ubyte");
         QVERIFY(writeGzip(dir + "/f/train-images-idx3-ubyte.gz", idxImages(5, 28, 28), qint64{1} << 30));
       }},
      {.name = "IDX labels header announcing a billion labels",
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-labels-idx1-ubyte.gz: count mismatch: 1073741824 labels, but .*train-images-idx3-ubyte holds 5 images",
       .setup = [](const QString& dir) {
         QVERIFY(writeIdxFolder(dir + "/f"));
         QFile::remove(dir + "/f/train-labels-idx1-ubyte");
         QVERIFY(writeGzip(dir + "/f/train-labels-idx1-ubyte.gz", idxFile(0x00000801, {1u << 30}, {}), qint64{256} << 20));
       }},
      {.name = "IDX pixels that cannot fit in memory",
       .args = trainOn(),
       .exit_code = 1,
       .message = "train-images-idx3-ubyte: the header announces 5 x 28 x 28 images, 15.3 KiB as floats, but only "
                  "1000 B of memory is available \\(HALFLAB_MEMORY_LIMIT_BYTES\\)",
       .setup = [](const QString& dir) { QVERIFY(writeIdxFolder(dir + "/f")); },
       .env = {"HALFLAB_MEMORY_LIMIT_BYTES=1000"}},
      {.name = "CIFAR-10 gzip bomb",
       // 400 MB of zeros: more than the 100,000 records a batch file may hold.
       .args = {"train", "--no-db", "-q", "--dataset", "cifar10", "--data-dir", "{dir}/c", "--max-steps", "1"},
       .exit_code = 1,
       .message = "c/data_batch_2.bin.gz: more than 307300000 bytes \\(100000 records\\), the limit for one batch "
                  "file \\(an official CIFAR-10 batch holds 10000 records, 30730000 bytes\\)",
       .setup = [](const QString& dir) {
         QVERIFY(writeCifarFolder(dir + "/c"));
         QFile::remove(dir + "/c/data_batch_2.bin");
         QVERIFY(writeGzip(dir + "/c/data_batch_2.bin.gz", {}, qint64{400} << 20));
       }},
      {.name = "CIFAR-10 batch that is not whole records",
       .args = {"train", "--no-db", "-q", "--dataset", "cifar10", "--data-dir", "{dir}/c", "--max-steps", "1"},
       .exit_code = 1,
       .message = "c/test_batch.bin: size 6145 bytes is not a whole number of 3073-byte CIFAR-10 records",
       .setup = [](const QString& dir) {
         QVERIFY(writeCifarFolder(dir + "/c"));
         QVERIFY(writePlain(dir + "/c/test_batch.bin", cifarRecords(2).left(6145)));
       }},
  };
}

}  // namespace

class TestBadInputData : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputData)
#include "test_bad_input_data.moc"
