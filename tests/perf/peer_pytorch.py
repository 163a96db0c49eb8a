#!/usr/bin/python3
"""PyTorch CPU peer for `halflab-cli bench` (DESIGN section 6).

Trains the same models as HalfLab's presets on the same batch size with Adam and reports
the median step time and samples/s, so that HalfLab's numbers can be given as ratios
measured on the same machine in the same run (tests/perf/compare.sh runs both).

Models (PyTorch default init, like HalfLab's uniform 1/sqrt(fan_in)):
  mlp    784-256-128-10, ReLU
  lenet  conv5x5 6ch pad2 - relu - pool2 - conv5x5 16ch - relu - pool2 - fc120 - fc84 - fc10

Modes:
  fp32       plain eager fp32
  bf16-amp   torch.autocast("cpu", bfloat16); no loss scaling (bf16 has fp32's range)
  fp16-amp   torch.autocast("cpu", float16) with a GradScaler, where this PyTorch supports
             both on the CPU (2.x); otherwise the mode is reported as unsupported

A step is what HalfLab times: gather the batch, forward, loss, backward, (unscale and
finite check), optimizer step.

Usage: peer_pytorch.py --model mlp --batch 128 --modes fp32,bf16-amp --steps 50 --threads 2 [--json]
"""
import argparse
import json
import os
import statistics
import sys
import time
import warnings

try:
    import torch
except ImportError as e:  # Debian's python3-torch is for /usr/bin/python3
    sys.exit(f"peer_pytorch.py: cannot import torch ({e}); run it with /usr/bin/python3 "
             "after `apt-get install python3-torch`")

from peer_models import build_model as _build_model, load_fashion_mnist as _load_raw, train_step


def build_model(name):
    return _build_model(name, "peer_pytorch.py")


def load_fashion_mnist(limit):
    """Real training images (normalised like HalfLab does), or None if not installed."""
    data = _load_raw(limit)
    if data is None:
        return None
    x, y = data
    return (x - x.mean()) / x.std(), y


def fp16_autocast_supported():
    # Older versions warn and run in fp32 instead of raising: check the result's dtype.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.autocast("cpu", dtype=torch.float16):
                out = torch.mm(torch.ones(2, 2), torch.ones(2, 2))
        return out.dtype == torch.float16
    except (RuntimeError, TypeError, ValueError):
        return False


def make_cpu_grad_scaler():
    # torch.amp.GradScaler("cpu") exists from PyTorch 2.3; torch.cuda.amp's only on CUDA.
    scaler_cls = getattr(getattr(torch, "amp", None), "GradScaler", None)
    if scaler_cls is None:
        return None
    try:
        return scaler_cls("cpu")
    except (RuntimeError, TypeError, ValueError):
        return None


def bench_mode(model_name, mode, x_all, y_all, batch, steps, warmup, seed):
    torch.manual_seed(seed)
    model = build_model(model_name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    amp_dtype = {"fp32": None, "bf16-amp": torch.bfloat16, "fp16-amp": torch.float16}[mode]
    scaler = None
    if mode == "fp16-amp":
        if not fp16_autocast_supported():
            return {"unsupported": f"torch {torch.__version__} has no fp16 autocast on the CPU"}
        scaler = make_cpu_grad_scaler()
        if scaler is None:
            return {"unsupported": f"torch {torch.__version__} has no CPU GradScaler"}
    n = x_all.shape[0]
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen)
    times = []
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        start = (step * batch) % (n - batch + 1)
        idx = perm[start:start + batch]
        x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
        loss = train_step(model, opt, x, y, "cpu", amp_dtype, scaler)
        times.append((time.perf_counter() - t0) * 1000.0)
    step_ms = statistics.median(times[warmup:])
    return {"step_ms": step_ms, "samples_per_s": 1000.0 * batch / step_ms,
            "final_loss": float(loss.detach())}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="mlp", help="mlp or lenet")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--modes", default="fp32,bf16-amp,fp16-amp",
                   help="comma-separated: fp32, bf16-amp, fp16-amp")
    p.add_argument("--steps", type=int, default=50, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps")
    p.add_argument("--repeats", type=int, default=1, help="repeat, report the median")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = all cores)")
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist or random")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print results as JSON")
    a = p.parse_args(argv)
    if a.batch < 1 or a.steps < 1 or a.warmup < 0 or a.repeats < 1:
        p.error("--batch, --steps and --repeats must be >= 1, --warmup >= 0")
    if a.data not in ("fashion-mnist", "random"):
        p.error(f"--data: unknown '{a.data}' (expected fashion-mnist or random)")
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in ("fp32", "bf16-amp", "fp16-amp"):
            p.error(f"--modes: unknown mode '{m}' (expected fp32, bf16-amp or fp16-amp)")
    a.mode_list = modes
    return a


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads if a.threads > 0 else (os.cpu_count() or 1))
    pool = max(a.batch * 8, 4096)
    data = load_fashion_mnist(pool) if a.data == "fashion-mnist" else None
    if data is None:
        g = torch.Generator().manual_seed(a.seed)
        data = (torch.randn(pool, 1, 28, 28, generator=g), torch.randint(0, 10, (pool,), generator=g))
    x_all, y_all = data
    results = []
    fp32_ms = None
    if not a.json:
        print(f"{'mode':<10} {'model':<8} {'batch':>6} {'samples/s':>12} {'step ms':>12} {'vs fp32':>10}")
    for mode in a.mode_list:
        runs = [bench_mode(a.model, mode, x_all, y_all, a.batch, a.steps, a.warmup, a.seed)
                for _ in range(a.repeats)]
        r = {"peer": "pytorch", "torch": torch.__version__, "mode": mode, "model": a.model,
             "batch": a.batch, "threads": torch.get_num_threads()}
        if "unsupported" in runs[0]:
            r["unsupported"] = runs[0]["unsupported"]
            if not a.json:
                print(f"{mode:<10} {a.model:<8} {a.batch:>6}   unsupported: {r['unsupported']}")
        else:
            step_ms = statistics.median(x["step_ms"] for x in runs)
            if mode == "fp32":
                fp32_ms = step_ms
            r.update(step_ms=step_ms, samples_per_s=1000.0 * a.batch / step_ms,
                     vs_fp32=(step_ms / fp32_ms) if fp32_ms else None)
            if not a.json:
                ratio = f"{step_ms / fp32_ms:.2f}x" if fp32_ms else "-"
                print(f"{mode:<10} {a.model:<8} {a.batch:>6} {r['samples_per_s']:>12.0f} "
                      f"{step_ms:>12.3f} {ratio:>10}")
        results.append(r)
        sys.stdout.flush()
    if a.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
