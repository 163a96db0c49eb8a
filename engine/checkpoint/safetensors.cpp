#include "engine/checkpoint/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/numeric/format.hpp"

namespace halflab {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

struct DtypeInfo {
  StDtype dtype;
  const char* name;
  int bytes;
};
constexpr DtypeInfo kDtypes[] = {
    {StDtype::F64, "F64", 8},       {StDtype::F32, "F32", 4},         {StDtype::F16, "F16", 2},
    {StDtype::BF16, "BF16", 2},     {StDtype::F8_E4M3, "F8_E4M3", 1}, {StDtype::F8_E5M2, "F8_E5M2", 1},
    {StDtype::I64, "I64", 8},       {StDtype::I32, "I32", 4},         {StDtype::I16, "I16", 2},
    {StDtype::I8, "I8", 1},         {StDtype::U8, "U8", 1},           {StDtype::BOOL, "BOOL", 1},
};

const DtypeInfo& infoOf(StDtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i;
  throw SafetensorsError("unknown safetensors dtype");
}

std::uint64_t byteCount(const Shape& shape, StDtype d, const std::string& name) {
  std::uint64_t n = static_cast<std::uint64_t>(stDtypeBytes(d));
  for (const std::int64_t dim : shape) {
    if (dim < 0) throw SafetensorsError("tensor '" + name + "': negative dimension in shape " + shapeToString(shape));
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(dim), &n))
      throw SafetensorsError("tensor '" + name + "': shape " + shapeToString(shape) + " has more bytes than a file can hold");
  }
  return n;
}

template <typename T>
void put(std::vector<std::uint8_t>& out, std::size_t i, T v) {
  std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
}
template <typename T>
T get(const std::vector<std::uint8_t>& in, std::size_t i) {
  T v;
  std::memcpy(&v, in.data() + i * sizeof(T), sizeof(T));
  return v;
}

std::string errnoText() { return std::strerror(errno); }

}  // namespace

const char* stDtypeName(StDtype d) { return infoOf(d).name; }
int stDtypeBytes(StDtype d) { return infoOf(d).bytes; }

const StTensor* StFile::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

StTensor floatTensor(const std::string& name, const Shape& shape, const float* values, StDtype dtype) {
  StTensor t{name, dtype, shape, {}};
  const std::size_t n = static_cast<std::size_t>(shapeSize(shape));
  t.bytes.resize(n * static_cast<std::size_t>(stDtypeBytes(dtype)));
  for (std::size_t i = 0; i < n; ++i) {
    const float v = values[i];
    switch (dtype) {
      case StDtype::F32: put<float>(t.bytes, i, v); break;
      case StDtype::F64: put<double>(t.bytes, i, v); break;
      case StDtype::F16: put<std::uint16_t>(t.bytes, i, fp32ToFp16Bits(v)); break;
      case StDtype::BF16: put<std::uint16_t>(t.bytes, i, fp32ToBf16Bits(v)); break;
      case StDtype::F8_E4M3: put<std::uint8_t>(t.bytes, i, fp32ToE4m3Bits(v, true)); break;
      case StDtype::F8_E5M2: put<std::uint8_t>(t.bytes, i, fp32ToE5m2Bits(v, false)); break;
      default: throw SafetensorsError("tensor '" + name + "': " + stDtypeName(dtype) + " is not a float dtype");
    }
  }
  return t;
}

StTensor int32Tensor(const std::string& name, const Shape& shape, const std::int32_t* values) {
  StTensor t{name, StDtype::I32, shape, {}};
  const std::size_t n = static_cast<std::size_t>(shapeSize(shape));
  t.bytes.resize(n * 4);
  if (n) std::memcpy(t.bytes.data(), values, n * 4);
  return t;
}

StTensor int64Tensor(const std::string& name, const Shape& shape, const std::int64_t* values) {
  StTensor t{name, StDtype::I64, shape, {}};
  const std::size_t n = static_cast<std::size_t>(shapeSize(shape));
  t.bytes.resize(n * 8);
  if (n) std::memcpy(t.bytes.data(), values, n * 8);
  return t;
}

std::vector<float> floatValues(const StTensor& t) {
  const std::size_t n = t.bytes.size() / static_cast<std::size_t>(stDtypeBytes(t.dtype));
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case StDtype::F32: out[i] = get<float>(t.bytes, i); break;
      case StDtype::F64: out[i] = static_cast<float>(get<double>(t.bytes, i)); break;
      case StDtype::F16: out[i] = fp16BitsToFp32(get<std::uint16_t>(t.bytes, i)); break;
      case StDtype::BF16: out[i] = bf16BitsToFp32(get<std::uint16_t>(t.bytes, i)); break;
      case StDtype::F8_E4M3: out[i] = e4m3BitsToFp32(t.bytes[i]); break;
      case StDtype::F8_E5M2: out[i] = e5m2BitsToFp32(t.bytes[i]); break;
      default:
        throw SafetensorsError("tensor '" + t.name + "' is " + stDtypeName(t.dtype) + ", not a float tensor");
    }
  }
  return out;
}

