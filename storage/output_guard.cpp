#include "storage/output_guard.hpp"

#include <filesystem>
#include <utility>
#include <system_error>

#include <sys/stat.h>

namespace halflab {
namespace {

struct StoreFile {
  const char* suffix;
  const char* what;  // completes "is ..."
};
constexpr StoreFile kStoreFiles[] = {
    {"", "the run store"},
    {"-wal", "the write-ahead log of the run store"},
    {"-shm", "the shared-memory index of the run store"},
    {"-journal", "the rollback journal of the run store"},
};

bool sameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Absolute, with symlinks resolved as far as the path exists; "" if it cannot be formed.
std::string resolved(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return ec ? std::string() : p.lexically_normal().string();
}

// `out` is what stat() says about the output (nullptr when it does not exist).
std::string hits(const struct stat* out, const std::string& out_resolved,
                 const std::string& store_path) {
  if (store_path.empty()) return {};
  for (const StoreFile& f : kStoreFiles) {
    const std::string file = store_path + f.suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {
      if (out && sameFile(*out, st)) return "is " + std::string(f.what) + " " + store_path;
    } else if (!out_resolved.empty() && out_resolved == resolved(file)) {
      // Not there now, but SQLite creates it next to the store: the output must not.
      return "is " + std::string(f.what) + " " + store_path;
    }
  }
  return {};
}

}  // namespace

std::string outputHitsStore(const std::string& out_path, const std::string& store_path) {
  struct stat st {};
  const bool exists = ::stat(out_path.c_str(), &st) == 0;
  return hits(exists ? &st : nullptr, resolved(out_path), store_path);
}

std::string descriptorHitsStore(int fd, const std::string& store_path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return hits(&st, {}, store_path);
}

std::string standardStreamHitsStore(const std::string& store_path) {
  const std::pair<int, const char*> streams[] = {{1, "standard output"}, {2, "standard error"}};
  for (const auto& [fd, name] : streams) {
    const std::string clash = descriptorHitsStore(fd, store_path);
    if (!clash.empty())
      return std::string(name) + " " + clash +
             "; writing there would destroy stored runs (redirect it elsewhere)";
  }
  return {};
}

}  // namespace halflab
