#!/usr/bin/env python3
"""Table of HalfLab vs PyTorch step times from the JSON files compare.sh collected.

Usage: compare_table.py DIR BATCH THREADS [JSON_OUT]
DIR holds halflab-MODEL-ROUND.json (`halflab-cli bench --json`) and
pytorch-MODEL-ROUND.json (`peer_pytorch.py --json`); each side's step times are the
median over rounds. Standard library only.
"""
import glob
import json
import os
import statistics
import sys


def load(directory):
    runs, notes, order = {}, {}, []  # (side, model, mode) -> [step_ms]
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        side = os.path.basename(path).split("-")[0]
        try:
            with open(path) as f:
                records = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            sys.exit(f"compare_table.py: {path}: not a bench JSON result ({e})")
        for r in records:
            if (r["model"], r["mode"]) not in order:
                order.append((r["model"], r["mode"]))
            key = (side, r["model"], r["mode"])
            if "unsupported" in r:
                notes[key] = r["unsupported"]
            else:
                runs.setdefault(key, []).append(r["step_ms"])
    return runs, notes, order


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    directory, batch, threads = argv[0], int(argv[1]), int(argv[2])
    runs, notes, order = load(directory)
    if not runs:
        sys.exit(f"compare_table.py: no results in {directory}")
    med = {k: statistics.median(v) for k, v in runs.items()}

    def ms(v):
        return f"{v:10.3f}" if v else f"{'-':>10}"

    def sps(v):
        return f"{1000.0 * batch / v:10.0f}" if v else f"{'-':>10}"

    def ratio(v):
        return f"{v:9.2f}x" if v else f"{'-':>10}"

    print(f"\nbatch {batch}, threads {threads}; medians over "
          f"{max(map(len, runs.values()))} interleaved rounds; HL/PT < 1: HalfLab faster")
    print(f"{'model':<7} {'mode':<9} {'HalfLab ms':>10} {'samples/s':>10} {'PyTorch ms':>10} "
          f"{'samples/s':>10} {'HL/PT time':>10} {'HL vs fp32':>10}")
    rows = []
    for model, mode in sorted(order, key=lambda mm: (mm[0] != "mlp", mm[0])):
        hl, pt = med.get(("halflab", model, mode)), med.get(("pytorch", model, mode))
        hl32 = med.get(("halflab", model, "fp32"))
        note = notes.get(("pytorch", model, mode))
        row = {"model": model, "mode": mode, "batch": batch, "threads": threads,
               "halflab_step_ms": hl, "pytorch_step_ms": pt,
               "halflab_vs_pytorch_time": hl / pt if hl and pt else None,
               "halflab_vs_fp32": hl / hl32 if hl and hl32 else None, "pytorch_note": note}
        rows.append(row)
        print(f"{model:<7} {mode:<9} {ms(hl)} {sps(hl)} {ms(pt)} {sps(pt)} "
              f"{ratio(row['halflab_vs_pytorch_time'])} {ratio(row['halflab_vs_fp32'])}"
              + (f"  (PyTorch: {note})" if note else ""))
    if len(argv) == 4:
        with open(argv[3], "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
