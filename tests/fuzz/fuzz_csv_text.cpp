// libFuzzer harness for the CSV/TSV text loader (libcsv, the header and label checks,
// UTF-8, tokenizer, vocabulary, padding): the input is train.csv beside a fixed test.csv.
// A DataError is a correct answer; anything else (crash, sanitizer report, leak, a
// malformed token set) is a finding.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

#include "engine/data/dataset.hpp"
#include "engine/data/text/csv_text_loader.hpp"

using namespace halflab;

namespace {
std::string g_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/fuzz_csv_text.XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_dir = tmpl;
  std::ofstream(g_dir + "/test.csv") << "text,label\nhello there,1\n";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(g_dir + "/train.csv", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  TextOptions o;
  o.vocab_size = 50;
  o.max_len = 16;
  o.use_cache = false;
  try {
    const TokenizedSplit s = loadCsvText(g_dir, o);
    requireWellFormed(s.train, s.vocab.size());
    requireWellFormed(s.test, s.vocab.size());
  } catch (const DataError&) {
  }
  return 0;
}
