#include "engine/data/text/token_cache.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "engine/data/dataset.hpp"

namespace halflab {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'H', 'L', 'T', 'O', 'K', 'E', 'N', 'S'};
constexpr std::uint32_t kByteOrder = 0x01020304;

// FNV-1a 64: a stable file name for a key (std::hash may differ between builds).
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

class Writer {
 public:
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) { u64(s.size()); raw(s.data(), s.size()); }
  void ints(const std::vector<std::int32_t>& v) { u64(v.size()); raw(v.data(), v.size() * 4); }
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const char*>(p);
    buf.insert(buf.end(), b, b + n);
  }
  std::vector<char> buf;
};

struct CorruptCache : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  Reader(const char* p, std::size_t n) : p_(p), n_(n) {}
  std::uint32_t u32() { std::uint32_t v; raw(&v, 4); return v; }
  std::uint64_t u64() { std::uint64_t v; raw(&v, 8); return v; }
  std::string str() {
    const std::uint64_t len = count(1);
    std::string s(static_cast<std::size_t>(len), '\0');
    raw(s.data(), s.size());
    return s;
  }
  std::vector<std::int32_t> ints() {
    const std::uint64_t len = count(4);
    std::vector<std::int32_t> v(static_cast<std::size_t>(len));
    raw(v.data(), v.size() * 4);
    return v;
  }
  // A length prefix, checked against the bytes left before anything is allocated.
  std::uint64_t count(std::size_t element_size) {
    const std::uint64_t len = u64();
    if (len > (n_ - pos_) / element_size) throw CorruptCache("corrupt: a length runs past the end of the file");
    return len;
  }
  void raw(void* dst, std::size_t n) {
    if (n > n_ - pos_) throw CorruptCache("corrupt: the file is cut short");
    std::memcpy(dst, p_ + pos_, n);
    pos_ += n;
  }
  std::size_t left() const { return n_ - pos_; }

 private:
  const char* p_;
  std::size_t n_, pos_ = 0;
};

void writeSet(Writer& w, const TokenizedSet& s) {
  w.str(s.name);
  w.u64(static_cast<std::uint64_t>(s.max_len));
  w.u32(static_cast<std::uint32_t>(s.num_classes));
  w.ints(s.ids);
  w.ints(s.lengths);
  w.ints(s.source_lengths);
  w.ints(s.labels);
}

TokenizedSet readSet(Reader& r) {
  TokenizedSet s;
  s.name = r.str();
  const std::uint64_t t = r.u64();
  if (t < 1 || t > (1u << 20)) throw CorruptCache("corrupt: implausible max_len");
  s.max_len = static_cast<std::int64_t>(t);
  s.num_classes = static_cast<int>(r.u32());
  s.ids = r.ints();
  s.lengths = r.ints();
  s.source_lengths = r.ints();
  s.labels = r.ints();
  return s;
}

}  // namespace

std::string defaultTokenCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "halflab" / "tokens").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "halflab" / "tokens").string();
  return {};
}

std::string tokenCachePath(const std::string& dir, const std::string& prefix, const std::string& key) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return (fs::path(dir) / (prefix + "-" + hex + ".hltok")).string();
}

std::optional<TokenizedSplit> readTokenCache(const std::string& path, const std::string& key, std::string* why) {
  auto no = [&](std::string reason) -> std::optional<TokenizedSplit> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return no("no cache file yet");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return no("cannot open the cache file");
  const std::streamoff size = in.tellg();
  if (size < static_cast<std::streamoff>(sizeof kMagic + 12)) return no("corrupt: the file is too short");
  std::vector<char> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(bytes.data(), size);
  if (in.gcount() != size) return no("cannot read the cache file");
  try {
    Reader r(bytes.data(), bytes.size() - 4);
    char magic[8];
    r.raw(magic, 8);
    if (std::memcmp(magic, kMagic, 8) != 0) return no("corrupt: not a HalfLab token cache");
    const std::uint32_t version = r.u32();
    if (version != kTokenCacheVersion)
      return no("stale: format version " + std::to_string(version) + ", this build writes " + std::to_string(kTokenCacheVersion));
    if (r.u32() != kByteOrder) return no("stale: written on a machine of the other byte order");
    std::uint32_t stored_crc;
    std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
    const auto crc = static_cast<std::uint32_t>(
        crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
    if (crc != stored_crc) return no("corrupt: checksum mismatch");
    if (r.str() != key) return no("stale: written for another source or other options");
    TokenizedSplit split;
    const std::uint64_t words = r.count(8);
    std::vector<std::string> vocab;
    vocab.reserve(static_cast<std::size_t>(words));
    for (std::uint64_t i = 0; i < words; ++i) vocab.push_back(r.str());
    split.vocab = Vocabulary::fromWords(std::move(vocab));
    const std::uint64_t classes = r.count(8);
    for (std::uint64_t i = 0; i < classes; ++i) split.class_names.push_back(r.str());
    split.train = readSet(r);
    split.test = readSet(r);
    if (r.left() != 0) return no("corrupt: trailing bytes");
    if (split.train.num_classes != static_cast<int>(classes) || split.test.num_classes != static_cast<int>(classes))
      return no("corrupt: class counts disagree");
    requireWellFormed(split.train, split.vocab.size());
    requireWellFormed(split.test, split.vocab.size());
    return split;
  } catch (const CorruptCache& e) {
    return no(e.what());
  } catch (const DataError& e) {
    return no(std::string("corrupt: ") + e.what());
  } catch (const std::bad_alloc&) {
    return no("corrupt: sizes too large");
  }
}

void writeTokenCache(const std::string& path, const std::string& key, const TokenizedSplit& split) {
  Writer w;
  w.raw(kMagic, 8);
  w.u32(kTokenCacheVersion);
  w.u32(kByteOrder);
  w.str(key);
  w.u64(split.vocab.words().size());
  for (const auto& word : split.vocab.words()) w.str(word);
  w.u64(split.class_names.size());
  for (const auto& c : split.class_names) w.str(c);
  writeSet(w, split.train);
  writeSet(w, split.test);
  const auto crc = static_cast<std::uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(w.buf.data()), w.buf.size()));
  w.u32(crc);

  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) throw DataError(fs::path(path).parent_path().string() + ": cannot create the cache folder (" + ec.message() + ")");
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(w.buf.data(), static_cast<std::streamsize>(w.buf.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      throw DataError(tmp + ": cannot write the token cache");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    throw DataError(path + ": cannot write the token cache (" + ec.message() + ")");
  }
}

}  // namespace halflab
