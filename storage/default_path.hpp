#pragma once
#include <string>

namespace halflab {

// $XDG_DATA_HOME/HalfLab/runs.sqlite, or ~/.local/share/HalfLab/runs.sqlite when
// XDG_DATA_HOME is unset/empty (or relative, which the XDG spec says to ignore). Creates
// the folder; throws StoreError when it cannot (or when HOME is unset too).
std::string defaultStorePath();
// The same path without creating anything; "" when neither variable is set.
std::string defaultStoreLocation();

}  // namespace halflab
