#pragma once

namespace halflab {

// How a run store is opened.
enum class StoreOpenMode {
  ReadOnly,   // never writes (no migration, no interrupted-run marking); file must exist
  ReadWrite,  // file must exist
  Create,     // read-write, creating an empty store when the file does not exist
};

}  // namespace halflab
