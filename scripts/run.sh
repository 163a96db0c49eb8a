#!/usr/bin/env bash
# Install what is missing, build, and launch HalfLab on the embedded default:
# CPU backend, Fashion-MNIST, MLP, FP32 vs FP16 one click away (A/B, Ctrl+B).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [ -x build/app/halflab ]; then
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "run: no display found; starting under Xvfb (set DISPLAY to use your screen)"
    exec xvfb-run -a -s "-screen 0 1600x1000x24" build/app/halflab "$@"
  fi
  exec build/app/halflab "$@"
fi
# Built without the GUI: the same comparison headless.
exec build/app/halflab-cli train --ab fp16-amp "$@"
