#pragma once
// GRU and LSTM layers over [N, T, F] sequences with PyTorch's equations, gate order
// (GRU r, z, n; LSTM i, f, g, o) and parameter names (weight_ih_l0, weight_hh_l0,
// bias_ih_l0, bias_hh_l0, "_reverse" for the backward direction), one layer,
// uni- or bidirectional, exact backpropagation through time.
//
// Lengths (ExecContext::lengths): steps t >= lengths[n] are padding. They neither update
// the state nor receive gradient, their outputs are 0, and the reverse direction starts
// at each sequence's last real step (what pack_padded_sequence does in PyTorch).
//
// Rounding points in the fp16/bf16 modes (docs/ARCHITECTURE.md 2.1), emulating autocast
// on a fused RNN: every GEMM reads compute-format operands and accumulates in fp32, and
//  1. the input projections x W_ih^T + b_ih (all steps, one GEMM) are rounded once;
//  2. the recurrent projections h W_hh^T + b_hh are rounded once per step;
//  3. each activated gate (sigmoid / tanh of the fp32 sum of 1 and 2) is rounded;
//  4. GRU: the new state (1 - z) n + z h, computed in fp32 from the rounded gates, is
//     rounded; LSTM: the cell c = f c + i g and then h = o tanh(c) are each rounded;
//     so the carried state (h and c) is held in the compute format from step to step.
// Backward: the pre-activation gate gradients (the GEMM operands) and the carried state
// gradients dh, dc are rounded every step; the input and parameter gradients (sums over
// all steps, accumulated in fp32 by the GEMMs) are rounded once, as every op's are.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/op.hpp"

namespace halflab {

enum class CellKind { GRU, LSTM };

inline std::int64_t gatesOf(CellKind k) { return k == CellKind::GRU ? 3 : 4; }

class Recurrent : public Op {
 public:
  // params: weight_ih, weight_hh, bias_ih, bias_hh of the forward direction, then (if
  // bidirectional) the same four of the reverse direction.
  Recurrent(std::string name, CellKind kind, std::int64_t hidden, bool bidirectional, bool return_sequences,
            std::vector<Parameter> params);
  std::string name() const override { return name_; }
  Shape nodeOutputShape(const std::vector<Shape>& in) const override;
  void forwardNode(const std::vector<const Tensor*>& x, Tensor& y, ExecContext& ctx) override;
  void backwardNode(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                    const std::vector<Tensor*>& dx, ExecContext& ctx) override;
  std::vector<Parameter*> parameters() override;

 private:
  // One direction's weights and what its forward pass keeps for BPTT.
  struct Direction {
    bool reverse = false;
    Parameter w_ih, w_hh, b_ih, b_hh;
    std::vector<float> gi;     // [N*T, G*H] rounded input projections, row n*T + t
    std::vector<float> h;      // [T+1, N, H] state before iteration s (h[0] = 0)
    std::vector<float> c;      // LSTM cell, same layout
    std::vector<float> gates;  // [T, N, G*H] activated, rounded gates
    std::vector<float> ghn;    // GRU: [T, N, H] the rounded W_hn h + b_hn
  };

  std::int64_t timeIndex(const Direction& d, std::int64_t s, std::int64_t len) const {
    return d.reverse ? len - 1 - s : s;
  }
  void forwardDirection(Direction& d, std::size_t index, const Tensor& x, Tensor& y, ExecContext& ctx);
  void backwardDirection(Direction& d, std::size_t index, const Tensor& x, const Tensor& dy, float* dx,
                         ExecContext& ctx);

  std::string name_;
  CellKind kind_;
  std::int64_t hidden_;
  bool return_sequences_;
  std::vector<Direction> dirs_;
  std::vector<std::int32_t> lengths_;  // of the last forward batch (all T when none given)
  std::vector<float> scratch_a_, scratch_b_, step_, dh_, dc_, dgh_, dgi_, dx_;
};

// Attribute check, shapes, parameters, buffers and FLOPs shared by the gru and lstm op
// definitions (engine/model/ops/gru_op.cpp, lstm_op.cpp).
struct OpDef;
void fillRecurrentOpDef(OpDef& d, CellKind kind);

}  // namespace halflab
