#pragma once
// Training-time augmentation of an image batch ([n, C, H, W], in place): a random shift
// by up to crop_pad pixels each way with zero fill (the same as padding by crop_pad and
// cropping back to H x W at a random offset) and a horizontal flip with probability 1/2.
// The draws depend only on (seed, step) and the sample's place in the batch, so a run
// repeats exactly; the evaluation set is never augmented.
#include <cstdint>

#include "engine/tensor/tensor.hpp"

namespace halflab {

struct ImageAugmentation {
  bool flip = false;
  int crop_pad = 0;  // pixels, 0 = no random crop
  bool enabled() const { return flip || crop_pad > 0; }
};

// Throws std::invalid_argument when x is not 4-D or crop_pad is negative.
void augmentBatch(Tensor& x, const ImageAugmentation& aug, std::uint64_t seed, std::int64_t step);

}  // namespace halflab
