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

}  // namespace halflab
