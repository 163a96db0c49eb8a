// The safetensors reader and writer: the reference library's own file (written once by
// tests/reference/make_safetensors_golden.py) read value for value; every dtype round-trips;
// the layout keeps each tensor aligned to its element size; and every way a file can lie —
// truncation at every byte, a header length past the end, offsets that overlap, leave gaps or
// run past the data, a shape that does not match its bytes, duplicate names, unknown dtypes —
// is refused with a message naming the problem. Writes are atomic: a failed write leaves the
// previous file as it was.
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors.hpp"
#include "engine/numeric/format.hpp"

using namespace halflab;
namespace fs = std::filesystem;

namespace {

const std::string kGolden = std::string(HALFLAB_SOURCE_DIR) + "/tests/reference/safetensors_golden.safetensors";

std::vector<std::uint8_t> fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file with the given header text and `data` bytes of payload.
std::vector<std::uint8_t> withHeader(const std::string& header, std::size_t data) {
  std::vector<std::uint8_t> out(8 + header.size() + data, 0);
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

QString refusal(const std::vector<std::uint8_t>& bytes) {
  try {
    parseSafetensors(bytes.data(), bytes.size());
  } catch (const SafetensorsError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
 private slots:
  void readsTheReferenceLibrarysFile() {
    const StFile f = readSafetensors(kGolden);
    QCOMPARE(f.metadata.at("format"), std::string("pt"));
    QCOMPARE(f.metadata.at("halflab"), std::string("golden"));
    QCOMPARE(f.tensors.size(), std::size_t(7));
    const StTensor* w = f.find("fc1.weight");
    QVERIFY(w);
    QCOMPARE(w->dtype, StDtype::F32);
    QCOMPARE(w->shape, (Shape{2, 3}));
    const std::vector<float> wv = floatValues(*w);
    const std::vector<float> want{0.5f, -1.25f, 3.0f, 1e-3f, 65504.0f, -0.0f};
    for (std::size_t i = 0; i < want.size(); ++i) QCOMPARE(wv[i], want[i]);
    QVERIFY(std::signbit(wv[5]));
    const std::vector<float> b = floatValues(*f.find("fc1.bias"));  // F16: 0.1 and -0.2 rounded
    QCOMPARE(b[0], fp16BitsToFp32(fp32ToFp16Bits(0.1f)));
    QCOMPARE(b[1], fp16BitsToFp32(fp32ToFp16Bits(-0.2f)));
    const std::vector<float> e = floatValues(*f.find("emb.weight"));  // BF16
    QCOMPARE(e[3], bf16BitsToFp32(fp32ToBf16Bits(1.0f / 3.0f)));
    QCOMPARE(f.find("step")->shape, Shape{});
    QCOMPARE(integerValues(*f.find("step")), (std::vector<std::int64_t>{12345}));
    QCOMPARE(integerValues(*f.find("ids")), (std::vector<std::int64_t>{0, 65535, -7}));
    QCOMPARE(f.find("empty")->shape, (Shape{0, 4}));
    QVERIFY(f.find("empty")->bytes.empty());
    const std::vector<float> f8 = floatValues(*f.find("fp8"));
    QCOMPARE(f8, (std::vector<float>{448.0f, -0.015625f, 1.0f}));
    // Written again by HalfLab, it reads back the same (and the reference library reads
    // HalfLab's files: tests/interop/check_safetensors.py).
    const std::vector<std::uint8_t> again = serializeSafetensors(f);
    const StFile g = parseSafetensors(again.data(), again.size());
    QCOMPARE(g.metadata, f.metadata);
    for (const auto& t : f.tensors) {
      const StTensor* u = g.find(t.name);
      QVERIFY(u);
      QCOMPARE(u->dtype, t.dtype);
      QCOMPARE(u->shape, t.shape);
      QVERIFY(u->bytes == t.bytes);
    }
  }

  void everyDtypeRoundTripsAndStaysAligned() {
    const std::vector<float> v{1.0f, -2.5f, 0.1f, 70000.0f, 1e-8f};
    StFile f;
    f.metadata["halflab.step"] = "7";
    f.tensors.push_back(floatTensor("a.f16", {5}, v.data(), StDtype::F16));
    f.tensors.push_back(floatTensor("b.f32", {5}, v.data(), StDtype::F32));
    f.tensors.push_back(floatTensor("c.bf16", {5}, v.data(), StDtype::BF16));
    f.tensors.push_back(floatTensor("d.e4m3", {5}, v.data(), StDtype::F8_E4M3));
    f.tensors.push_back(floatTensor("e.e5m2", {5}, v.data(), StDtype::F8_E5M2));
    f.tensors.push_back(floatTensor("f.f64", {1, 5}, v.data(), StDtype::F64));
    const std::int32_t ids[3] = {0, 65535, 2147483647};
    f.tensors.push_back(int32Tensor("g.ids", {3}, ids));
    const std::vector<std::uint8_t> bytes = serializeSafetensors(f);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    QCOMPARE(n % 8, std::uint64_t(0));  // data starts 8-byte aligned
    const nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      const int width = stDtypeBytes(parseSafetensors(bytes.data(), bytes.size()).find(name)->dtype);
      QCOMPARE(entry["data_offsets"][0].get<std::uint64_t>() % static_cast<std::uint64_t>(width), std::uint64_t(0));
    }
    const StFile g = parseSafetensors(bytes.data(), bytes.size());
    QCOMPARE(g.metadata.at("halflab.step"), std::string("7"));
    QCOMPARE(floatValues(*g.find("b.f32")), v);
    const std::vector<float> h = floatValues(*g.find("a.f16"));
    QVERIFY(std::isinf(h[3]));            // 70000 is beyond fp16
    QCOMPARE(h[4], 0.0f);                 // 1e-8 underflows fp16
    QCOMPARE(floatValues(*g.find("d.e4m3"))[3], 448.0f);  // E4M3 saturates
    QVERIFY(std::isinf(floatValues(*g.find("e.e5m2"))[3]));  // E5M2 overflows to inf
    QCOMPARE(floatValues(*g.find("c.bf16"))[3], 70144.0f);
    QCOMPARE(integerValues(*g.find("g.ids")), (std::vector<std::int64_t>{0, 65535, 2147483647}));
    QCOMPARE(g.find("f.f64")->shape, (Shape{1, 5}));
    QVERIFY_THROWS_EXCEPTION(SafetensorsError, floatValues(*g.find("g.ids")));
  }

  void writerRefusesWhatWouldBeABrokenFile() {
    const float x[2] = {1, 2};
    StFile dup;
    dup.tensors = {floatTensor("w", {2}, x), floatTensor("w", {2}, x)};
    QVERIFY_THROWS_EXCEPTION(SafetensorsError, serializeSafetensors(dup));
    StFile bad;
    bad.tensors = {floatTensor("w", {2}, x)};
    bad.tensors[0].shape = {3};
    QVERIFY_THROWS_EXCEPTION(SafetensorsError, serializeSafetensors(bad));
    StFile meta;
    meta.tensors = {floatTensor("__metadata__", {2}, x)};
    QVERIFY_THROWS_EXCEPTION(SafetensorsError, serializeSafetensors(meta));
  }

  void truncationAtEveryByteIsRefused() {
    const std::vector<std::uint8_t> full = fileBytes(kGolden);
    QVERIFY(full.size() > 100);
    for (std::size_t len = 0; len < full.size(); ++len) {
      const QString why = refusal(std::vector<std::uint8_t>(full.begin(), full.begin() + static_cast<long>(len)));
      QVERIFY2(!why.isEmpty(), qPrintable(QString("a file cut to %1 bytes was accepted").arg(len)));
    }
    QVERIFY(refusal(full).isEmpty());
    std::vector<std::uint8_t> longer = full;
    longer.push_back(0);
    QVERIFY2(refusal(longer).contains("belong to none"), qPrintable(refusal(longer)));
  }

  void lyingHeadersAreRefusedByName() {
    struct Case {
      const char* what;
      std::vector<std::uint8_t> bytes;
      const char* expect;
    };
    std::vector<std::uint8_t> huge = withHeader("{}", 0);
    const std::uint64_t big = 1ull << 62;
    std::memcpy(huge.data(), &big, 8);
    std::vector<std::uint8_t> past = withHeader("{}", 0);
    const std::uint64_t over = 3;
    std::memcpy(past.data(), &over, 8);
    const std::vector<Case> cases{
        {"header length beyond any limit", huge, "more than the limit"},
        {"header length past the end", past, "truncated"},
        {"not JSON", withHeader("{\"a\": ", 0), "not valid JSON"},
        {"not an object", withHeader("[1, 2]   ", 0), "not a JSON object"},
        {"end past the data", withHeader(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), "only 8 bytes"},
        {"shape does not match", withHeader(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "needs 12 bytes"},
        {"overlap", withHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12), "overlaps"},
        {"gap", withHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "gap of 4 bytes"},
        {"begin after end", withHeader(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8), "begin after"},
        {"unknown dtype", withHeader(R"({"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4), "unknown dtype 'F12'"},
        {"negative size", withHeader(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4), "other than sizes"},
        {"shape overflows", withHeader(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4), "more bytes than"},
        {"duplicate name", withHeader(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", 2), "'a' twice"},
        {"unknown field", withHeader(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}})", 1), "unknown field 'extra'"},
        {"metadata not strings", withHeader(R"({"__metadata__":{"step":7}})", 0), "not a string"},
        {"offsets not a pair", withHeader(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1), "data_offsets must be"},
    };
    for (const auto& c : cases) {
      const QString why = refusal(c.bytes);
      QVERIFY2(why.contains(c.expect), qPrintable(QString("%1: got '%2'").arg(c.what, why)));
    }
  }

  void writesAreAtomicAndFailuresLeaveThePreviousFile() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("model.safetensors").toStdString();
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    StFile first;
    first.tensors = {floatTensor("w", {3}, a)};
    writeSafetensors(path, first);
    QCOMPARE(floatValues(*readSafetensors(path).find("w")), (std::vector<float>{1, 2, 3}));
    StFile second;
    second.tensors = {floatTensor("w", {3}, b)};
    writeSafetensors(path, second);
    QCOMPARE(floatValues(*readSafetensors(path).find("w")), (std::vector<float>{4, 5, 6}));
    for (const auto& e : fs::directory_iterator(dir.path().toStdString()))
      QVERIFY2(e.path().filename() == "model.safetensors", qPrintable(QString::fromStdString(e.path().string())));
    // A folder that refuses new files (root ignores permissions: a path under a file instead).
    const std::string blocked = path + "/inside.safetensors";
    try {
      writeSafetensors(blocked, first);
      QFAIL("writing under a file succeeded");
    } catch (const SafetensorsError& e) {
      QVERIFY2(QString(e.what()).contains("cannot create"), e.what());
    }
    QCOMPARE(floatValues(*readSafetensors(path).find("w")), (std::vector<float>{4, 5, 6}));
    // Reading: a folder, a missing file.
    try {
      readSafetensors(dir.path().toStdString());
      QFAIL("a folder was read");
    } catch (const SafetensorsError& e) {
      QVERIFY2(QString(e.what()).contains("is a folder"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(SafetensorsError, readSafetensors(dir.filePath("missing").toStdString()));
  }
};

QTEST_MAIN(TestSafetensors)
#include "test_safetensors.moc"
