#pragma once
// The safetensors file format (what `safetensors.torch.save_file` writes and
// `load_file` reads): an 8-byte little-endian header length N, N bytes of JSON
//   {"fc1.weight": {"dtype": "F32", "shape": [120, 400], "data_offsets": [0, 192000]}, ...,
//    "__metadata__": {"key": "value"}}
// padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, packed
// in order without gaps. HalfLab's checkpoints and weight exports are such files.
//
// Reading is strict: every length, offset and shape is checked against the file before a
// byte is copied, so a truncated, corrupted or hostile file is refused with a message
// naming the problem (SafetensorsError), never read out of bounds.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tensor/tensor.hpp"

namespace halflab {

class SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StDtype { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U8, BOOL };

const char* stDtypeName(StDtype d);   // "F32", "BF16", "F8_E4M3", ...
int stDtypeBytes(StDtype d);

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  Shape shape;                     // empty = a scalar
  std::vector<std::uint8_t> bytes; // little-endian, shapeSize(shape) * stDtypeBytes(dtype)
};

struct StFile {
  std::map<std::string, std::string> metadata;  // "__metadata__": string values only
  std::vector<StTensor> tensors;                // in file (offset) order

  const StTensor* find(const std::string& name) const;
};

// fp32 values stored as `dtype` (F32, F16, BF16, F8_E4M3, F8_E5M2: rounded to nearest
// even; E4M3 saturates, E5M2 overflows to inf, as the formats do).
StTensor floatTensor(const std::string& name, const Shape& shape, const float* values, StDtype dtype = StDtype::F32);
StTensor int32Tensor(const std::string& name, const Shape& shape, const std::int32_t* values);
StTensor int64Tensor(const std::string& name, const Shape& shape, const std::int64_t* values);
// Back to fp32 (any float dtype; throws SafetensorsError for an integer dtype).
std::vector<float> floatValues(const StTensor& t);
std::vector<std::int64_t> integerValues(const StTensor& t);  // I64 / I32 / I16 / I8 / U8 / BOOL

// Serialises to bytes (tensors ordered by element size, widest first, then by name, as the
// reference library does). Throws SafetensorsError for duplicate names or a byte count that does not
// match the shape.
std::vector<std::uint8_t> serializeSafetensors(const StFile& f);
// Writes atomically: a temporary file in the same folder, flushed to disk, then renamed
// over `path`, so a crash mid-write leaves the previous file intact.
void writeSafetensors(const std::string& path, const StFile& f);

struct StReadLimits {
  std::uint64_t max_header_bytes = 100ull << 20;  // the Python library's limit
  std::uint64_t max_file_bytes = 64ull << 30;
};
StFile parseSafetensors(const std::uint8_t* data, std::size_t size, const StReadLimits& limits = {});
// SafetensorsError naming `path` and the problem (missing, truncated, bad header, ...).
StFile readSafetensors(const std::string& path, const StReadLimits& limits = {});

}  // namespace halflab
