#pragma once
// Sequential reading of a data file that may be gzip-compressed. zlib's gzread passes
// plain files through unchanged, so one reader serves both; a name ending in ".gz" must
// really be gzip (otherwise a renamed or half-downloaded file would be read as raw data).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace halflab {

class CompressedFile {
 public:
  // Throws DataError naming the path: missing, a folder, unreadable, empty, or a ".gz"
  // name without the gzip magic bytes.
  explicit CompressedFile(std::string path);
  ~CompressedFile();
  CompressedFile(const CompressedFile&) = delete;
  CompressedFile& operator=(const CompressedFile&) = delete;

  // Reads up to `n` bytes; fewer only when the data ends (or the gzip stream is cut
  // short, see endedEarly()). Throws DataError on corrupt gzip data.
  std::size_t read(void* dst, std::size_t n);
  // Reads what is left, but never more than `max_bytes`: a gzip bomb stops there. Ask for
  // one byte more than the largest size allowed to tell "too big" from "exactly the limit".
  std::vector<std::uint8_t> readAll(std::size_t max_bytes);
  // Reads and discards the rest, returning how many bytes there were, but stops counting
  // at `limit` (a result of `limit` means "at least that many").
  std::uint64_t countRemaining(std::uint64_t limit);

  bool isGzip() const { return gzip_; }
  // True when a gzip stream stopped before its end marker (a truncated download).
  bool endedEarly() const { return ended_early_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // gzFile, kept opaque so zlib.h stays out of this header
  bool gzip_ = false;
  bool ended_early_ = false;
};

}  // namespace halflab
