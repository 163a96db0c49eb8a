"""Reference values for the embedding op and the bce-with-logits loss, written once with
PyTorch (PyPI) in float64 and committed: tests/reference/embedding_ref.json, bce_ref.json.
test_text_op_reference compares HalfLab against them, so the tests need no PyTorch.
Run: .venv-peer/bin/python tests/reference/make_text_op_refs.py"""
import json
import pathlib

import torch

here = pathlib.Path(__file__).parent
torch.manual_seed(11)

# nn.Embedding with padding_idx: forward rows, and the weight gradient of sum(out * w),
# where padding rows get none and repeated ids add up.
vocab, dim = 9, 4
ids = torch.tensor([[0, 3, 3, 7, 1], [8, 0, 2, 3, 0], [5, 5, 5, 6, 4]])
emb = torch.nn.Embedding(vocab, dim, padding_idx=0).double()
with torch.no_grad():
    emb.weight.copy_(torch.randn(vocab, dim, dtype=torch.float64))
    emb.weight[0].zero_()
out = emb(ids)
w = torch.randn(out.shape, dtype=torch.float64)
(out * w).sum().backward()
(here / "embedding_ref.json").write_text(json.dumps({
    "op": "embedding", "torch": torch.__version__, "vocab": vocab, "dim": dim, "padding_idx": 0,
    "ids_shape": list(ids.shape), "ids": ids.flatten().tolist(),
    "weight": emb.weight.detach().flatten().tolist(), "dy": w.flatten().tolist(),
    "out": out.detach().flatten().tolist(), "dweight": emb.weight.grad.flatten().tolist()}))

# BCEWithLogitsLoss (mean) on logits from tiny to huge: loss and the gradient of the logits.
logits = torch.tensor([-120.0, -30.0, -4.5, -0.7, -1e-4, 0.0, 2e-3, 0.9, 3.25, 17.0, 45.0, 300.0],
                      dtype=torch.float64, requires_grad=True)
targets = torch.tensor([0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1], dtype=torch.float64)
loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
loss.backward()
(here / "bce_ref.json").write_text(json.dumps({
    "op": "bce_with_logits", "torch": torch.__version__, "logits": logits.detach().tolist(),
    "targets": targets.tolist(), "loss": loss.item(), "dlogits": logits.grad.tolist(),
    "correct": int(((logits > 0).double() == targets).sum().item())}))
print("wrote embedding_ref.json, bce_ref.json")
