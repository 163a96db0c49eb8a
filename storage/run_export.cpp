#include "storage/run_export.hpp"

#include <array>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ostream>
#include <streambuf>

#include "storage/output_file.hpp"

#include "engine/json/bounded_json.hpp"

namespace halflab {
namespace {

// Shortest text that reads back to the same double.
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), res.ptr);
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

nlohmann::json realOrNull(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// Lets writeMetricsCsv stream into an OutputFile, which keeps the first write error.
class OutputFileBuf : public std::streambuf {
 public:
  explicit OutputFileBuf(OutputFile& out) : out_(out) { setp(buf_, buf_ + sizeof buf_); }
  ~OutputFileBuf() override { sync(); }
  int sync() override {
    const bool good = out_.write(std::string_view(pbase(), static_cast<std::size_t>(pptr() - pbase())));
    setp(buf_, buf_ + sizeof buf_);
    return good ? 0 : -1;
  }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) sputc(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  OutputFile& out_;
  char buf_[1 << 16];
};

}  // namespace

ExportFormat parseExportFormat(const std::string& name) {
  if (name == "csv") return ExportFormat::Csv;
  if (name == "json") return ExportFormat::Json;
  throw StoreError("unknown export format '" + name + "' (expected csv or json)");
}

void writeMetricsCsv(const RunStore& store, const std::vector<std::int64_t>& run_ids,
                     std::ostream& out) {
  for (std::int64_t id : run_ids) store.run(id);  // every id must exist before any output
  out << "run,step,key,value,wall_time\n";
  for (std::int64_t id : run_ids) {
    const std::string run = std::to_string(id);
    for (const std::string& key : store.metricKeys(id)) {
      const std::string k = csvField(key);
      for (const MetricPoint& p : store.metricSeries(id, key))
        out << run << ',' << p.step << ',' << k << ',' << number(p.value) << ','
            << number(p.wall_ms / 1000.0) << '\n';
    }
  }
}

nlohmann::json summaryToJson(const RunSummary& s) {
  return {{"status", runStatusName(s.status)},
          {"steps", s.steps},
          {"skipped_steps", s.skipped_steps},
          {"overflow_steps", s.overflow_steps},
          {"final_loss", realOrNull(s.final_loss)},
          {"final_val_loss", realOrNull(s.final_val_loss)},
          {"final_val_accuracy", realOrNull(s.final_val_accuracy)},
          {"best_val_accuracy", realOrNull(s.best_val_accuracy)},
          {"final_scale", realOrNull(s.final_scale)},
          {"wall_time_s", realOrNull(s.wall_time_s)},
          {"time_to_target_s", realOrNull(s.time_to_target_s)},
          {"mean_samples_per_s", realOrNull(s.mean_samples_per_s)},
          {"peak_memory_bytes", s.peak_memory_bytes},
          {"device", s.device},
          {"error", s.error}};
}

nlohmann::json runsToJson(const RunStore& store, const std::vector<std::int64_t>& run_ids) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::int64_t id : run_ids) {
    const RunRow r = store.run(id);
    nlohmann::json j;
    j["id"] = r.id;
    j["uuid"] = r.uuid;
    j["name"] = r.name;
    j["status"] = runStatusName(r.status);
    j["precision_mode"] = r.precision_mode;
    j["device"] = r.device;
    j["seed"] = r.seed;
    j["started_ms"] = r.started_ms;
    j["ended_ms"] = r.ended_ms;
    j["app_version"] = r.app_version;
    j["tags"] = r.tags;
    j["notes"] = r.notes;
    auto config = parseBoundedJsonOrDiscarded(r.config_json);
    j["config"] = config.is_discarded() ? nlohmann::json(r.config_json) : config;
    j["summary"] = r.summary ? summaryToJson(*r.summary) : nlohmann::json(nullptr);
    nlohmann::json series = nlohmann::json::object();
    for (const std::string& key : store.metricKeys(id)) {
      nlohmann::json steps = nlohmann::json::array(), values = nlohmann::json::array(),
                     walls = nlohmann::json::array();
      for (const MetricPoint& p : store.metricSeries(id, key)) {
        steps.push_back(p.step);
        values.push_back(realOrNull(p.value));
        walls.push_back(p.wall_ms);
      }
      series[key] = {{"step", std::move(steps)}, {"value", std::move(values)},
                     {"wall_ms", std::move(walls)}};
    }
    j["series"] = std::move(series);
    nlohmann::json events = nlohmann::json::array();
    for (const EventRecord& e : store.events(id))
      events.push_back({{"step", e.step}, {"kind", eventKindName(e.kind)},
                        {"value", realOrNull(e.value)}, {"text", e.text},
                        {"wall_ms", e.wall_ms}});
    j["events"] = std::move(events);
    runs.push_back(std::move(j));
  }
  return {{"format", "halflab-runs"}, {"version", 1}, {"runs", std::move(runs)}};
}

void exportRuns(const RunStore& store, const std::vector<std::int64_t>& run_ids,
                ExportFormat format, const std::string& out_path) {
  if (run_ids.empty()) throw StoreError("nothing to export: no run ids given");
  // Build JSON / validate ids first so that a bad id leaves no half-written file.
  nlohmann::json json;
  if (format == ExportFormat::Json) json = runsToJson(store, run_ids);
  else for (std::int64_t id : run_ids) store.run(id);

  // Checked before opening: opening truncates, and the output must never be the store.
  OutputFile out(out_path, store.path());
  if (format == ExportFormat::Json) {
    out.write(json.dump(2) + "\n");
  } else {
    OutputFileBuf buf(out);
    std::ostream stream(&buf);
    writeMetricsCsv(store, run_ids, stream);
    stream.flush();
  }
  out.close();  // throws with the reason: disk full, I/O error, ...
}

}  // namespace halflab
