#!/usr/bin/env python3
"""Reference values for the gru and lstm ops (tests/unit/engine/test_recurrent_reference.cpp).

Run once with PyTorch (CPU, from PyPI):  python tests/reference/make_recurrent_refs.py
It writes tests/reference/gru_ref.json and lstm_ref.json: fixed weights and inputs
(N=3, T=5, F=4, H=3, variable lengths), for uni- and bidirectional layers returning the
last states (h_n, fwd|bwd concatenated) or the whole sequence (pack_padded_sequence, so the
reverse direction starts at each sequence's last real step; padded outputs are 0), the
outputs and the gradients of the input and of every parameter for the loss sum(y * dy).
Computed in float64 so that the committed numbers carry no fp32 rounding of their own.
"""
import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

N, T, F, H = 3, 5, 4, 3
LENGTHS = [5, 3, 2]
HERE = os.path.dirname(os.path.abspath(__file__))


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(cell, bidirectional, return_sequences, seed):
    torch.manual_seed(seed)
    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](F, H, batch_first=True, bidirectional=bidirectional).double()
    x = torch.randn(N, T, F, dtype=torch.float64, requires_grad=True)
    packed = pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    h_n = state[0] if cell == "lstm" else state
    if return_sequences:
        y, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    else:
        y = h_n.permute(1, 0, 2).reshape(N, -1)  # [N, dirs*H], fwd | bwd like h_n
    dy = torch.randn(y.shape, dtype=torch.float64)
    (y * dy).sum().backward()
    return {
        "bidirectional": bidirectional,
        "return_sequences": return_sequences,
        "x": flat(x),
        "dy": flat(dy),
        "y": flat(y),
        "y_shape": list(y.shape),
        "dx": flat(x.grad),
        "params": {name: flat(p) for name, p in rnn.named_parameters()},
        "grads": {name: flat(p.grad) for name, p in rnn.named_parameters()},
    }


def main():
    for i, cell in enumerate(["gru", "lstm"]):
        cases = []
        for bidirectional in (False, True):
            for return_sequences in (False, True):
                cases.append(case(cell, bidirectional, return_sequences, 100 * i + len(cases)))
        doc = {"op": cell, "torch": torch.__version__, "N": N, "T": T, "F": F, "H": H, "lengths": LENGTHS, "cases": cases}
        path = os.path.join(HERE, f"{cell}_ref.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
