#pragma once
// The one exception type the run store throws. Messages always name the database file
// and say what is wrong ("runs.sqlite: schema version 7 is newer than this build (1)").
#include <stdexcept>
#include <string>

namespace halflab {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file is a store, but SQLite found it damaged (SQLITE_CORRUPT, a failed integrity
// check): nothing is appended to it, and readers say so instead of showing partial data.
class StoreDamaged : public StoreError {
 public:
  using StoreError::StoreError;
};

}  // namespace halflab
