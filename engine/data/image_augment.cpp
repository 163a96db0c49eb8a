#include "engine/data/image_augment.hpp"

#include <stdexcept>
#include <vector>

#include "engine/data/portable_random.hpp"

namespace halflab {

void augmentBatch(Tensor& x, const ImageAugmentation& aug, std::uint64_t seed, std::int64_t step) {
  if (!aug.enabled()) return;
  if (x.shape.size() != 4) throw std::invalid_argument("augmentBatch: expected [n, C, H, W] images");
  if (aug.crop_pad < 0) throw std::invalid_argument("augmentBatch: crop_pad must be >= 0");
  const std::int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  PortableRandom rng(mixSeed(seed ^ 0xA5A5F00DULL, static_cast<std::uint64_t>(step)));
  std::vector<float> plane(static_cast<std::size_t>(h * w));
  const std::int64_t pad = aug.crop_pad;
  for (std::int64_t s = 0; s < n; ++s) {
    // Always draw all three, so enabling one option does not change the other's draws.
    const std::int64_t dy = static_cast<std::int64_t>(rng.below(2 * pad + 1)) - pad;
    const std::int64_t dx = static_cast<std::int64_t>(rng.below(2 * pad + 1)) - pad;
    const bool flip = aug.flip && (rng.bits() >> 63) != 0;
    if (dx == 0 && dy == 0 && !flip) continue;
    for (std::int64_t ch = 0; ch < c; ++ch) {
      float* p = x.ptr() + (s * c + ch) * h * w;
      // Output pixel (i, j) reads source (i + dy, j' + dx), j' = j or its mirror.
      for (std::int64_t i = 0; i < h; ++i)
        for (std::int64_t j = 0; j < w; ++j) {
          const std::int64_t sj = (flip ? w - 1 - j : j) + dx, si = i + dy;
          plane[static_cast<std::size_t>(i * w + j)] =
              (si >= 0 && si < h && sj >= 0 && sj < w) ? p[si * w + sj] : 0.0f;
        }
      std::copy(plane.begin(), plane.end(), p);
    }
  }
}

}  // namespace halflab