std::vector<std::int64_t> integerValues(const StTensor& t) {
  const std::size_t n = t.bytes.size() / static_cast<std::size_t>(stDtypeBytes(t.dtype));
  std::vector<std::int64_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case StDtype::I64: out[i] = get<std::int64_t>(t.bytes, i); break;
      case StDtype::I32: out[i] = get<std::int32_t>(t.bytes, i); break;
      case StDtype::I16: out[i] = get<std::int16_t>(t.bytes, i); break;
      case StDtype::I8: out[i] = get<std::int8_t>(t.bytes, i); break;
      case StDtype::U8:
      case StDtype::BOOL: out[i] = t.bytes[i]; break;
      default:
        throw SafetensorsError("tensor '" + t.name + "' is " + stDtypeName(t.dtype) + ", not an integer tensor");
    }
  }
  return out;
}

std::vector<std::uint8_t> serializeSafetensors(const StFile& f) {
  std::vector<const StTensor*> order;
  std::set<std::string> names;
  for (const auto& t : f.tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw SafetensorsError("a tensor needs a name other than '' and '__metadata__'");
    if (!names.insert(t.name).second) throw SafetensorsError("two tensors are named '" + t.name + "'");
    if (byteCount(t.shape, t.dtype, t.name) != t.bytes.size())
      throw SafetensorsError("tensor '" + t.name + "': " + std::to_string(t.bytes.size()) + " bytes do not match " +
                             stDtypeName(t.dtype) + " " + shapeToString(t.shape));
    order.push_back(&t);
  }
  // As the reference library lays tensors out: wider dtypes first, then by name, so every
  // tensor starts at a multiple of its element size (readers may map it in place).
  std::sort(order.begin(), order.end(), [](const StTensor* a, const StTensor* b) {
    const int wa = stDtypeBytes(a->dtype), wb = stDtypeBytes(b->dtype);
    return wa != wb ? wa > wb : a->name < b->name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!f.metadata.empty()) header["__metadata__"] = f.metadata;
  std::uint64_t offset = 0;
  for (const StTensor* t : order) {
    header[t->name] = {{"dtype", stDtypeName(t->dtype)}, {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->bytes.size()}}};
    offset += t->bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::vector<std::uint8_t> out(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::size_t at = 8 + text.size();
  for (const StTensor* t : order) {
    if (!t->bytes.empty()) std::memcpy(out.data() + at, t->bytes.data(), t->bytes.size());
    at += t->bytes.size();
  }
  return out;
}

void writeSafetensors(const std::string& path, const StFile& f) {
  const std::vector<std::uint8_t> bytes = serializeSafetensors(f);
  const std::filesystem::path target(path);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SafetensorsError(path + ": cannot create " + tmp + ": " + errnoText());
  auto fail = [&](const std::string& what) {
    const std::string reason = errnoText();
    ::close(fd);
    ::unlink(tmp.c_str());
    throw SafetensorsError(path + ": " + what + ": " + reason + " (the previous file, if any, is untouched)");
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("writing failed");
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) fail("flushing to disk failed");
  if (::close(fd) != 0) {
    const std::string reason = errnoText();
    ::unlink(tmp.c_str());
    throw SafetensorsError(path + ": closing failed: " + reason);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = errnoText();
    ::unlink(tmp.c_str());
    throw SafetensorsError(path + ": cannot replace the file: " + reason);
  }
  // The rename itself is durable once the folder is flushed.
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

StFile parseSafetensors(const std::uint8_t* data, std::size_t size, const StReadLimits& limits) {
  if (size < 8) throw SafetensorsError("too short for a safetensors file (" + std::to_string(size) + " bytes)");
  if (size > limits.max_file_bytes)
    throw SafetensorsError("the file has " + std::to_string(size) + " bytes, more than the limit of " +
                           std::to_string(limits.max_file_bytes));
  std::uint64_t n = 0;
  std::memcpy(&n, data, 8);
  if (n > limits.max_header_bytes)
    throw SafetensorsError("the header claims " + std::to_string(n) + " bytes, more than the limit of " +
                           std::to_string(limits.max_header_bytes));
  if (n > size - 8)
    throw SafetensorsError("the header claims " + std::to_string(n) + " bytes but the file has only " +
                           std::to_string(size - 8) + " after the length (truncated?)");
  if (n == 0 || data[8] != '{') throw SafetensorsError("the header is not a JSON object");
  const std::uint64_t buffer = size - 8 - n;
  const std::uint8_t* payload = data + 8 + n;

  // nlohmann keeps the last of duplicate keys; a file naming a tensor twice is refused.
  std::set<std::string> keys;
  std::string duplicate;
  const nlohmann::json::parser_callback_t on_key = [&](int depth, nlohmann::json::parse_event_t ev,
                                                       nlohmann::json& parsed) {
    if (ev == nlohmann::json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + n, on_key);
  } catch (const nlohmann::json::exception& e) {
    throw SafetensorsError(std::string("the header is not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) throw SafetensorsError("the header names '" + duplicate + "' twice");
  if (!header.is_object()) throw SafetensorsError("the header is not a JSON object");

  StFile f;
  struct Span {
    std::uint64_t begin, end;
    std::size_t tensor;
  };
  std::vector<Span> spans;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw SafetensorsError("__metadata__ is not an object of strings");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) throw SafetensorsError("__metadata__." + k + " is not a string");
        f.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object()) throw SafetensorsError(where + ": not an object");
    for (const auto& [k, v] : entry.items())
      if (k != "dtype" && k != "shape" && k != "data_offsets") throw SafetensorsError(where + ": unknown field '" + k + "'");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) throw SafetensorsError(where + ": no dtype");
    const std::string dtype = entry["dtype"].get<std::string>();
    const DtypeInfo* info = nullptr;
    for (const auto& i : kDtypes)
      if (dtype == i.name) info = &i;
    if (!info) throw SafetensorsError(where + ": unknown dtype '" + dtype + "'");
    if (!entry.contains("shape") || !entry["shape"].is_array()) throw SafetensorsError(where + ": no shape");
    StTensor t{name, info->dtype, {}, {}};
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        throw SafetensorsError(where + ": the shape holds something other than sizes");
      t.shape.push_back(d.get<std::int64_t>());
    }
    const auto& off = entry.contains("data_offsets") ? entry["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw SafetensorsError(where + ": data_offsets must be [begin, end]");
    const std::uint64_t begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end) throw SafetensorsError(where + ": data_offsets begin after they end");
    if (end > buffer)
      throw SafetensorsError(where + ": data_offsets end at " + std::to_string(end) + " but the data has only " +
                             std::to_string(buffer) + " bytes (truncated?)");
    const std::uint64_t want = byteCount(t.shape, t.dtype, name);
    if (end - begin != want)
      throw SafetensorsError(where + ": " + dtype + " " + shapeToString(t.shape) + " needs " + std::to_string(want) +
                             " bytes but data_offsets give " + std::to_string(end - begin));
    spans.push_back({begin, end, f.tensors.size()});
    f.tensors.push_back(std::move(t));
  }
  // The tensors tile the data exactly: no overlap (one byte read as two tensors), no gap.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t at = 0;
  for (const Span& s : spans) {
    const std::string& name = f.tensors[s.tensor].name;
    if (s.begin < at) throw SafetensorsError("tensor '" + name + "' overlaps the tensor before it");
    if (s.begin > at) throw SafetensorsError("a gap of " + std::to_string(s.begin - at) + " bytes before tensor '" + name + "'");
    at = s.end;
  }
  if (at != buffer)
    throw SafetensorsError(std::to_string(buffer - at) + " bytes after the last tensor belong to none");
  for (const Span& s : spans) {
    auto& t = f.tensors[s.tensor];
    t.bytes.assign(payload + s.begin, payload + s.end);
  }
  // File order, as the offsets lay the tensors out.
  std::vector<StTensor> ordered;
  ordered.reserve(f.tensors.size());
  for (const Span& s : spans) ordered.push_back(std::move(f.tensors[s.tensor]));
  f.tensors = std::move(ordered);
  return f;
}

StFile readSafetensors(const std::string& path, const StReadLimits& limits) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw SafetensorsError(path + ": is a folder, not a safetensors file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SafetensorsError(path + ": cannot open: " + errnoText());
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw SafetensorsError(path + ": cannot tell its size");
  if (static_cast<std::uint64_t>(size) > limits.max_file_bytes)
    throw SafetensorsError(path + ": " + std::to_string(size) + " bytes, more than the limit of " +
                           std::to_string(limits.max_file_bytes));
  in.seekg(0);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw SafetensorsError(path + ": reading failed");
  try {
    return parseSafetensors(bytes.data(), bytes.size(), limits);
  } catch (const SafetensorsError& e) {
    throw SafetensorsError(path + ": " + e.what());
  }
}

}  // namespace halflab
