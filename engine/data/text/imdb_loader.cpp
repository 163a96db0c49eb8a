#include "engine/data/text/imdb_loader.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "engine/data/dataset.hpp"
#include "engine/data/text/cached_text_load.hpp"

namespace halflab {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMaxReviewBytes = 16 << 20;
const char* const kSplits[] = {"train", "test"};
const char* const kClasses[] = {"neg", "pos"};

struct Listing {
  std::vector<fs::path> files[2][2];  // [split][class]
  std::string signature;              // counts, bytes and newest time: a changed file changes it
};

Listing listImdb(const fs::path& root) {
  Listing l;
  std::uintmax_t bytes = 0;
  std::int64_t newest = 0, count = 0;
  for (int s = 0; s < 2; ++s) {
    std::error_code ec;
    if (!fs::is_directory(root / kSplits[s], ec))
      throw DataError((root / kSplits[s]).string() + ": missing split folder (aclImdb holds train/ and test/, each with neg/ and pos/)");
    for (int c = 0; c < 2; ++c) {
      const fs::path dir = root / kSplits[s] / kClasses[c];
      if (!fs::is_directory(dir, ec)) throw DataError(dir.string() + ": missing class folder (expected neg/ and pos/)");
      auto& files = l.files[s][c];
      // POSIX listing with one fstatat per file: std::filesystem stats each entry several
      // times, which made a cached load spend most of its time listing 50,000 files.
      DIR* d = ::opendir(dir.c_str());
      if (!d) throw DataError(dir.string() + ": cannot list the folder (" + std::strerror(errno) + ")");
      std::vector<std::string> names;
      while (const dirent* e = ::readdir(d)) {
        const std::string_view name(e->d_name);
        if (name.size() < 5 || name.substr(name.size() - 4) != ".txt" || name[0] == '.') continue;
        struct stat st;
        if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        names.emplace_back(name);
        bytes += static_cast<std::uintmax_t>(st.st_size);
        newest = std::max<std::int64_t>(newest, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
      }
      ::closedir(d);
      std::sort(names.begin(), names.end());
      files.reserve(names.size());
      for (const auto& n : names) files.push_back(dir / n);
      if (files.empty()) throw DataError(dir.string() + ": the folder holds no .txt review");
      count += static_cast<std::int64_t>(files.size());
    }
  }
  l.signature = "files=" + std::to_string(count) + "|bytes=" + std::to_string(bytes) + "|newest=" + std::to_string(newest);
  return l;
}

fs::path findRoot(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::path(dir), ec);
  if (!fs::is_directory(p, ec)) throw DataError(dir + ": no such folder (expected aclImdb with train/ and test/)");
  if (!fs::is_directory(p / "train", ec) && !fs::is_directory(p / "test", ec) && fs::is_directory(p / "aclImdb", ec))
    return p / "aclImdb";
  return p;
}

}  // namespace

TokenizedSplit loadImdb(const std::string& dir, const TextOptions& opts, TextLoadInfo* info) {
  const fs::path root = findRoot(dir);
  const Listing listing = listImdb(root);
  auto read = [&] {
    RawCorpus raw;
    raw.class_names = {"neg", "pos"};
    for (int s = 0; s < 2; ++s) {
      auto& out = s == 0 ? raw.train : raw.test;
      for (int c = 0; c < 2; ++c)
        for (const auto& f : listing.files[s][c]) out.push_back({readUtf8File(f.string(), kMaxReviewBytes), c});
    }
    return raw;
  };
  return loadTextCached("imdb", "imdb|" + root.string() + "|" + listing.signature, read, opts, info);
}

}  // namespace halflab
