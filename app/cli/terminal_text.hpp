#pragma once
// Text from a store or a config (run names, notes, tags, paths, event texts, error
// messages) printed for a person: control characters would move the cursor, recolour or
// retitle the terminal, or fake output lines (ESC, CR, BEL, ...), so they are shown as
// \xNN instead. Valid UTF-8 passes unchanged; C1 controls and bytes that are not UTF-8
// are escaped too. Not for machine formats: JSON and CSV escape on their own terms.
#include <string>
#include <string_view>

namespace halflab::cli {

std::string printable(std::string_view text);

}  // namespace halflab::cli
