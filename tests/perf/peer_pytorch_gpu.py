#!/usr/bin/env python3
"""PyTorch CUDA peer for the HalfLab CUDA backend (DESIGN section 6).

Trains the same models as HalfLab's presets, on the same batch size, with Adam, and
reports the median step time and samples/s so scripts/gpu-check.sh can print HalfLab's
GPU numbers beside PyTorch eager ones measured on the same GPU in the same run.

Models (PyTorch default init, like HalfLab's uniform 1/sqrt(fan_in)):
  mlp    784-256-128-10, ReLU
  lenet  conv5x5 6ch pad2 - relu - pool2 - conv5x5 16ch - relu - pool2 - fc120 - fc84 - fc10

Modes (the HalfLab names):
  fp32      eager fp32, TF32 explicitly off (matmul and cuDNN)
  tf32      eager fp32 with TF32 on
  fp16-amp  torch.autocast(cuda, float16) + torch.amp.GradScaler
  bf16-amp  torch.autocast(cuda, bfloat16), no scaler

A step is what HalfLab times: gather the batch (dataset resident on the GPU), forward,
loss, backward, (unscale and finite check), optimizer step. Timed with CUDA events.

Usage: peer_pytorch_gpu.py --models mlp,lenet --modes fp32,tf32,fp16-amp,bf16-amp
                           --batch 128 --steps 200 --warmup 20 [--json]
"""
import argparse
import json
import statistics
import sys

try:
    import torch
except ImportError as e:
    sys.exit(f"peer_pytorch_gpu.py: cannot import torch ({e})")

from peer_models import build_model as _build_model, load_fashion_mnist, train_step


def build_model(name):
    return _build_model(name, "peer_pytorch_gpu.py")


def load_data(device, n=60000):
    """Fashion-MNIST when installed, otherwise random images of the same shape."""
    data = load_fashion_mnist(n)
    if data is not None:
        x, y = data
    else:
        g = torch.Generator().manual_seed(1)
        x = torch.rand(n, 1, 28, 28, generator=g)
        y = torch.randint(0, 10, (n,), generator=g)
    x = (x - x.mean()) / x.std()
    return x.to(device), y.to(device)


def bench(model_name, mode, batch, steps, warmup, x, y):
    torch.manual_seed(1)
    tf32 = mode == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    model = build_model(model_name).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    amp_dtype = {"fp16-amp": torch.float16, "bf16-amp": torch.bfloat16}.get(mode)
    scaler = torch.amp.GradScaler("cuda") if mode == "fp16-amp" else None
    n = x.shape[0]
    perm = torch.randperm(n, device=x.device)
    times = []
    for step in range(steps + warmup):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        off = (step * batch) % max(n - batch, 1)
        start.record()
        idx = perm[off:off + batch]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        train_step(model, opt, xb, yb, "cuda", amp_dtype, scaler)
        end.record()
        if step >= warmup:
            times.append((start, end))
    torch.cuda.synchronize()
    ms = statistics.median(s.elapsed_time(e) for s, e in times)
    return {"backend": "pytorch-eager", "model": model_name, "mode": mode, "batch": batch,
            "samples_per_s": 1000.0 * batch / ms, "step_ms": ms,
            "memory_mib": torch.cuda.max_memory_allocated() / 1048576.0, "status": "completed"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="mlp,lenet")
    ap.add_argument("--modes", default="fp32,tf32,fp16-amp,bf16-amp")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.batch <= 0 or a.steps <= 0 or a.warmup < 0:
        sys.exit("peer_pytorch_gpu.py: --batch and --steps must be > 0, --warmup >= 0")
    if not torch.cuda.is_available():
        sys.exit("peer_pytorch_gpu.py: torch.cuda.is_available() is False (no GPU or no CUDA build of torch)")
    x, y = load_data("cuda")
    rows = []
    for m in a.models.split(","):
        for mode in a.modes.split(","):
            if mode not in ("fp32", "tf32", "fp16-amp", "bf16-amp"):
                sys.exit(f"peer_pytorch_gpu.py: --modes: unknown '{mode}'")
            torch.cuda.reset_peak_memory_stats()
            rows.append(bench(m, mode, a.batch, a.steps, a.warmup, x, y))
    if a.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'model':10} {'mode':10} {'batch':>6} {'samples/s':>12} {'step ms':>10} {'mem MiB':>10}")
        for r in rows:
            print(f"{r['model']:10} {r['mode']:10} {r['batch']:6d} {r['samples_per_s']:12.0f} "
                  f"{r['step_ms']:10.4f} {r['memory_mib']:10.1f}")


if __name__ == "__main__":
    main()
