// Benchmark (not a test): one training step (forward + backward) of the recurrent layers
// of the IMDB seed models, on the registry's CPU ops, per precision mode:
//   bigru:  [64, 200, 16] -> bidirectional GRU(32), last states   (seed-imdb-bigru)
//   bilstm: [64, 200, 64] -> bidirectional LSTM(32), whole sequence (seed-imdb-bilstm)
// Random inputs, random lengths in [T/2, T] (IMDB reviews at max_len 200 are mostly full).
// Usage: bench_recurrent [--steps 20] [--threads 2] [--batch 64]
// tests/perf/peer_recurrent.py times the same layers in PyTorch.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "engine/backend/cpu/cpu_ops.hpp"
#include "engine/model/op_def.hpp"
#include "engine/precision/precision_mode.hpp"

using namespace halflab;

namespace {

double stepMs(const std::string& op, std::int64_t batch, std::int64_t t, std::int64_t f, std::int64_t hidden,
              bool sequences, PrecisionMode mode, int steps) {
  const OpDef& def = opRegistry().at(op);
  NodeSpec node{op, "rnn", {}, {{"hidden", hidden}, {"bidirectional", true}, {"return_sequences", sequences}}};
  const std::vector<Shape> in1{{1, t, f}};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-0.2f, 0.2f);
  ExecContext ctx;
  ctx.policy = policyFor(mode);
  const Format fmt = ctx.policy.compute;
  std::vector<Parameter> params;
  for (const ParameterSpec& s : def.parameters(node, in1)) {
    Parameter p;
    p.name = s.name;
    p.value = Tensor(s.shape);
    for (auto& v : p.value.data) v = u(rng);
    if (ctx.policy.master_weights) {
      p.copy = p.value;
      roundBuffer(fmt, p.copy.ptr(), p.copy.data.size());
    }
    params.push_back(std::move(p));
  }
  auto rnn = def.make_cpu(node, in1, std::move(params));
  Tensor x({batch, t, f});
  for (auto& v : x.data) v = u(rng);
  roundBuffer(fmt, x.ptr(), x.data.size());
  std::uniform_int_distribution<std::int32_t> len(static_cast<std::int32_t>(t / 2), static_cast<std::int32_t>(t));
  ctx.lengths.resize(static_cast<std::size_t>(batch));
  for (auto& l : ctx.lengths) l = len(rng);
  Tensor y, dx;
  rnn->forwardNode({&x}, y, ctx);  // warm-up: buffers sized
  Tensor dy(y.shape);
  for (auto& v : dy.data) v = u(rng);
  roundBuffer(fmt, dy.ptr(), dy.data.size());
  rnn->backwardNode({&x}, y, dy, {&dx}, ctx);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) {
    rnn->forwardNode({&x}, y, ctx);
    rnn->backwardNode({&x}, y, dy, {&dx}, ctx);
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 20, threads = 2;
  std::int64_t batch = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    else { std::fprintf(stderr, "bench_recurrent: unknown option %s\n", argv[i]); return 2; }
  }
  cpu::setThreadCount(threads);
  std::printf("model   mode      batch  ms/step  samples/s\n");
  for (const char* mode : {"fp32", "fp16-amp", "bf16-amp"}) {
    const PrecisionMode m = *parsePrecisionMode(mode);
    const double gru = stepMs("gru", batch, 200, 16, 32, false, m, steps);
    std::printf("bigru   %-9s %5lld  %7.2f  %9.0f\n", mode, static_cast<long long>(batch), gru, 1000.0 * batch / gru);
    const double lstm = stepMs("lstm", batch, 200, 64, 32, true, m, steps);
    std::printf("bilstm  %-9s %5lld  %7.2f  %9.0f\n", mode, static_cast<long long>(batch), lstm, 1000.0 * batch / lstm);
  }
  return 0;
}
