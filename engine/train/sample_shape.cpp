#include "engine/train/sample_shape.hpp"

#include "engine/data/dataset.hpp"
#include "engine/train/text_data.hpp"
#include "engine/train/trainer.hpp"

namespace halflab {

std::optional<SampleInfo> knownSampleInfo(const RunConfig& cfg) {
  const auto& k = cfg.dataset.kind;
  if (k == "fashion-mnist" || k == "mnist") return SampleInfo{{1, 28, 28}, 10};
  if (k == "cifar10") return SampleInfo{{3, 32, 32}, 10};
  if (k == "spirals" || k == "moons" || k == "blobs") return SampleInfo{{2}, cfg.dataset.synthetic_classes};
  if (k == "imdb") return SampleInfo{{cfg.dataset.max_len}, 2};  // pos / neg
  return std::nullopt;
}

SampleInfo sampleInfoFor(const RunConfig& cfg) {
  if (auto known = knownSampleInfo(cfg)) return *known;
  if (cfg.dataset.isTextKind()) {
    const TokenizedSplit split = loadTextFor(cfg);
    return {{split.train.max_len}, split.train.num_classes};
  }
  const auto data = loadDataFor(cfg);
  return {sampleShape(data->train), data->train.num_classes};
}

}  // namespace halflab
