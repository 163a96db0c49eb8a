#include "engine/data/image_decode.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <jpeglib.h>
#include <png.h>

#include "engine/data/dataset.hpp"

namespace halflab {

namespace {

std::vector<std::uint8_t> readWholeFile(const std::string& path, std::int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": cannot open the image file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw DataError(path + ": cannot read the image file");
  if (size == 0) throw DataError(path + ": the image file is empty");
  if (size > max_bytes)
    throw DataError(path + ": the image file is " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(max_bytes) + " allowed");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  if (in.gcount() != size) throw DataError(path + ": cannot read the image file");
  return bytes;
}

void checkSides(const std::string& path, std::int64_t w, std::int64_t h, const ImageLimits& lim) {
  if (w < 1 || h < 1 || w > lim.max_side || h > lim.max_side)
    throw DataError(path + ": image size " + std::to_string(w) + "x" + std::to_string(h) +
                    " is outside 1.." + std::to_string(lim.max_side) + " pixels per side");
}

DecodedImage decodePng(const std::string& path, const std::vector<std::uint8_t>& bytes,
                       const ImageLimits& lim) {
  // libpng's simplified API reports errors through image.message, never by exit/longjmp
  // into our frames.
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    throw DataError(path + ": corrupt or truncated PNG data (" + image.message + ")");
  struct Guard {
    png_image* p;
    ~Guard() { png_image_free(p); }
  } guard{&image};
  checkSides(path, image.width, image.height, lim);
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  DecodedImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.channels = colour ? 3 : 1;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr))
    throw DataError(path + ": corrupt or truncated PNG data (" + image.message + ")");
  return out;
}

// libjpeg reports errors by calling error_exit, which by default calls exit(): ours jumps
// back to the setjmp in jpegDecodeInto with the message.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpegEmitMessage(j_common_ptr cinfo, int level) {
  // level -1 is a warning about damaged data (truncation, bad Huffman codes): the decoder
  // would carry on with filler pixels, so it ends the decode like an error.
  if (level < 0) jpegErrorExit(cinfo);
}

// Only trivially destructible locals live in this frame, so the longjmp skips no
// destructor; `out` belongs to the caller. Returns false with err->message on failure.
bool jpegDecodeInto(jpeg_decompress_struct* cinfo, JpegErrors* err, const std::uint8_t* data,
                    std::size_t size, const ImageLimits* lim, DecodedImage* out, bool* too_big) {
  if (setjmp(err->jump)) return false;
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  if (cinfo->image_width < 1 || cinfo->image_height < 1 ||
      cinfo->image_width > static_cast<unsigned>(lim->max_side) ||
      cinfo->image_height > static_cast<unsigned>(lim->max_side)) {
    *too_big = true;
    std::snprintf(err->message, sizeof err->message, "%ux%u", cinfo->image_width, cinfo->image_height);
    return false;
  }
  cinfo->out_color_space = cinfo->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);
  out->width = static_cast<int>(cinfo->output_width);
  out->height = static_cast<int>(cinfo->output_height);
  out->channels = cinfo->output_components;
  const std::size_t row = static_cast<std::size_t>(out->width) * static_cast<std::size_t>(out->channels);
  out->pixels.resize(row * static_cast<std::size_t>(out->height));
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW r = out->pixels.data() + row * cinfo->output_scanline;
    jpeg_read_scanlines(cinfo, &r, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

DecodedImage decodeJpeg(const std::string& path, const std::vector<std::uint8_t>& bytes,
                        const ImageLimits& lim) {
  jpeg_decompress_struct cinfo;
  JpegErrors err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpegErrorExit;
  err.mgr.emit_message = jpegEmitMessage;
  err.message[0] = '\0';
  jpeg_create_decompress(&cinfo);
  DecodedImage out;
  bool too_big = false;
  bool ok = false;
  try {
    ok = jpegDecodeInto(&cinfo, &err, bytes.data(), bytes.size(), &lim, &out, &too_big);
  } catch (...) {  // std::bad_alloc from the pixel buffer
    jpeg_destroy_decompress(&cinfo);
    throw;
  }
  jpeg_destroy_decompress(&cinfo);
  if (too_big)
    throw DataError(path + ": image size " + err.message + " is outside 1.." +
                    std::to_string(lim.max_side) + " pixels per side");
  if (!ok) throw DataError(path + ": corrupt or truncated JPEG data (" + err.message + ")");
  if (out.channels != 1 && out.channels != 3)
    throw DataError(path + ": JPEG with " + std::to_string(out.channels) + " channels (expected 1 or 3)");
  return out;
}

}  // namespace

DecodedImage decodeImageFile(const std::string& path, const ImageLimits& limits) {
  const std::vector<std::uint8_t> bytes = readWholeFile(path, limits.max_file_bytes);
  static const std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) return decodePng(path, bytes, limits);
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decodeJpeg(path, bytes, limits);
  throw DataError(path + ": not a PNG or JPEG file (unrecognised first bytes)");
}

bool hasImageExtension(const std::string& filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = filename.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext == "png" || ext == "jpg" || ext == "jpeg";
}

}  // namespace halflab
