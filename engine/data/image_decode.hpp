#pragma once
// Decoding one PNG or JPEG file into 8-bit pixels (libpng, libjpeg-turbo). Every failure
// (missing, unreadable, corrupt, truncated, too large, unsupported) is a DataError that
// names the file; nothing here calls exit() or trusts the sizes a file claims.
#include <cstdint>
#include <string>
#include <vector>

namespace halflab {

struct DecodedImage {
  int width = 0, height = 0;
  int channels = 0;                   // 1 (grey) or 3 (RGB)
  std::vector<std::uint8_t> pixels;   // row-major, interleaved: [height][width][channels]
};

struct ImageLimits {
  int max_side = 8192;                       // pixels, each of width and height
  std::int64_t max_file_bytes = 64 << 20;    // a file larger than this is refused unread
};

// PNG or JPEG, chosen by the file's magic bytes (not its name). Colour images come back
// as RGB (alpha dropped, palettes expanded), grey ones as one channel; 16-bit PNGs are
// reduced to 8 bits. A JPEG that libjpeg only warns about (e.g. cut short: "premature
// end of data") is refused too: it would decode to grey filler.
DecodedImage decodeImageFile(const std::string& path, const ImageLimits& limits = {});

// True for names ending in .png, .jpg or .jpeg (any case).
bool hasImageExtension(const std::string& filename);

}  // namespace halflab
