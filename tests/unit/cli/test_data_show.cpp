// `halflab-cli data show` end to end on generated folders: what it prints for an image
// folder and an IMDB-style folder, and that the second IMDB load comes from the cache.
#include <png.h>

#include <QTemporaryDir>
#include <QtTest>

#include "../../badinput/cli_case.hpp"
#include "../../badinput/dataset_files.hpp"

using namespace halflab::test;

namespace {

bool writePng(const QString& path, int w, int h, unsigned char value) {
  QDir().mkpath(QFileInfo(path).path());
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> px(static_cast<std::size_t>(w * h * 3), value);
  return png_image_write_to_file(&img, path.toLocal8Bit().constData(), 0, px.data(), 0, nullptr) != 0;
}

}  // namespace

class TestDataShow : public QObject {
  Q_OBJECT

 private slots:
  void imageFolder() {
    QTemporaryDir tmp;
    const QString d = tmp.path();
    // Class a: all pixels 51 (0.2), class b: 153 (0.6), so every channel mean is 0.4.
    for (int i = 0; i < 3; ++i) {
      QVERIFY(writePng(d + QString("/img/train/a/%1.png").arg(i), 6, 5, 51));
      QVERIFY(writePng(d + QString("/img/train/b/%1.png").arg(i), 6, 5, 153));
    }
    QVERIFY(writePng(d + "/img/test/a/0.png", 6, 5, 51));
    QVERIFY(writePng(d + "/img/test/b/0.png", 6, 5, 153));
    const CliRun r = runCli({"data", "show", "--dataset", "image-folder", "--path", d + "/img"}, d);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("train: 6 samples | a 3, b 3"), qPrintable(r.out));
    QVERIFY2(r.out.contains("test: 2 samples | a 1, b 1"), qPrintable(r.out));
    QVERIFY2(r.out.contains("sample: 3 x 5 x 6 floats; channel means (train, before normalisation): 0.4000 0.4000 0.4000"),
             qPrintable(r.out));
  }

  void imdbUsesTheCacheTheSecondTime() {
    QTemporaryDir tmp;
    const QString d = tmp.path();
    for (int i = 0; i < 4; ++i) {
      QVERIFY(writePlain(d + QString("/aclImdb/train/pos/%1_9.txt").arg(i), "good good film"));
      QVERIFY(writePlain(d + QString("/aclImdb/train/neg/%1_1.txt").arg(i), "bad<br />film, long and bad and dull"));
      QVERIFY(writePlain(d + QString("/aclImdb/test/pos/%1_9.txt").arg(i), "good"));
      QVERIFY(writePlain(d + QString("/aclImdb/test/neg/%1_2.txt").arg(i), "bad"));
    }
    const QStringList args{"data", "show", "--dataset", "imdb", "--path", d + "/aclImdb",
                           "--set", "dataset.max_len=5", "--set", "dataset.cache_dir=\"" + d + "/cache\""};
    const CliRun first = runCli(args, d);
    QVERIFY2(first.code == 0, qPrintable(first.err));
    QVERIFY2(first.out.contains("train: 8 texts | neg 4, pos 4"), qPrintable(first.out));
    // good film bad long and dull = 6 words, pad + unknown = 8 ids.
    QVERIFY2(first.out.contains("vocabulary 8 (pad 0, unknown 1, 6 words from train), max_len 5"), qPrintable(first.out));
    // Train lengths 3 x4 and 7 x4: mean 5, median 3, p95 7, max 7, half cut at max_len 5.
    QVERIFY2(first.out.contains("lengths train (words before truncating): mean 5.0, median 3, p95 7, max 7, truncated 50.0%"),
             qPrintable(first.out));
    QVERIFY2(first.out.contains("tokenized (cache"), qPrintable(first.out));
    const CliRun second = runCli(args, d);
    QVERIFY2(second.code == 0, qPrintable(second.err));
    QVERIFY2(second.out.contains("from the token cache"), qPrintable(second.out));
  }
};

QTEST_GUILESS_MAIN(TestDataShow)
#include "test_data_show.moc"
