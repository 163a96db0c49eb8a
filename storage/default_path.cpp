#include "storage/default_path.hpp"

#include <cstdlib>
#include <filesystem>

#include "storage/store_error.hpp"

namespace halflab {

std::string defaultStoreLocation() {
  namespace fs = std::filesystem;
  fs::path base;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg != '\0' && fs::path(xdg).is_absolute()) {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return {};
    base = fs::path(home) / ".local" / "share";
  }
  return (base / "HalfLab" / "runs.sqlite").string();
}

std::string defaultStorePath() {
  namespace fs = std::filesystem;
  const std::string location = defaultStoreLocation();
  if (location.empty())
    throw StoreError("cannot find a place for the run store: neither XDG_DATA_HOME nor HOME is set");
  const fs::path dir = fs::path(location).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw StoreError(dir.string() + ": cannot create the run store folder (" + ec.message() + ")");
  return (dir / "runs.sqlite").string();
}

}  // namespace halflab
