"""The PyTorch twins of HalfLab's benchmark models and data, shared by the CPU and GPU peers."""
import gzip
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_DIR = os.environ.get("HALFLAB_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
MODELS = ("mlp", "mlp4096", "lenet")


def build_model(name, script):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "mlp4096":  # the GEMM-bound MLP of the GPU benchmark (batch 4096)
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 4096), nn.ReLU(),
                             nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))
    raise SystemExit(f"{script}: unknown model '{name}' (expected {', '.join(MODELS)})")


def train_step(model, opt, x, y, device_type, amp_dtype=None, scaler=None):
    """One eager training step as both peers time it: the forward pass (under autocast in
    the AMP modes), cross-entropy in fp32, backward (scaled when a GradScaler is given),
    the optimizer step. Returns the loss."""
    opt.zero_grad(set_to_none=True)
    if amp_dtype is None:
        loss = F.cross_entropy(model(x), y)
    else:
        with torch.autocast(device_type, dtype=amp_dtype):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()
    return loss


def load_fashion_mnist(limit):
    """Real training images, raw in [0, 1] as [n, 1, 28, 28], and labels; None if not installed."""
    img_path = os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")
    lbl_path = os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")
    if not (os.path.exists(img_path) and os.path.exists(lbl_path)):
        return None
    with gzip.open(img_path, "rb") as f:
        raw = f.read()
    with gzip.open(lbl_path, "rb") as f:
        lraw = f.read()
    n = min(int.from_bytes(raw[4:8], "big"), limit)
    x = torch.frombuffer(bytearray(raw[16:16 + n * 784]), dtype=torch.uint8)
    x = x.float().div_(255.0).view(n, 1, 28, 28)
    y = torch.frombuffer(bytearray(lraw[8:8 + n]), dtype=torch.uint8).long()
    return x, y
