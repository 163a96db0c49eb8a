// Writes the image seeds of tests/fuzz/corpus/image (small PNG and JPEG files; cut.png and
// cut.jpg are the first 40 / 200 bytes of rgb-8x8.*). Not built by CMake:
//   g++ -o mkseeds tests/fuzz/make_image_seeds.cpp -lpng -ljpeg && ./mkseeds tests/fuzz/corpus/image
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <png.h>
#include <string>
#include <vector>
void png(const std::string& p, int w, int h, bool rgb) {
  png_image img{}; img.version = PNG_IMAGE_VERSION; img.width = w; img.height = h;
  img.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  std::vector<unsigned char> px(w * h * (rgb ? 3 : 1)); for (size_t i = 0; i < px.size(); ++i) px[i] = i * 29;
  png_image_write_to_file(&img, p.c_str(), 0, px.data(), 0, nullptr);
}
void jpg(const std::string& p, int w, int h, int ch, bool progressive) {
  FILE* f = fopen(p.c_str(), "wb"); jpeg_compress_struct c; jpeg_error_mgr e; c.err = jpeg_std_error(&e);
  jpeg_create_compress(&c); jpeg_stdio_dest(&c, f); c.image_width = w; c.image_height = h; c.input_components = ch;
  c.in_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE; jpeg_set_defaults(&c); jpeg_set_quality(&c, 75, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE); std::vector<unsigned char> px(w * h * ch); for (size_t i = 0; i < px.size(); ++i) px[i] = i * 13;
  while (c.next_scanline < c.image_height) { JSAMPROW r = px.data() + c.next_scanline * w * ch; jpeg_write_scanlines(&c, &r, 1); }
  jpeg_finish_compress(&c); jpeg_destroy_compress(&c); fclose(f);
}
int main(int, char** argv) {
  std::string d = argv[1];
  png(d + "/rgb-8x8.png", 8, 8, true); png(d + "/grey-4x3.png", 4, 3, false);
  jpg(d + "/rgb-8x8.jpg", 8, 8, 3, false); jpg(d + "/grey-5x7.jpg", 5, 7, 1, false); jpg(d + "/progressive-16x16.jpg", 16, 16, 3, true);
}
