// Token datasets: tokenizer, UTF-8 check, vocabulary order, Keras-style padding, the IMDB
// folder loader with its token cache (hit, stale, corrupt), and the CSV/TSV loader with
// its line-numbered errors. Fixtures are written into a temporary folder.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/data/dataset.hpp"
#include "engine/data/text/csv_text_loader.hpp"
#include "engine/data/text/imdb_loader.hpp"
#include "engine/data/text/sequence_padding.hpp"
#include "engine/data/text/token_cache.hpp"
#include "engine/data/text/tokenizer.hpp"
#include "engine/data/text/vocabulary.hpp"

using namespace halflab;
namespace fs = std::filesystem;

namespace {

void writeText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string scratch;
  forEachWord(text, scratch, [&](std::string_view w) { out.emplace_back(w); });
  return out;
}

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

// A small aclImdb: "good"/"great" reviews are pos, "bad"/"awful" neg; "zebra" only in test.
void makeImdb(const fs::path& root, int per_class = 6) {
  for (int i = 0; i < per_class; ++i) {
    writeText(root / "train/pos" / (std::to_string(i) + "_9.txt"), "A good film.<br /><br />Great GREAT acting " + std::to_string(i));
    writeText(root / "train/neg" / (std::to_string(i) + "_2.txt"), "Bad, bad and awful. It's bad");
    writeText(root / "test/pos" / (std::to_string(i) + "_8.txt"), "great zebra good");
    writeText(root / "test/neg" / (std::to_string(i) + "_1.txt"), "awful");
  }
  writeText(root / "README", "not a review");
}

TextOptions options(const fs::path& cache, std::int64_t vocab = 100, std::int64_t max_len = 8) {
  TextOptions o;
  o.vocab_size = vocab;
  o.max_len = max_len;
  o.cache_dir = cache.string();
  return o;
}

std::vector<std::int32_t> rowOf(const TokenizedSet& s, std::int64_t i) {
  return {s.row(i), s.row(i) + s.max_len};
}

}  // namespace

class TestTextData : public QObject {
  Q_OBJECT

 private slots:
  void tokenizerRules() {
    QCOMPARE(words("Hello, World!<br />It's GREAT<br/>br 42x<br>end"),
             (std::vector<std::string>{"hello", "world", "it's", "great", "br", "42x", "end"}));
    QCOMPARE(words("caf\xc3\xa9 na\xc3\xafve"), (std::vector<std::string>{"caf", "na", "ve"}));
    QCOMPARE(words(""), std::vector<std::string>{});
    QCOMPARE(words("a-b_c"), (std::vector<std::string>{"a", "b", "c"}));
  }

  void utf8Check() {
    QCOMPARE(firstInvalidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string_view::npos);
    QCOMPARE(firstInvalidUtf8("ab\xff"), std::size_t{2});
    QCOMPARE(firstInvalidUtf8("\xc0\xaf"), std::size_t{0});          // overlong '/'
    QCOMPARE(firstInvalidUtf8("x\xed\xa0\x80"), std::size_t{1});     // surrogate
    QCOMPARE(firstInvalidUtf8("x\xe2\x82"), std::size_t{1});         // cut short
    QCOMPARE(firstInvalidUtf8("\xf4\x90\x80\x80"), std::size_t{0});  // above U+10FFFF
  }

  void vocabularyOrderIsCountThenWord() {
    WordCounts c{{"b", 2}, {"a", 2}, {"c", 3}, {"d", 1}};
    const Vocabulary v = Vocabulary::fromCounts(c, 3);
    QCOMPARE(v.words(), (std::vector<std::string>{"c", "a", "b"}));
    QCOMPARE(v.idOf("c"), 2);
    QCOMPARE(v.idOf("a"), 3);
    QCOMPARE(v.idOf("b"), 4);
    QCOMPARE(v.idOf("d"), kUnknownId);
    QCOMPARE(v.size(), std::int64_t{5});
    QCOMPARE(v.wordOf(0), std::string("<pad>"));
    QCOMPARE(Vocabulary::fromCounts(c, 100).size(), std::int64_t{6});
  }

  void paddingFollowsKeras() {
    const std::vector<std::int32_t> seq{11, 12, 13, 14, 15};
    std::vector<std::int32_t> row(3);
    QCOMPARE(padSequence(seq.data(), 5, 3, PadSide::Pre, PadSide::Pre, row.data()), std::int64_t{3});
    QCOMPARE(row, (std::vector<std::int32_t>{13, 14, 15}));
    padSequence(seq.data(), 5, 3, PadSide::Pre, PadSide::Post, row.data());
    QCOMPARE(row, (std::vector<std::int32_t>{11, 12, 13}));
    std::vector<std::int32_t> wide(4);
    QCOMPARE(padSequence(seq.data(), 2, 4, PadSide::Pre, PadSide::Pre, wide.data()), std::int64_t{2});
    QCOMPARE(wide, (std::vector<std::int32_t>{0, 0, 11, 12}));
    padSequence(seq.data(), 2, 4, PadSide::Post, PadSide::Pre, wide.data());
    QCOMPARE(wide, (std::vector<std::int32_t>{11, 12, 0, 0}));
    padSequence(seq.data(), 0, 4, PadSide::Post, PadSide::Pre, wide.data());
    QCOMPARE(wide, (std::vector<std::int32_t>{0, 0, 0, 0}));
  }

