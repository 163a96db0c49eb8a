#!/bin/bash
# Interleaved A/B of two halflab-cli builds (e.g. before and after an engine change):
# `halflab-cli bench` for MLP and LeNet in fp32 and fp16-amp, one thread, ROUNDS rounds
# alternating old/new, then the median step time of each and the ratio new/old.
#   tests/perf/bench_ab.sh OLD_CLI NEW_CLI [ROUNDS]
set -euo pipefail
old=$1 new=$2 rounds=${3:-7}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for model in mlp lenet; do
  steps=300; [ "$model" = lenet ] && steps=100
  for mode in fp32 fp16-amp; do
    for ((r = 0; r < rounds; ++r)); do
      for v in old new; do
        bin=$old; [ "$v" = new ] && bin=$new
        ms=$("$bin" bench --model "$model" --threads 1 --steps "$steps" --warmup 20 --modes "$mode" 2>/dev/null |
             awk -v m="$mode" '$1 == m {print $5}')
        echo "$model $mode $v $ms" >>"$out"
      done
    done
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    model, mode, v, ms = line.split()
    d[(model, mode, v)].append(float(ms))
for model in ("mlp", "lenet"):
    for mode in ("fp32", "fp16-amp"):
        o, n = statistics.median(d[(model, mode, "old")]), statistics.median(d[(model, mode, "new")])
        print(f"{model:6} {mode:9} old {o:.3f} ms  new {n:.3f} ms  new/old {n / o:.3f}  ({len(d[(model, mode, 'old')])} rounds)")
PY
