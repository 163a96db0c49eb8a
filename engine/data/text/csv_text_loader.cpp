#include "engine/data/text/csv_text_loader.hpp"

#include <csv.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include "engine/data/dataset.hpp"
#include "engine/data/text/cached_text_load.hpp"

namespace halflab {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMaxCsvBytes = std::int64_t{1} << 30;

struct Row {
  std::vector<std::string> fields;
  std::int64_t line = 0;  // where the row starts
};

// Collects libcsv's callbacks into rows, remembering the line each row started on.
struct RowCollector {
  std::vector<Row> rows;
  Row current;
  std::int64_t line = 1;        // line of the byte being fed
  std::int64_t last_row_end = 0;  // line that ended the last complete row
  bool row_open = false;
  static void onField(void* data, std::size_t n, void* self_ptr) {
    auto* self = static_cast<RowCollector*>(self_ptr);
    if (!self->row_open) {
      self->row_open = true;
      self->current.line = self->line;
    }
    self->current.fields.emplace_back(data ? static_cast<const char*>(data) : "", data ? n : 0);
  }
  static void onRow(int, void* self_ptr) {
    auto* self = static_cast<RowCollector*>(self_ptr);
    if (!self->row_open) self->current.line = self->line;
    self->last_row_end = self->line;
    self->rows.push_back(std::move(self->current));
    self->current = {};
    self->row_open = false;
  }
};

int noSpace(unsigned char) { return 0; }  // fields keep their spaces (text is data)

std::vector<Row> parseCsv(const std::string& path, const std::string& text, unsigned char delim) {
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) throw DataError(path + ": cannot start the CSV parser");
  csv_set_delim(&p, delim);
  csv_set_space_func(&p, noSpace);
  RowCollector rc;
  // Fed one line at a time so that an error knows its line.
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    if (csv_parse(&p, text.data() + pos, end - pos, RowCollector::onField, RowCollector::onRow, &rc) != end - pos) {
      const std::string err = csv_strerror(csv_error(&p));
      csv_free(&p);
      throw DataError(path + ": line " + std::to_string(rc.line) + ": " + err +
                      " (a quote inside an unquoted field, or text after a closing quote; write quotes as \"\" inside a quoted field)");
    }
    if (nl != std::string::npos) ++rc.line;
    pos = end;
  }
  if (csv_fini(&p, RowCollector::onField, RowCollector::onRow, &rc) != 0) {
    csv_free(&p);
    // The open field belongs to the row after the last complete one.
    const std::int64_t from = rc.row_open ? rc.current.line : rc.last_row_end + 1;
    throw DataError(path + ": line " + std::to_string(from) + ": a quoted field is never closed (unterminated quote)");
  }
  csv_free(&p);
  return std::move(rc.rows);
}

struct CsvFile {
  std::string path;
  std::vector<std::pair<std::string, std::int64_t>> labels;  // label text, line
  std::vector<std::string> texts;
};

CsvFile readCsv(const fs::path& file) {
  CsvFile f;
  f.path = file.string();
  const std::string text = readUtf8File(f.path, kMaxCsvBytes);
  const unsigned char delim = file.extension() == ".tsv" ? CSV_TAB : CSV_COMMA;
  std::vector<Row> rows = parseCsv(f.path, text, delim);
  // Blank lines (one empty field) are skipped, as most CSV readers do.
  std::erase_if(rows, [](const Row& r) { return r.fields.size() == 1 && r.fields[0].empty(); });
  if (rows.empty()) throw DataError(f.path + ": the file is empty (expected a header with text and label columns)");
  const Row& header = rows.front();
  int text_col = -1, label_col = -1;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    if (header.fields[i] == "text") text_col = static_cast<int>(i);
    if (header.fields[i] == "label") label_col = static_cast<int>(i);
  }
  if (text_col < 0 || label_col < 0)
    throw DataError(f.path + ": line " + std::to_string(header.line) + ": the header has no '" +
                    (text_col < 0 ? "text" : "label") + "' column (the first row must name the columns, with text and label among them)");
  if (rows.size() == 1) throw DataError(f.path + ": no rows after the header");
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    if (row.fields.size() != header.fields.size())
      throw DataError(f.path + ": line " + std::to_string(row.line) + ": " + std::to_string(row.fields.size()) +
                      " fields, but the header has " + std::to_string(header.fields.size()));
    std::string label = row.fields[static_cast<std::size_t>(label_col)];
    while (!label.empty() && (label.back() == ' ' || label.back() == '\r')) label.pop_back();
    while (!label.empty() && label.front() == ' ') label.erase(0, 1);
    if (label.empty()) throw DataError(f.path + ": line " + std::to_string(row.line) + ": empty label");
    f.labels.emplace_back(std::move(label), row.line);
    f.texts.push_back(row.fields[static_cast<std::size_t>(text_col)]);
  }
  return f;
}

bool isInteger(const std::string& s, long long* v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string> classOrder(const CsvFile& train) {
  std::vector<std::string> names;
  for (const auto& [l, line] : train.labels) names.push_back(l);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  long long a, b;
  if (std::all_of(names.begin(), names.end(), [&](const std::string& s) { return isInteger(s, &a); }))
    std::sort(names.begin(), names.end(), [&](const std::string& x, const std::string& y) {
      isInteger(x, &a);
      isInteger(y, &b);
      return a < b;
    });
  return names;
}

fs::path findFile(const fs::path& dir, const char* split) {
  std::error_code ec;
  for (const char* ext : {".csv", ".tsv"})
    if (fs::is_regular_file(dir / (std::string(split) + ext), ec)) return dir / (std::string(split) + ext);
  throw DataError((dir / split).string() + ".csv: missing split file (a csv-text folder holds train.csv and test.csv, or .tsv)");
}

}  // namespace

TokenizedSplit loadCsvText(const std::string& dir, const TextOptions& opts, TextLoadInfo* info) {
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::path(dir), ec);
  if (!fs::is_directory(root, ec)) throw DataError(dir + ": no such folder (expected train.csv and test.csv)");
  const fs::path train_file = findFile(root, "train"), test_file = findFile(root, "test");
  std::string signature;
  for (const auto& f : {train_file, test_file})
    signature += "|" + f.string() + ":" + std::to_string(fs::file_size(f, ec)) + ":" +
                 std::to_string(fs::last_write_time(f, ec).time_since_epoch().count());
  auto read = [&] {
    const CsvFile train = readCsv(train_file), test = readCsv(test_file);
    RawCorpus raw;
    raw.class_names = classOrder(train);
    if (raw.class_names.size() > 100000) throw DataError(train.path + ": more than 100000 distinct labels");
    std::map<std::string, std::int32_t> index;
    for (std::size_t i = 0; i < raw.class_names.size(); ++i) index[raw.class_names[i]] = static_cast<std::int32_t>(i);
    for (std::size_t i = 0; i < train.texts.size(); ++i)
      raw.train.push_back({train.texts[i], index.at(train.labels[i].first)});
    for (std::size_t i = 0; i < test.texts.size(); ++i) {
      const auto it = index.find(test.labels[i].first);
      if (it == index.end())
        throw DataError(test.path + ": line " + std::to_string(test.labels[i].second) + ": label '" +
                        test.labels[i].first + "' does not occur in " + train.path);
      raw.test.push_back({test.texts[i], it->second});
    }
    return raw;
  };
  return loadTextCached("csv-text", "csv-text" + signature, read, opts, info);
}

}  // namespace halflab
