#include "storage/default_path.hpp"

#include <cstdlib>
#include <filesystem>

#include "storage/store_error.hpp"

namespace halflab {

std::string defaultStorePath() {
  namespace fs = std::filesystem;
  fs::path base;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg != '\0' && fs::path(xdg).is_absolute()) {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0')
      throw StoreError("cannot find a place for the run store: neither XDG_DATA_HOME nor HOME is set");
    base = fs::path(home) / ".local" / "share";
  }
  const fs::path dir = base / "HalfLab";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw StoreError(dir.string() + ": cannot create the run store folder (" + ec.message() + ")");
  return (dir / "runs.sqlite").string();
}

}  // namespace halflab
