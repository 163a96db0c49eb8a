#!/bin/sh
# Takes docs/screenshot.png: runs the already built `halflab` under a virtual X server,
# starts an A/B run (FP32 vs FP16-AMP on Fashion-MNIST) and grabs the window while the
# FP16 run is under way, laid over the finished FP32 run. Builds nothing.
#   scripts/screenshot.sh [build-dir] [extra halflab options...]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
[ $# -gt 0 ] && shift
app="$build/app/halflab"
if [ ! -x "$app" ]; then
  echo "screenshot.sh: $app is not built (cmake --build $build --target halflab)" >&2
  exit 1
fi
out="$here/docs/screenshot.png"
mkdir -p "$here/docs"
# A throw-away settings folder and store, so the picture does not depend on the user's runs.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data"
xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$app" --store "$scratch/runs.sqlite" --demo-ab --steps 3000 --screenshot "$out" --after-ms 10000 "$@"
echo "wrote $out"
