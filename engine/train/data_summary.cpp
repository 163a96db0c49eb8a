#include "engine/train/data_summary.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "engine/data/image_folder.hpp"
#include "engine/data/loaders.hpp"
#include "engine/data/text/csv_text_loader.hpp"
#include "engine/data/text/imdb_loader.hpp"
#include "engine/train/text_data.hpp"
#include "engine/train/trainer.hpp"

namespace halflab {

namespace {

SplitSummary summarise(const std::string& name, const std::vector<std::int32_t>& labels,
                       const std::vector<std::string>& class_names, int num_classes) {
  SplitSummary s;
  s.name = name;
  s.count = static_cast<std::int64_t>(labels.size());
  std::vector<std::int64_t> per(static_cast<std::size_t>(num_classes), 0);
  for (std::int32_t l : labels) ++per[static_cast<std::size_t>(l)];
  for (int c = 0; c < num_classes; ++c)
    s.per_class.emplace_back(c < static_cast<int>(class_names.size()) ? class_names[c] : std::to_string(c),
                             per[static_cast<std::size_t>(c)]);
  return s;
}

LengthStats lengthStats(const TokenizedSet& set) {
  LengthStats st;
  if (set.source_lengths.empty()) return st;
  const auto& v = set.source_lengths;
  st.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  st.median = percentile(v, 50);
  st.p95 = percentile(v, 95);
  st.max = *std::max_element(v.begin(), v.end());
  const auto cut = std::count_if(v.begin(), v.end(), [&](std::int32_t n) { return n > set.max_len; });
  st.truncated_share = static_cast<double>(cut) / static_cast<double>(v.size());
  return st;
}

}  // namespace

double percentile(std::vector<std::int32_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const auto i = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
  return values[i];
}

DataSummary describeData(const RunConfig& cfg) {
  DataSummary out;
  out.kind = cfg.dataset.kind;
  out.source = cfg.datasetDir();
  if (cfg.dataset.isTextKind()) {
    TextLoadInfo info;
    const auto t0 = std::chrono::steady_clock::now();
    const TokenizedSplit split = loadTextFor(cfg, &info);
    // The whole load: listing the source files too, not only the cache or tokenizer.
    info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    out.tokens = true;
    out.vocab_size = split.vocab.size();
    out.max_len = split.train.max_len;
    out.load_ms = info.load_ms;
    out.cache_used = info.cache_used;
    out.cache_file = info.cache_file;
    out.cache_note = info.cache_note;
    out.memory_bytes = split.train.memoryBytes() + split.test.memoryBytes();
    for (const TokenizedSet* s : {&split.train, &split.test}) {
      SplitSummary sum = summarise(s == &split.train ? "train" : "test", s->labels, split.class_names, s->num_classes);
      sum.lengths = lengthStats(*s);
      out.splits.push_back(std::move(sum));
    }
    return out;
  }
  const auto t0 = std::chrono::steady_clock::now();
  RunConfig raw = cfg;
  raw.dataset.normalize = false;  // channel means of the data as stored
  std::vector<std::string> class_names;
  DataSplit split;
  if (cfg.dataset.kind == "image-folder") {
    ImageFolderSet set = loadImageFolder(cfg.datasetDir());
    class_names = std::move(set.class_names);
    split = std::move(set.split);
    truncateDataset(split.train, cfg.dataset.train_limit);
    truncateDataset(split.test, cfg.dataset.test_limit);
  } else {
    split = *loadDataFor(raw);
  }
  out.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const Shape shape = sampleShape(split.train);
  out.sample_shape.assign(shape.begin(), shape.end());
  for (const auto& [mean, sd] : channelStats(split.train)) out.channel_means.push_back(mean);
  out.memory_bytes = (split.train.inputs.size() + split.test.inputs.size()) * static_cast<std::int64_t>(sizeof(float));
  out.splits.push_back(summarise("train", split.train.labels, class_names, split.train.num_classes));
  out.splits.push_back(summarise("test", split.test.labels, class_names, split.test.num_classes));
  return out;
}

}  // namespace halflab
