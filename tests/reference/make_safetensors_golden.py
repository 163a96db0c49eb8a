"""Writes tests/reference/safetensors_golden.safetensors with the Python safetensors library
(PyPI), once: the file HalfLab's reader must accept exactly as the reference library wrote it.
Run: .venv-peer/bin/python tests/reference/make_safetensors_golden.py"""
import pathlib

import numpy as np
import torch
from safetensors.torch import save_file

out = pathlib.Path(__file__).with_name("safetensors_golden.safetensors")
tensors = {
    "fc1.weight": torch.tensor([[0.5, -1.25, 3.0], [1e-3, 65504.0, -0.0]], dtype=torch.float32),
    "fc1.bias": torch.tensor([0.1, -0.2], dtype=torch.float16),
    "emb.weight": torch.tensor([[1.0, 2.0], [3.0, 1.0 / 3.0]], dtype=torch.bfloat16),
    "step": torch.tensor(12345, dtype=torch.int64),
    "ids": torch.tensor([0, 65535, -7], dtype=torch.int32),
    "empty": torch.zeros((0, 4), dtype=torch.float32),
    "fp8": torch.tensor([448.0, -0.015625, 1.0], dtype=torch.float8_e4m3fn),
}
save_file(tensors, str(out), metadata={"format": "pt", "halflab": "golden"})
print(out, out.stat().st_size, "bytes")
