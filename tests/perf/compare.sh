#!/usr/bin/env bash
# HalfLab's CPU bench and the PyTorch peer side by side, in one run on one machine
# (DESIGN section 6): the two are interleaved ROUNDS times and the medians compared, so
# load from other processes hits both alike. Prints a table of step times and ratios.
#
# Usage: tests/perf/compare.sh [--models mlp,lenet] [--modes fp32,fp16-amp,bf16-amp]
#          [--batch 128] [--steps 50] [--threads 2] [--rounds 3] [--json FILE]
# Env:   HALFLAB_CLI (default: build/app/halflab-cli), PYTHON (default: /usr/bin/python3,
#        the interpreter Debian's python3-torch is installed for).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cli="${HALFLAB_CLI:-$root/build/app/halflab-cli}"
python="${PYTHON:-/usr/bin/python3}"
models="mlp,lenet" modes="fp32,fp16-amp,bf16-amp" batch=128 steps=50 threads=2 rounds=3
json_out=""

die() { echo "compare.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --json) json_out="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
for n in batch steps threads rounds; do
  [[ "${!n}" =~ ^[0-9]+$ && "${!n}" -ge 1 ]] || die "--$n must be a positive integer, got '${!n}'"
done
[[ -x "$cli" ]] || die "halflab-cli not found at '$cli' (build it, or set HALFLAB_CLI)"
"$python" -c "import torch" 2>/dev/null ||
  die "'$python' cannot import torch (apt-get install python3-torch, or set PYTHON)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

IFS=',' read -r -a model_list <<< "$models"
for ((r = 1; r <= rounds; ++r)); do
  for model in "${model_list[@]}"; do
    echo "round $r/$rounds: $model" >&2
    "$cli" bench --model "$model" --batch "$batch" --modes "$modes" --steps "$steps" \
      --threads "$threads" --json > "$tmp/halflab-$model-$r.json"
    "$python" "$here/peer_pytorch.py" --model "$model" --batch "$batch" --modes "$modes" \
      --steps "$steps" --threads "$threads" --json 2>/dev/null > "$tmp/pytorch-$model-$r.json"
  done
done

"$python" "$here/compare_table.py" "$tmp" "$batch" "$threads" ${json_out:+"$json_out"}
