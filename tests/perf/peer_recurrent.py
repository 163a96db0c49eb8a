#!/usr/bin/env python3
"""PyTorch CPU peer of tests/perf/bench_recurrent.cpp: one forward + backward of the same
bidirectional GRU / LSTM layers (packed variable lengths in [T/2, T]), fp32.

Usage: python tests/perf/peer_recurrent.py [--steps 5] [--threads 2] [--batch 64]
"""
import argparse
import time

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def step_ms(cell, batch, t, f, hidden, sequences, steps):
    torch.manual_seed(5)
    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](f, hidden, batch_first=True, bidirectional=True)
    x = (torch.rand(batch, t, f) * 0.4 - 0.2).requires_grad_()
    lengths = torch.randint(t // 2, t + 1, (batch,))

    def once():
        out, state = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        if sequences:
            y, _ = pad_packed_sequence(out, batch_first=True, total_length=t)
        else:
            h = state[0] if cell == "lstm" else state
            y = h.permute(1, 0, 2).reshape(batch, -1)
        y.sum().backward()

    once()
    t0 = time.perf_counter()
    for _ in range(steps):
        once()
    return (time.perf_counter() - t0) * 1000 / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"pytorch {torch.__version__}, {a.threads} threads")
    print("model   batch  ms/step  samples/s")
    for name, cell, f, seq in (("bigru", "gru", 16, False), ("bilstm", "lstm", 64, True)):
        ms = step_ms(cell, a.batch, 200, f, 32, seq, a.steps)
        print(f"{name:7s} {a.batch:5d}  {ms:7.2f}  {1000 * a.batch / ms:9.0f}")


if __name__ == "__main__":
    main()
