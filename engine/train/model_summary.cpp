#include "engine/train/model_summary.hpp"

#include <cstdio>

#include "engine/train/model_fit.hpp"

namespace halflab {
std::string summaryBytesText(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) { b /= 1024; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string summaryCountText(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

ModelSummary summarizeModel(const RunConfig& cfg, const ModelPlan& plan) {
  ModelSummary s;
  s.modes = precisionModeNames();
  s.batch = cfg.training.batch_size;
  std::vector<ElementSizes> sizes;
  for (const auto& m : s.modes) {
    RunConfig c = cfg;
    c.precision.mode = *parsePrecisionMode(m);
    sizes.push_back(deviceElementSizes(c));
  }
  s.total.name = "total";
  s.total.bytes.assign(s.modes.size(), 0);
  std::vector<std::string> value_names{kModelInputName};
  for (const LayerSpec& l : plan.layers) {
    ModelSummaryRow r;
    r.name = l.name;
    r.op = l.def->name;
    for (int v : l.inputs) r.inputs.push_back(value_names.at(static_cast<std::size_t>(v)));
    value_names.push_back(l.name);
    r.out.assign(l.out.begin() + 1, l.out.end());
    const std::int64_t out_elements = shapeSize(r.out);
    r.flops = l.def->flops ? l.def->flops(l.node, l.ins, l.out) : static_cast<double>(out_elements);
    r.bytes.assign(s.modes.size(), 0);
    for (const ParameterSpec& p : l.parameters) {
      const std::int64_t n = shapeSize(p.shape);
      r.parameters += n;
      for (std::size_t m = 0; m < sizes.size(); ++m)
        r.bytes[m] += p.keep_fp32 ? n * 8 : n * (sizes[m].weight + sizes[m].working_copy + sizes[m].gradient);
    }
    for (std::size_t m = 0; m < sizes.size(); ++m) r.bytes[m] += out_elements * s.batch * sizes[m].activation;
    s.total.parameters += r.parameters;
    s.total.flops += r.flops;
    for (std::size_t m = 0; m < sizes.size(); ++m) s.total.bytes[m] += r.bytes[m];
    s.rows.push_back(std::move(r));
  }
  return s;
}

std::string formatModelSummary(const ModelSummary& s) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-16s %-11s %-18s %-16s %10s %10s", "node", "op", "inputs", "output", "params",
                "FLOPs/smp");
  out += buf;
  for (const auto& m : s.modes) {
    std::snprintf(buf, sizeof buf, " %10s", m.c_str());
    out += buf;
  }
  out += "\n";
  auto row = [&](const ModelSummaryRow& r) {
    std::string ins;
    for (const auto& i : r.inputs) ins += (ins.empty() ? "" : ",") + i;
    std::snprintf(buf, sizeof buf, "%-16s %-11s %-18s %-16s %10s %10s", r.name.c_str(), r.op.c_str(),
                  ins.size() > 18 ? (ins.substr(0, 15) + "...").c_str() : ins.c_str(),
                  r.out.empty() ? "" : shapeToString(r.out).c_str(), summaryCountText(static_cast<double>(r.parameters)).c_str(),
                  summaryCountText(r.flops).c_str());
    out += buf;
    for (auto b : r.bytes) {
      std::snprintf(buf, sizeof buf, " %10s", summaryBytesText(static_cast<double>(b)).c_str());
      out += buf;
    }
    out += "\n";
  };
  for (const auto& r : s.rows) row(r);
  row(s.total);
  std::snprintf(buf, sizeof buf,
                "parameters: %lld; memory per mode = parameters (value, working copy, gradient) + outputs for a "
                "batch of %lld\n",
                static_cast<long long>(s.total.parameters), static_cast<long long>(s.batch));
  out += buf;
  return out;
}

}  // namespace halflab
