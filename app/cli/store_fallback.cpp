#include "app/cli/store_fallback.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <unistd.h>

#include "app/cli/json_lines_observer.hpp"
#include "storage/output_file.hpp"
#include "storage/store_error.hpp"

namespace halflab::cli {
namespace {

namespace fs = std::filesystem;

std::string fileName(const std::string& store_path, int attempt) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string name = fs::path(store_path).filename().string() + ".unsaved-" + stamp + "-" +
                     std::to_string(::getpid());
  if (attempt > 0) name.append(1, '-').append(std::to_string(attempt + 1));
  return name + ".jsonl";
}

// Writes the log into a new file in `folder`; "" on success, else why not.
std::string writeInto(const fs::path& folder, const RunRecordLog& log, const std::string& store_path,
                      std::string& written) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string path = (folder / fileName(store_path, attempt)).string();
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) continue;
    try {
      OutputFile out(path, store_path, OutputFile::Mode::CreateNew);
      JsonLinesObserver lines(out);
      log.replay(lines);
      try {
        out.close();
      } catch (const StoreError& e) {
        fs::remove(path, ec);  // a short copy would look complete
        return e.what();
      }
      written = path;
      return {};
    } catch (const StoreError& e) {
      if (errno == EEXIST) continue;
      return e.what();
    }
  }
  return folder.string() + ": no free file name";
}

}  // namespace

FallbackResult writeStoreFallback(const RunRecordLog& log, const std::string& store_path) {
  FallbackResult r;
  std::vector<fs::path> folders;
  const fs::path store_folder = fs::path(store_path).parent_path();
  folders.push_back(store_folder.empty() ? fs::path(".") : store_folder);
  std::error_code ec;
  folders.push_back(fs::current_path(ec));
  const char* tmp = std::getenv("TMPDIR");
  folders.push_back(tmp && *tmp ? fs::path(tmp) : fs::path("/tmp"));
  std::vector<fs::path> tried;
  for (const fs::path& folder : folders) {
    if (folder.empty()) continue;
    const fs::path canonical = fs::weakly_canonical(folder, ec);
    bool seen = false;
    for (const auto& t : tried) seen = seen || t == canonical;
    if (seen) continue;
    tried.push_back(canonical);
    const std::string why = writeInto(folder, log, store_path, r.path);
    if (why.empty()) return r;
    r.failures.push_back(why);
  }
  return r;
}

}  // namespace halflab::cli
