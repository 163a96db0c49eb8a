#include "engine/data/compressed_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "engine/data/dataset.hpp"

namespace halflab {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{16} << 20;  // bounded by gzread's unsigned len
constexpr unsigned kZlibBufferBytes = 1u << 20;              // fewer, larger file reads

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

gzFile asGz(void* p) { return static_cast<gzFile>(p); }

// zlib's message starts with the path itself; ours already does.
std::string zlibMessage(gzFile f, const std::string& path) {
  int code = Z_OK;
  const char* raw = gzerror(f, &code);
  std::string msg = raw ? raw : "unknown zlib error";
  if (msg.compare(0, path.size() + 2, path + ": ") == 0) msg.erase(0, path.size() + 2);
  return msg;
}

}  // namespace

CompressedFile::CompressedFile(std::string path) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path_, ec);
  if (!fs::exists(status)) throw DataError(path_ + ": file not found");
  if (fs::is_directory(status)) throw DataError(path_ + ": is a folder, not a data file");

  // Peek at the first bytes with stdio to tell gzip from plain before zlib takes over.
  std::FILE* probe = std::fopen(path_.c_str(), "rb");
  if (!probe) throw DataError(path_ + ": cannot open: " + std::strerror(errno));
  unsigned char magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, probe);
  std::fclose(probe);
  if (got == 0) throw DataError(path_ + ": file is empty");
  gzip_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!gzip_ && endsWith(path_, ".gz"))
    throw DataError(path_ + ": not a gzip file (the name ends in .gz but the file does not "
                            "start with the gzip magic bytes 1f 8b)");

  gzFile f = gzopen(path_.c_str(), "rb");
  if (!f) throw DataError(path_ + ": cannot open: " + std::strerror(errno ? errno : EIO));
  gzbuffer(f, kZlibBufferBytes);
  file_ = f;
}

CompressedFile::~CompressedFile() {
  if (file_) gzclose(asGz(file_));
}

std::size_t CompressedFile::read(void* dst, std::size_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  std::size_t total = 0;
  while (total < n) {
    const auto want = static_cast<unsigned>(std::min(n - total, kChunkBytes));
    const int got = gzread(asGz(file_), out + total, want);
    if (got < 0) {
      int code = Z_OK;
      gzerror(asGz(file_), &code);
      if (code == Z_BUF_ERROR) {  // "unexpected end of file": the stream was cut off
        ended_early_ = true;
        break;
      }
      throw DataError(path_ + ": corrupt gzip data: " + zlibMessage(asGz(file_), path_));
    }
    total += static_cast<std::size_t>(got);
    if (static_cast<unsigned>(got) < want) {
      int code = Z_OK;
      gzerror(asGz(file_), &code);
      if (code == Z_BUF_ERROR) {
        ended_early_ = true;
      } else if (code != Z_OK && code != Z_STREAM_END) {
        throw DataError(path_ + ": corrupt gzip data: " + zlibMessage(asGz(file_), path_));
      }
      break;
    }
  }
  return total;
}

std::vector<std::uint8_t> CompressedFile::readAll(std::size_t max_bytes) {
  std::vector<std::uint8_t> bytes;
  std::size_t used = 0;
  std::size_t chunk = std::size_t{64} << 10;  // grows to kChunkBytes: small files stay cheap
  while (used < max_bytes) {
    const std::size_t want = std::min(chunk, max_bytes - used);
    bytes.resize(used + want);
    const std::size_t got = read(bytes.data() + used, want);
    used += got;
    if (got < want) break;
    chunk = std::min(2 * chunk, kChunkBytes);
  }
  bytes.resize(used);
  return bytes;
}

std::uint64_t CompressedFile::countRemaining(std::uint64_t limit) {
  std::vector<unsigned char> sink(std::size_t{1} << 16);
  std::uint64_t total = 0;
  while (total < limit) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(sink.size(), limit - total));
    const std::size_t got = read(sink.data(), want);
    total += got;
    if (got < want) break;
  }
  return total;
}

}  // namespace halflab
