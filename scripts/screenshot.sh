#!/bin/sh
# Screenshots of the already built `halflab` under a virtual X server. Builds nothing.
#   scripts/screenshot.sh [build-dir] [extra halflab options...]
#       docs/screenshot.png: an A/B run (FP32 vs FP16-AMP on Fashion-MNIST) grabbed when
#       the FP16 run is half way, laid over the finished FP32 run.
#   scripts/screenshot.sh --lessons OUT-DIR [build-dir]
#       OUT-DIR/demo-ab.png (the default `--demo-ab`, grabbed when both runs finished) and
#       OUT-DIR/lesson-N.png for each lesson: its key plot (the one it watches) when it and
#       its reference run finished.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
lessons_dir=
if [ "${1:-}" = "--lessons" ]; then
  [ $# -ge 2 ] || { echo "screenshot.sh: --lessons needs an output folder" >&2; exit 2; }
  lessons_dir=$2
  shift 2
fi
build=${1:-"$here/build"}
[ $# -gt 0 ] && shift
app="$build/app/halflab"
if [ ! -x "$app" ]; then
  echo "screenshot.sh: $app is not built (cmake --build $build --target halflab)" >&2
  exit 1
fi
# A throw-away settings folder and store per picture, so that no picture depends on the
# user's runs or on the one before.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
shot() {  # shot NAME OUT halflab-options...
  name=$1 out=$2
  shift 2
  rm -rf "$scratch/$name" && mkdir -p "$scratch/$name"
  XDG_CONFIG_HOME="$scratch/$name/config" XDG_DATA_HOME="$scratch/$name/data" \
    xvfb-run -a -s "-screen 0 1600x1000x24" "$app" --store "$scratch/$name/runs.sqlite" --screenshot "$out" "$@"
}
if [ -n "$lessons_dir" ]; then
  mkdir -p "$lessons_dir"
  shot demo "$lessons_dir/demo-ab.png" --demo-ab
  for n in 1 2 3 4 5; do shot "lesson$n" "$lessons_dir/lesson-$n.png" --lesson "$n"; done
  echo "wrote $lessons_dir/demo-ab.png and lesson-1.png .. lesson-5.png"
  exit 0
fi
out="$here/docs/screenshot.png"
mkdir -p "$here/docs"
shot readme "$out" --demo-ab --steps 3000 --after-step 1500 "$@"
echo "wrote $out"