  void imdbLoadsAndCaches() {
    QTemporaryDir tmp;
    const fs::path root = fs::path(tmp.path().toStdString()) / "aclImdb", cache = fs::path(tmp.path().toStdString()) / "cache";
    makeImdb(root);
    TextLoadInfo info;
    const TokenizedSplit a = loadImdb(root.string(), options(cache), &info);
    QVERIFY(!info.cache_used);
    QVERIFY2(fs::exists(info.cache_file), info.cache_file.c_str());
    QCOMPARE(a.class_names, (std::vector<std::string>{"neg", "pos"}));
    QCOMPARE(a.train.count(), std::int64_t{12});
    QCOMPARE(a.test.count(), std::int64_t{12});
    QCOMPARE(a.train.max_len, std::int64_t{8});
    // "bad" (18 times) is the most frequent training word, so id 2.
    QCOMPARE(a.vocab.idOf("bad"), 2);
    QCOMPARE(a.vocab.idOf("zebra"), kUnknownId);  // test-only words are unknown
    QCOMPARE(a.vocab.idOf("br"), kUnknownId);     // "<br />" is not a word
    for (std::int64_t i = 0; i < a.train.count(); ++i) {
      const auto row = rowOf(a.train, i);
      if (a.train.labels[i] == 0) {
        // neg: bad bad and awful it's bad -> 6 words, padded in front to 8.
        QCOMPARE(a.train.lengths[i], 6);
        QCOMPARE(row[0], kPadId);
        QCOMPARE(row[2], a.vocab.idOf("bad"));
        QCOMPARE(row[7], a.vocab.idOf("bad"));
      } else {
        // pos: a good film great great acting N -> 7 words.
        QCOMPARE(a.train.source_lengths[i], 7);
      }
    }
    for (std::int64_t i = 0; i < a.test.count(); ++i)
      if (a.test.labels[i] == 1) QCOMPARE(rowOf(a.test, i)[6], kUnknownId);  // zebra
    // Both classes present and shuffled (not all neg first).
    QVERIFY(a.train.labels != (std::vector<std::int32_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));

    TextLoadInfo again;
    const TokenizedSplit b = loadImdb(root.string(), options(cache), &again);
    QVERIFY(again.cache_used);
    QCOMPARE(b.train.ids, a.train.ids);
    QCOMPARE(b.test.labels, a.test.labels);
    QCOMPARE(b.vocab.words(), a.vocab.words());

    // Another seed: same rows, another order.
    TextOptions other = options(cache);
    other.seed = 99;
    const TokenizedSplit c = loadImdb(root.string(), other, &again);
    QVERIFY(again.cache_used);
    QVERIFY(c.train.labels != a.train.labels || c.train.ids != a.train.ids);

    // Other options: another cache file, not the first one.
    TextLoadInfo longer;
    const TokenizedSplit d = loadImdb(root.string(), options(cache, 100, 4), &longer);
    QVERIFY(!longer.cache_used);
    QVERIFY(longer.cache_file != info.cache_file);
    QCOMPARE(d.train.max_len, std::int64_t{4});
  }

  void corruptCacheIsRebuilt() {
    QTemporaryDir tmp;
    const fs::path root = fs::path(tmp.path().toStdString()) / "aclImdb", cache = fs::path(tmp.path().toStdString()) / "cache";
    makeImdb(root);
    TextLoadInfo info;
    const TokenizedSplit a = loadImdb(root.string(), options(cache), &info);
    const std::string file = info.cache_file;
    std::vector<char> bytes;
    {
      std::ifstream in(file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto writeBack = [&](const std::vector<char>& b) {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(b.data(), static_cast<std::streamsize>(b.size()));
    };
    // One flipped byte in the rows: the checksum catches it.
    auto flipped = bytes;
    flipped[flipped.size() - 40] ^= 0x5a;
    writeBack(flipped);
    TextLoadInfo r1;
    const TokenizedSplit b = loadImdb(root.string(), options(cache), &r1);
    QVERIFY(!r1.cache_used);
    QVERIFY2(r1.cache_note.find("corrupt") != std::string::npos, r1.cache_note.c_str());
    QCOMPARE(b.train.ids, a.train.ids);
    TextLoadInfo r2;
    loadImdb(root.string(), options(cache), &r2);
    QVERIFY(r2.cache_used);  // the rebuilt file is good again
    // Cut short, wrong magic, other version: each refused, never trusted.
    writeBack(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2)));
    QVERIFY(!readTokenCache(file, "x", nullptr));
    std::string why;
    auto magic = bytes;
    magic[0] = 'X';
    writeBack(magic);
    QVERIFY(!readTokenCache(file, "x", &why));
    QVERIFY2(why.find("not a HalfLab token cache") != std::string::npos, why.c_str());
    auto version = bytes;
    version[8] = 7;
    writeBack(version);
    QVERIFY(!readTokenCache(file, "x", &why));
    QVERIFY2(why.find("version 7") != std::string::npos, why.c_str());
    writeBack(bytes);
    QVERIFY(!readTokenCache(file, "another key", &why));
    QVERIFY2(why.find("stale") != std::string::npos, why.c_str());
  }

  void cacheCanBeOff() {
    QTemporaryDir tmp;
    const fs::path root = fs::path(tmp.path().toStdString()) / "aclImdb";
    makeImdb(root);
    TextOptions o = options(fs::path(tmp.path().toStdString()) / "cache");
    o.use_cache = false;
    TextLoadInfo info;
    loadImdb(root.string(), o, &info);
    QVERIFY(!info.cache_used);
    QVERIFY(info.cache_file.empty());
    QVERIFY(!fs::exists(fs::path(tmp.path().toStdString()) / "cache"));
  }

  void imdbErrorsNameTheProblem() {
    QTemporaryDir tmp;
    const fs::path root = fs::path(tmp.path().toStdString()) / "aclImdb", cache = fs::path(tmp.path().toStdString()) / "cache";
    expectDataError([&] { loadImdb((root / "nope").string(), options(cache)); }, {"nope", "no such folder"});
    writeText(root / "train/pos/1_9.txt", "fine");
    writeText(root / "train/neg/1_1.txt", "fine");
    expectDataError([&] { loadImdb(root.string(), options(cache)); }, {"test", "missing split folder"});
    writeText(root / "test/pos/1_9.txt", "fine");
    fs::create_directories(root / "test/neg");
    expectDataError([&] { loadImdb(root.string(), options(cache)); }, {"test/neg", "no .txt"});
    writeText(root / "test/neg/1_1.txt", "fine");
    QCOMPARE(loadImdb(root.string(), options(cache)).train.count(), std::int64_t{2});
    writeText(root / "train/neg/2_1.txt", "Latin-1 caf\xe9 review");
    expectDataError([&] { loadImdb(root.string(), options(cache)); }, {"2_1.txt", "not valid UTF-8", "byte 11"});
  }

  void csvQuotedFieldsAndColumnOrder() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    writeText(dir / "train.csv",
              "id,label,text\n"
              "1,2,\"Hello, world\"\n"
              "2,10,\"say \"\"hi\"\"\nsecond line\"\n"
              "\n"
              "3,2,plain words here\r\n");
    writeText(dir / "test.csv", "text,label\nhello,10\n");
    TextOptions o = options(dir / "cache", 100, 6);
    const TokenizedSplit s = loadCsvText(dir.string(), o);
    QCOMPARE(s.class_names, (std::vector<std::string>{"2", "10"}));  // numeric order
    QCOMPARE(s.train.count(), std::int64_t{3});
    QCOMPARE(s.test.count(), std::int64_t{1});
    QCOMPARE(s.test.labels[0], 1);
    QCOMPARE(rowOf(s.test, 0).back(), s.vocab.idOf("hello"));
    std::int64_t total = 0;
    for (auto n : s.train.source_lengths) total += n;
    QCOMPARE(total, std::int64_t{2 + 4 + 3});  // hello world | say hi second line | plain words here
  }

  void tsvFiles() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    writeText(dir / "train.tsv", "text\tlabel\ngood, very good\tpos\nbad\tneg\n");
    writeText(dir / "test.tsv", "text\tlabel\nok\tpos\n");
    const TokenizedSplit s = loadCsvText(dir.string(), options(dir / "cache"));
    QCOMPARE(s.class_names, (std::vector<std::string>{"neg", "pos"}));
    QCOMPARE(s.train.count(), std::int64_t{2});
  }

  void csvErrorsNameFileAndLine() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const auto o = options(dir / "cache");
    writeText(dir / "test.csv", "text,label\nfine,a\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "missing split file"});
    writeText(dir / "train.csv", "");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "empty"});
    writeText(dir / "train.csv", "words,label\nx,a\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "line 1", "no 'text' column"});
    writeText(dir / "train.csv", "text,label\nx,a\ny,b,extra\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "line 3", "3 fields"});
    writeText(dir / "train.csv", "text,label\nx,a\n\"never closed,b\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "unterminated quote"});
    writeText(dir / "train.csv", "text,label\nx,a\nsay \"hi\",b\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "line 3"});
    writeText(dir / "train.csv", "text,label\nx,a\ny, \n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "line 3", "empty label"});
    writeText(dir / "train.csv", "text,label\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "no rows"});
    writeText(dir / "train.csv", "text,label\nx,b\nno\xff utf8,b\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"train.csv", "not valid UTF-8"});
    writeText(dir / "train.csv", "text,label\nx,b\ny,c\n");
    expectDataError([&] { loadCsvText(dir.string(), o); }, {"test.csv", "line 2", "label 'a' does not occur"});
  }
};

QTEST_GUILESS_MAIN(TestTextData)
#include "test_text_data.moc"
